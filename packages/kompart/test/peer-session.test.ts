/**
 * A user's whole session, in Portuguese and in English, with the real program: one
 * registry and three peers on 127.0.x.y, commands piped in one at a time, every output
 * line compared exactly. Covers every message of DESIGN.md §2 and the success paths:
 * register, list, get by name, by hash, by hash prefix and by path (bytes compared),
 * asynchronous messages (joined, left, expired, reconnected, file sent) and leaving.
 *
 * The registry runs in the other language than the peers: the registry's errors must be
 * rendered from their machine-readable reason in the peer's language.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Program, addressOn, cleanEnv, freePort, literal, stopAll } from '../../../test/support/program';

type Lang = 'pt' | 'en';

/** The lines the user reads, per language (the first seven groups are DESIGN.md §2). */
const say = {
  pt: {
    alreadyRegistered: (peer: string) => `Peer ${peer} já registrado`,
    notRegistered: (peer: string) => `Peer ${peer} não registrado`,
    fileAlreadyRegistered: (file: string) => `Arquivo ${file} já registrado`,
    noFiles: 'Sem arquivos registrados',
    offline: (peer: string) => `Peer ${peer} offline`,
    unavailable: 'arquivo removido ou indisponível',
    disconnectNotRegistered: 'Peer não registrado',
    deleted: (path: string) => `Arquivo ${path} apagado: saiu do índice`,

    ready: (peer: string, server: string, dir: string) =>
      `Peer ${peer} pronto: servidor ${server}, arquivos servidos em ${peer.includes(':') ? peer : `${peer}:50052`}, downloads em ${dir}`,
    registered: (peer: string) => `Peer ${peer} registrado`,
    hashing: (path: string, size: string) => `Calculando SHA-256 de ${path} (${size})`,
    fileRegistered: (path: string, size: string, sha: string) => `Arquivo ${path} registrado (${size}, sha256 ${sha})`,
    folder: (path: string, files: number, size: string) => `Pasta ${path}: ${files} arquivos (${size})`,
    folderDone: (path: string, n: number) => `Pasta ${path}: ${n} arquivos registrados, 0 já registrados, 0 com erro, 0 ignorados`,
    noSuchPath: (path: string) => `Arquivo ou pasta não encontrado: ${path}`,
    downloading: (name: string, holder: string, size: string) => `Baixando ${name} de ${holder} (${size})`,
    saved: (name: string, path: string, size: string) =>
      expect.stringMatching(
        new RegExp(
          `^Arquivo ${literal(name)} salvo em ${literal(path)} \\(${literal(size)} em \\d+(,\\d)? ?[smh0-9]*, \\d+(,\\d)? ([KMGT]i)?B/s, SHA-256 verificado\\)$`,
        ),
      ) as string,
    disconnected: (peer: string, files: number) => `Peer ${peer} desconectado (${files} ${files === 1 ? 'arquivo removido' : 'arquivos removidos'})`,
    joined: (peer: string) => `Peer ${peer} entrou`,
    left: (peer: string) => `Peer ${peer} saiu`,
    expired: (peer: string) => `Peer ${peer} expirou (heartbeats perdidos)`,
    lost: (server: string) => new RegExp(`^Conexão com o servidor ${literal(server)} perdida: `),
    reconnected: (server: string, files: number) =>
      `Reconectado ao servidor ${server}: ${files} ${files === 1 ? 'arquivo registrado' : 'arquivos registrados'} de novo`,
    sent: (name: string, size: string) => new RegExp(`^Arquivo ${literal(name)} enviado para 127\\.\\d+\\.\\d+\\.\\d+ \\(${literal(size)}\\)$`),
    unknown: (input: string) => `Comando desconhecido: "${input}". Digite help para ver os comandos.`,
    usageGet: 'Uso: get file <IP>/<nome ou hash>',
  },
  en: {
    alreadyRegistered: (peer: string) => `Peer ${peer} already registered`,
    notRegistered: (peer: string) => `Peer ${peer} not registered`,
    fileAlreadyRegistered: (file: string) => `File ${file} already registered`,
    noFiles: 'No registered files',
    offline: (peer: string) => `Peer ${peer} offline`,
    unavailable: 'file removed or unavailable',
    disconnectNotRegistered: 'Peer not registered',
    deleted: (path: string) => `File ${path} deleted: removed from the index`,

    ready: (peer: string, server: string, dir: string) =>
      `Peer ${peer} ready: registry ${server}, files served on ${peer.includes(':') ? peer : `${peer}:50052`}, downloads in ${dir}`,
    registered: (peer: string) => `Peer ${peer} registered`,
    hashing: (path: string, size: string) => `Hashing ${path} (${size})`,
    fileRegistered: (path: string, size: string, sha: string) => `File ${path} registered (${size}, sha256 ${sha})`,
    folder: (path: string, files: number, size: string) => `Folder ${path}: ${files} files (${size})`,
    folderDone: (path: string, n: number) => `Folder ${path}: ${n} files registered, 0 already registered, 0 failed, 0 skipped`,
    noSuchPath: (path: string) => `No such file or folder: ${path}`,
    downloading: (name: string, holder: string, size: string) => `Downloading ${name} from ${holder} (${size})`,
    saved: (name: string, path: string, size: string) =>
      expect.stringMatching(
        new RegExp(
          `^File ${literal(name)} saved as ${literal(path)} \\(${literal(size)} in \\d+(\\.\\d)? ?[smh0-9]*, \\d+(\\.\\d)? ([KMGT]i)?B/s, SHA-256 verified\\)$`,
        ),
      ) as string,
    disconnected: (peer: string, files: number) => `Peer ${peer} disconnected (${files} ${files === 1 ? 'file' : 'files'} removed)`,
    joined: (peer: string) => `Peer ${peer} joined`,
    left: (peer: string) => `Peer ${peer} left`,
    expired: (peer: string) => `Peer ${peer} expired (missed heartbeats)`,
    lost: (server: string) => new RegExp(`^Lost the connection to registry ${literal(server)}: `),
    reconnected: (server: string, files: number) => `Reconnected to registry ${server}: ${files} ${files === 1 ? 'file' : 'files'} registered again`,
    sent: (name: string, size: string) => new RegExp(`^File ${literal(name)} sent to 127\\.\\d+\\.\\d+\\.\\d+ \\(${literal(size)}\\)$`),
    unknown: (input: string) => `Unknown command: "${input}". Type help to see the commands.`,
    usageGet: 'Usage: get file <IP>/<name or hash>',
  },
} as const;

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

describe.each([
  ['pt', '127.0.81'],
  ['en', '127.0.82'],
] as const)('a peer session in %s', (lang: Lang, net: string) => {
  const t = say[lang];
  /** 3 MiB as this language writes it (a decimal comma in pt). */
  const mib3 = lang === 'pt' ? '3,0 MiB' : '3.0 MiB';
  const other: Lang = lang === 'pt' ? 'en' : 'pt';
  const langArgs = lang === 'pt' ? [] : ['--lang', 'en'];
  let work: string;
  let server: string;
  let serverId: string;
  let registry: Program;
  let a: Program;
  let b: Program;
  let aId: string;
  let bId: string;
  let aArg: string;
  const files: Record<string, { path: string; data: Buffer }> = {};

  const peer = (address: string, name: string, extra: string[] = []): Program => {
    const downloads = join(work, name, 'downloads');
    return new Program([server, 'p', address, '--downloads', downloads, '--no-cache-dir', ...langArgs, ...extra], { cwd: work, env: cleanEnv() });
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), `kompart-session-${lang}-`));
    const add = (name: string, relative: string, data: Buffer | string): void => {
      const path = join(work, 'share', relative);
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, data);
      files[name] = { path, data: Buffer.from(data) };
    };
    add('hello', 'hello.txt', 'olá kompart\n');
    add('a', 'docs/a.md', '# A\n');
    add('b', 'docs/b.md', '# B, longer\n');
    add('gone', 'docs/gone.txt', 'soon deleted\n');
    add('data', 'data.bin', Buffer.concat([Buffer.alloc(3 * 1024 * 1024, 7), Buffer.from('tail of the data')]));
    add('c', 'c/c.txt', 'from C\n');

    const registryAddress = await addressOn(`${net}.1`, 50051);
    server = registryAddress.arg;
    serverId = registryAddress.id;
    registry = new Program([server, 's', '--lang', other, '--heartbeat-interval', '500', '--heartbeat-misses', '4', '--summary-interval', '0']);
    await registry.waitFor(/ouvindo em|listening on/);

    const aAddress = await addressOn(`${net}.2`, 50052);
    const bAddress = await addressOn(`${net}.3`, 50052);
    [aArg, aId, bId] = [aAddress.arg, aAddress.id, bAddress.id];
    a = peer(aAddress.arg, 'a');
    b = peer(bAddress.arg, 'b');
    await a.waitFor(t.ready(aId, serverId, join(work, 'a', 'downloads')));
    await b.waitFor(t.ready(bId, serverId, join(work, 'b', 'downloads')));
  });

  afterAll(async () => {
    await stopAll();
    rmSync(work, { recursive: true, force: true });
  });

  it('before register peer: list files, register file and disconnect say the peer is not registered', async () => {
    expect(await b.run('list files', t.notRegistered(bId))).toEqual([t.notRegistered(bId)]);
    expect(await b.run(`register file ${files['hello']!.path}`, t.notRegistered(bId))).toEqual([t.notRegistered(bId)]);
    expect(await b.run('disconnect', t.disconnectNotRegistered)).toEqual([t.disconnectNotRegistered]);
    expect(await b.run('frobnicate now', t.unknown('frobnicate now'))).toEqual([t.unknown('frobnicate now')]);
    expect(await b.run('get file nowhere', t.usageGet)).toEqual([t.usageGet]);
  });

  it('register peer twice: already registered, also for a second process with the same address', async () => {
    expect(await a.run('register peer', t.registered(aId))).toEqual([t.registered(aId)]);
    expect(await a.run('  REGISTER   peer ', t.alreadyRegistered(aId))).toEqual([t.alreadyRegistered(aId)]);

    // Same identity, FileService elsewhere: the registry itself refuses it.
    const twin = peer(aArg, 'twin', ['--listen', `${net}.2:${await freePort(`${net}.2`)}`]);
    await twin.waitFor(/^Peer .* (pronto|ready)/);
    expect(await twin.run('register peer', t.alreadyRegistered(aId))).toEqual([t.alreadyRegistered(aId)]);
    twin.end();
    expect((await twin.exit()).code).toBe(1);

    expect(await b.run('register peer', t.registered(bId))).toEqual([t.registered(bId)]);
    await a.waitFor(t.joined(bId));
    expect(await b.run('list files', t.noFiles)).toEqual([t.noFiles]);
  });

  it('register file hashes and registers; the same path again is already registered; a folder registers every file', async () => {
    const hello = files['hello']!;
    expect(await a.run(`register file ${hello.path}`, /sha256/)).toEqual([
      t.hashing(hello.path, '13 B'),
      t.fileRegistered(hello.path, '13 B', sha256(hello.data)),
    ]);
    expect(await a.run(`register file ${hello.path}`, t.fileAlreadyRegistered(hello.path))).toEqual([
      t.hashing(hello.path, '13 B'),
      t.fileAlreadyRegistered(hello.path),
    ]);
    const docs = join(work, 'share', 'docs');
    const inDocs = ['a', 'b', 'gone'].map((name) => files[name]!);
    const total = inDocs.reduce((sum, file) => sum + file.data.length, 0);
    expect(await a.run(`register file ${docs}`, t.folderDone(docs, 3))).toEqual([
      t.folder(docs, 3, `${total} B`),
      ...inDocs.map((file) => t.fileRegistered(file.path, `${file.data.length} B`, sha256(file.data))),
      t.folderDone(docs, 3),
    ]);
    const data = files['data']!;
    // A relative path, resolved against the peer's working folder.
    expect(await a.run('register file share/data.bin', /sha256/)).toEqual([t.hashing(data.path, mib3), t.fileRegistered(data.path, mib3, sha256(data.data))]);
    const missing = join(work, 'nothing-here.txt');
    expect(await a.run(`register file ${missing}`, t.noSuchPath(missing))).toEqual([t.noSuchPath(missing)]);
  });

  it('list files prints one line per file: IP / name / hash (size)', async () => {
    const expected = ['hello', 'a', 'b', 'gone', 'data'].map((name) => {
      const file = files[name]!;
      const size = file.data.length > 1024 ? mib3 : `${file.data.length} B`;
      return `${aId} / ${file.path.slice(file.path.lastIndexOf('/') + 1)} / ${sha256(file.data)} (${size})`;
    });
    expect(await b.run('List  Files', expected[expected.length - 1]!)).toEqual(expected);
  });

  it('get file by name, hash, hash prefix and path downloads from the holder and verifies the bytes', async () => {
    const downloads = join(work, 'b', 'downloads');
    const cases: [string, string, string][] = [
      ['hello', `${aId}/hello.txt`, '13 B'],
      ['data', `${aId}/${sha256(files['data']!.data)}`, mib3],
      ['a', `${aId}/${sha256(files['a']!.data).slice(0, 8)}`, '4 B'],
      ['b', `${aId}/${files['b']!.path}`, '12 B'],
    ];
    for (const [name, ref, size] of cases) {
      const file = files[name]!;
      const base = file.path.slice(file.path.lastIndexOf('/') + 1);
      expect(await b.run(`get file ${ref}`, /SHA-256/)).toEqual([t.downloading(base, aId, size), t.saved(base, join(downloads, base), size)]);
      expect(readFileSync(join(downloads, base)).equals(file.data)).toBe(true);
      await a.waitFor(t.sent(base, size));
    }
  });

  it('get file says when the file is gone from its holder (which takes it off the index), unknown, or the holder offline', async () => {
    unlinkSync(files['gone']!.path);
    await a.waitFor(t.deleted(files['gone']!.path));
    expect(await b.run(`get file ${aId}/gone.txt`, t.unavailable)).toEqual([t.unavailable]);
    expect(await b.run(`get file ${aId}/never-registered.txt`, t.unavailable)).toEqual([t.unavailable]);
    expect(await b.run(`get file ${net}.99/x.txt`, t.offline(`${net}.99`))).toEqual([t.offline(`${net}.99`)]);
  });

  it('asynchronous messages: a peer joins, freezes and expires (offline), comes back by itself, leaves', async () => {
    const cAddress = await addressOn(`${net}.4`, 50052);
    const c = peer(cAddress.arg, 'c');
    const cId = cAddress.id;
    await c.run('register peer', t.registered(cId));
    await b.waitFor(t.joined(cId));
    await a.waitFor(t.joined(cId));
    await c.run(`register file ${files['c']!.path}`, /sha256/);

    c.signal('SIGSTOP');
    const fromB = b.mark();
    try {
      await b.waitFor(t.expired(cId), { from: fromB });
      expect(await b.run(`get file ${cId}/c.txt`, t.offline(cId))).toEqual([t.offline(cId)]);
    } finally {
      c.signal('SIGCONT');
    }
    await c.waitFor(t.lost(serverId));
    await c.waitFor(t.reconnected(serverId, 1));
    await b.waitFor(t.joined(cId), { from: fromB });
    expect(await b.run(`get file ${cId}/c.txt`, /SHA-256/)).toEqual([
      t.downloading('c.txt', cId, '7 B'),
      t.saved('c.txt', join(work, 'b', 'downloads', 'c.txt'), '7 B'),
    ]);

    const fromA = a.mark();
    c.send('exit');
    await c.waitFor(t.disconnected(cId, 1));
    expect((await c.exit()).code).toBe(0);
    await a.waitFor(t.left(cId), { from: fromA });
  });

  it('disconnect removes the peer and its files; a second disconnect says not registered; the end of input leaves', async () => {
    const fromB = b.mark();
    expect(await a.run('disconnect', t.disconnected(aId, 4))).toEqual([t.disconnected(aId, 4)]);
    await b.waitFor(t.left(aId), { from: fromB });
    expect(await a.run('disconnect', t.disconnectNotRegistered)).toEqual([t.disconnectNotRegistered]);
    expect(await b.run('list files', t.noFiles)).toEqual([t.noFiles]);

    // End of input: B is still registered, so it disconnects before leaving; some of its
    // commands failed, so its exit code is 1.
    const last = b.mark();
    b.end();
    expect((await b.exit()).code).toBe(1);
    expect(b.lines.slice(last)).toEqual([t.disconnected(bId, 0)]);
    a.send('exit');
    expect((await a.exit()).code).toBe(1);
    // Standard error holds the commands' error lines (standard output is a pipe), nothing else.
    for (const program of [a, b]) {
      expect(program.err.filter((line) => /\bat \S+:\d+|Warning|Error\b/.test(line))).toEqual([]);
      expect(program.err.every((line) => program.lines.includes(line))).toBe(true);
    }
  });
});

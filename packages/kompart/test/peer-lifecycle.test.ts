/**
 * How a peer starts and leaves: a piped script that ends, --share at start-up with
 * --keep-running, --json output, SIGTERM in the middle of a download (cancelled with a
 * notice, `.part` kept, disconnect first), an unreachable registry, a taken address.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Program, cleanEnv, freePort, stopAll } from '../../../test/support/program';
import { startStalledHolder } from './support/stalled-holder';

const NET = '127.0.83';
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
let work: string;
let registry: Program;
let server: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kompart-lifecycle-'));
  mkdirSync(join(work, 'music'));
  writeFileSync(join(work, 'music', 'one.txt'), 'one\n');
  writeFileSync(join(work, 'music', 'two.txt'), 'two\n');
  server = `${NET}.1:${await freePort(`${NET}.1`)}`;
  registry = new Program([server, 's', '--heartbeat-interval', '1000', '--heartbeat-misses', '10']);
  await registry.waitFor(/ouvindo em/);
});

afterAll(async () => {
  await stopAll();
  rmSync(work, { recursive: true, force: true });
});

async function peerAddress(last: number): Promise<string> {
  return `${NET}.${last}:${await freePort(`${NET}.${last}`)}`;
}

function peer(address: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Program {
  return new Program([server, 'p', address, '--no-cache-dir', '--plaintext-transfers', '--downloads', join(work, 'downloads', address), ...extra], {
    cwd: work,
    env: cleanEnv(env),
  });
}

describe('a peer fed by a pipe', () => {
  it('runs one command per line and leaves at the end of input, disconnecting first (exit code 0)', async () => {
    const address = await peerAddress(2);
    const program = peer(address);
    program.send('register peer', '', '# a comment', 'help', 'list files');
    program.end();
    expect((await program.exit()).code).toBe(0);
    const help = program.out.slice(3, -2);
    expect(program.out.slice(0, 3)).toEqual([
      expect.stringMatching(/^Peer .* pronto: /),
      `Peer ${address} registrado`,
      expect.stringMatching(/^ {2}register peer +registra este peer/),
    ]);
    expect(help.map((line) => line.trim().split(/\s{2,}/)[0])).toEqual([
      'register file <caminho>',
      'os arquivos dentro dela)',
      'unregister file <caminho>',
      'list files [<texto>|<IP>|<hash>]',
      'só os de nome com <texto>, os do peer <IP> ou os de hash',
      'começando por <hash> (8 ou mais dígitos)',
      'get file <IP>/<nome ou hash> …',
      '(vários de uma vez, lado a lado; <IP>/<pasta>/: a pasta toda)',
      'disconnect',
      'help',
      'exit',
    ]);
    expect(program.out.slice(-2)).toEqual(['Sem arquivos registrados', `Peer ${address} desconectado (0 arquivos removidos)`]);
    expect(program.err).toEqual([]);
  });

  it('--share registers the peer and the folder at start-up; --keep-running stays online after the input ends, until SIGTERM', async () => {
    const address = await peerAddress(3);
    const sharer = peer(address, ['--keep-running'], { KOMPART_SHARE: join(work, 'music'), KOMPART_LANG: 'en' });
    sharer.end();
    await sharer.waitFor('End of input: the peer stays online (SIGTERM stops it)');
    expect(sharer.out.slice(1, 3)).toEqual([`Peer ${address} registered`, `Folder ${join(work, 'music')}: 2 files (8 B)`]);
    expect(sharer.out[5]).toBe(`Folder ${join(work, 'music')}: 2 files registered, 0 already registered, 0 failed, 0 skipped`);

    const other = peer(await peerAddress(4));
    other.send('register peer', 'list files', `get file ${address}/two.txt`);
    other.end();
    await other.waitFor(/^Arquivo two\.txt salvo em /);
    expect(other.out.filter((line) => line.startsWith(`${address} / `))).toEqual([
      `${address} / one.txt / ${sha256('one\n')} (4 B)`,
      `${address} / two.txt / ${sha256('two\n')} (4 B)`,
    ]);
    expect((await other.exit()).code).toBe(0);
    await sharer.waitFor(/^File two\.txt sent to /);

    sharer.signal('SIGTERM');
    expect((await sharer.exit()).code).toBe(0);
    expect(sharer.out.slice(-2)).toEqual(['Signal SIGTERM received: shutting down', `Peer ${address} disconnected (2 files removed)`]);
  });

  it('--ready-file appears once the peer and its share are registered, and goes when the peer leaves', async () => {
    const address = await peerAddress(5);
    const ready = join(work, `ready-${address}`);
    const sharer = peer(address, ['--keep-running', '--share', join(work, 'music'), '--ready-file', ready]);
    sharer.end();
    await sharer.waitFor('Fim da entrada: o peer continua online (SIGTERM encerra)');
    // Written before the prompt's first line, so it is there now, naming the peer.
    expect(readFileSync(ready, 'utf8')).toBe(`${address}\n`);
    const registered = sharer.out.findIndex((line) => line.startsWith(`Pasta ${join(work, 'music')}: 2 arquivos registrados`));
    expect(registered).toBeGreaterThan(0);
    sharer.signal('SIGTERM');
    expect((await sharer.exit()).code).toBe(0);
    expect(existsSync(ready)).toBe(false);
  });

  it('--json prints one JSON object per line, with the same messages', async () => {
    const address = await peerAddress(5);
    const program = peer(address, ['--json']);
    program.send('register peer', 'bogus', `register file ${join(work, 'music', 'one.txt')}`, 'list files');
    program.end();
    expect((await program.exit()).code).toBe(1);
    const records = program.out.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.map((record) => record['type'])).toEqual(['info', 'result', 'error', 'info', 'result', 'file', 'result']);
    expect(records[1]).toEqual({ type: 'result', command: 'register peer', peer: address, message: `Peer ${address} registrado` });
    expect(records[2]).toMatchObject({ type: 'error', reason: 'UNKNOWN_COMMAND', message: 'Comando desconhecido: "bogus". Digite help para ver os comandos.' });
    expect(records[4]).toMatchObject({ type: 'result', command: 'register file', path: join(work, 'music', 'one.txt'), size: 4 });
    expect(records[5]).toEqual({
      type: 'file',
      peer: address,
      name: 'one.txt',
      path: join(work, 'music', 'one.txt'),
      sha256: sha256('one\n'),
      size: 4,
      message: `${address} / one.txt / ${sha256('one\n')} (4 B)`,
    });
    expect(records[6]).toMatchObject({ type: 'result', command: 'disconnect', files: 1 });
  });
});

describe('leaving and failing', () => {
  it('SIGTERM during a download: the download is cancelled with a notice, its .part kept, the peer disconnects, then exits', async () => {
    const holder = await startStalledHolder(`${NET}.6`, server);
    try {
      const address = await peerAddress(7);
      const downloads = join(work, 'downloads', address);
      const program = peer(address);
      await program.run('register peer', `Peer ${address} registrado`);
      const from = program.mark();
      program.send(`get file ${holder.id}/slow.bin`);
      await program.waitFor(`Baixando slow.bin de ${holder.id} (1,0 MiB)`, { from });
      await holder.stalled;
      program.signal('SIGTERM');
      expect((await program.exit()).code).toBe(1);
      expect(program.lines.slice(from)).toEqual([
        `Baixando slow.bin de ${holder.id} (1,0 MiB)`,
        'Sinal SIGTERM recebido: encerrando',
        'Download de slow.bin cancelado; o parcial foi mantido para retomar',
        `Peer ${address} desconectado (0 arquivos removidos)`,
      ]);
      const parts = readdirSync(downloads).filter((name) => name.endsWith('.part'));
      expect(parts).toHaveLength(1);
      const part = readFileSync(join(downloads, parts[0]!));
      expect(part.length).toBeLessThanOrEqual(holder.sentBytes);
      expect(holder.data.subarray(0, part.length).equals(part)).toBe(true);
      expect(existsSync(join(downloads, 'slow.bin'))).toBe(false);
    } finally {
      await holder.close();
    }
  });

  it('an unreachable registry is one clear line, and the exit code says a command failed', async () => {
    const nowhere = `${NET}.1:${await freePort(`${NET}.1`)}`;
    const address = await peerAddress(8);
    const program = new Program([nowhere, 'p', address, '--no-cache-dir', '--lang', 'en'], { cwd: work, env: cleanEnv() });
    program.send('register peer');
    program.end();
    expect((await program.exit()).code).toBe(1);
    expect(program.lines.slice(1)).toEqual([`Registry ${nowhere} unreachable`]);
    expect(program.err).toEqual([`Registry ${nowhere} unreachable`]);
  });

  it('--register waits for a registry that is not up yet (containers start together)', async () => {
    const later = `${NET}.10:${await freePort(`${NET}.10`)}`;
    const address = await peerAddress(11);
    const program = new Program([later, 'p', address, '--no-cache-dir', '--register'], { cwd: work, env: cleanEnv() });
    await program.waitFor(`Servidor ${later} inacessível; nova tentativa em 0.5 s`);
    const lateRegistry = new Program([later, 's']);
    await program.waitFor(`Peer ${address} registrado`);
    program.end();
    expect((await program.exit()).code).toBe(0);
    expect(program.out.at(-1)).toBe(`Peer ${address} desconectado (0 arquivos removidos)`);
    await lateRegistry.stop();
  });

  it('a FileService address in use is one line on standard error and exit code 3', async () => {
    const port = await freePort(`${NET}.9`);
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, `${NET}.9`, resolve));
    try {
      const program = peer(`${NET}.9:${port}`);
      expect((await program.exit()).code).toBe(3);
      expect(program.err).toEqual([`Endereço ${NET}.9:${port} já está em uso: outro servidor está ouvindo nele`]);
      expect(program.out).toEqual([]);
    } finally {
      blocker.close();
    }
  });
});

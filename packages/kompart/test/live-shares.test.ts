/**
 * Live shares through the program, as a user sees them: a holder whose shared folder
 * changes prints one line per change and the other peer's `list files` follows; `unregister
 * file` takes a file or a folder off by hand; with `--no-watch` only a download that finds
 * its file gone fixes the index.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Program, cleanEnv, freePort, literal, stopAll } from '../../../test/support/program';

const NET = '127.0.87';
let work: string;
let server: string;

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kompart-live-'));
  server = `${NET}.1:${await freePort(`${NET}.1`)}`;
  const registry = new Program([server, 's']);
  await registry.waitFor(/ouvindo em/);
});

afterAll(async () => {
  await stopAll();
  rmSync(work, { recursive: true, force: true });
});

const peer = async (host: string, extra: string[] = []): Promise<{ program: Program; id: string }> => {
  const id = `${host}:${await freePort(host)}`;
  const program = new Program([server, 'p', id, '--no-cache-dir', '--downloads', join(work, `downloads-${host}`), ...extra], { cwd: work, env: cleanEnv() });
  return { program, id };
};

it('a shared folder that changes: changed, new and deleted files follow in the index; unregister file by hand', async () => {
  const share = join(work, 'share');
  mkdirSync(join(share, 'sub'), { recursive: true });
  writeFileSync(join(share, 'notes.txt'), 'first version\n');
  writeFileSync(join(share, 'sub', 'keep.txt'), 'kept\n');
  const holder = await peer(`${NET}.2`, ['--keep-running', '--share', share]);
  const a = holder.program;
  await a.waitFor(/^Pasta .*: 2 arquivos registrados,/);
  const viewer = await peer(`${NET}.3`);
  const b = viewer.program;
  await b.run('register peer', `Peer ${viewer.id} registrado`);
  const listed = (name: string, content: string): string => `${holder.id} / ${name} / ${sha(content)} (${Buffer.byteLength(content)} B)`;
  expect(await b.run(`list files ${holder.id}`, listed('keep.txt', 'kept\n'))).toContain(listed('notes.txt', 'first version\n'));

  // Changed: hashed again, updated in place.
  writeFileSync(join(share, 'notes.txt'), 'second version!\n');
  await a.waitFor(`Arquivo ${join(share, 'notes.txt')} mudou e foi registrado de novo (16 B, sha256 ${sha('second version!\n')})`);
  expect(await b.run(`list files notes`, listed('notes.txt', 'second version!\n'))).toEqual([listed('notes.txt', 'second version!\n')]);

  // New in the folder (a subfolder too): registered.
  writeFileSync(join(share, 'sub', 'fresh.txt'), 'just arrived\n');
  await a.waitFor(`Arquivo ${join(share, 'sub', 'fresh.txt')} apareceu numa pasta compartilhada e foi registrado (13 B, sha256 ${sha('just arrived\n')})`);
  await b.run(`list files ${sha('just arrived\n').slice(0, 12)}`, listed('fresh.txt', 'just arrived\n'));

  // Deleted: out of the index, no longer listed anywhere.
  unlinkSync(join(share, 'notes.txt'));
  await a.waitFor(`Arquivo ${join(share, 'notes.txt')} apagado: saiu do índice`);
  expect(await b.run('list files notes', 'Sem arquivos registrados')).toEqual(['Sem arquivos registrados']);

  // By hand: one file, then what is left of the folder; an unknown path changes nothing.
  await a.run(
    `unregister file ${join(share, 'sub', 'fresh.txt')}`,
    `Arquivo ${join(share, 'sub', 'fresh.txt')} removido do índice (13 B, sha256 ${sha('just arrived\n')})`,
  );
  await a.run(`unregister file ${join(share, 'nope.txt')}`, `Arquivo ${join(share, 'nope.txt')} não registrado`);
  expect(await b.run(`list files ${holder.id}`, listed('keep.txt', 'kept\n'))).toEqual([listed('keep.txt', 'kept\n')]);
  await a.run(`unregister file ${share}`, `Pasta ${share}: 1 arquivo removido do índice`);
  expect(await b.run(`list files ${holder.id}`, 'Sem arquivos registrados')).toEqual(['Sem arquivos registrados']);
});

it('with --no-watch, a download that finds its file gone takes it off the index', async () => {
  const share = join(work, 'unwatched');
  mkdirSync(share);
  writeFileSync(join(share, 'gone.txt'), 'soon gone\n');
  const holder = await peer(`${NET}.4`, ['--keep-running', '--no-watch', '--share', share]);
  await holder.program.waitFor(/^Pasta .*: 1 arquivo registrado,/);
  const viewer = await peer(`${NET}.5`);
  const b = viewer.program;
  await b.run('register peer', `Peer ${viewer.id} registrado`);
  unlinkSync(join(share, 'gone.txt'));
  await b.run(`list files ${holder.id}`, new RegExp(`^${literal(holder.id)} / gone\\.txt / `));
  await b.run(`get file ${holder.id}/gone.txt`, 'arquivo removido ou indisponível');
  await holder.program.waitFor(`Arquivo ${join(share, 'gone.txt')} apagado: saiu do índice`);
  expect(await b.run(`list files ${holder.id}`, 'Sem arquivos registrados')).toEqual(['Sem arquivos registrados']);
});

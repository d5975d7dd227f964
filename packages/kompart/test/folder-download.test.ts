/**
 * `get file <IP>/<folder>/`: every file a holder registered under a folder, downloaded and
 * verified into a folder of the same name, its tree kept; by full path or by a name that
 * names one folder; an ambiguous name lists its folders.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Program, cleanEnv, freePort, literal, stopAll } from '../../../test/support/program';

const NET = '127.0.90';
let work: string;
let server: string;
let holder: string;

const CONTENT: Record<string, string> = {
  'album/01.txt': 'first track\n',
  'album/02.txt': 'second track\n',
  'album/bonus/03.txt': 'hidden track\n',
  'a/docs/x.md': 'x\n',
  'b/docs/y.md': 'y\n',
};

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kompart-folders-'));
  for (const [path, text] of Object.entries(CONTENT)) {
    mkdirSync(join(work, 'share', path, '..'), { recursive: true });
    writeFileSync(join(work, 'share', path), text);
  }
  server = `${NET}.1:${await freePort(`${NET}.1`)}`;
  const registry = new Program([server, 's']);
  await registry.waitFor(/ouvindo em/);
  holder = `${NET}.2:${await freePort(`${NET}.2`)}`;
  const sharing = new Program([server, 'p', holder, '--no-cache-dir', '--keep-running', '--share', join(work, 'share')], { cwd: work, env: cleanEnv() });
  await sharing.waitFor(/^Pasta .*: 5 arquivos registrados,/);
});

afterAll(async () => {
  await stopAll();
  rmSync(work, { recursive: true, force: true });
});

it('downloads a folder by name and by path, keeping its tree, each file verified', async () => {
  const me = `${NET}.3:${await freePort(`${NET}.3`)}`;
  const downloads = join(work, 'downloads');
  const program = new Program([server, 'p', me, '--no-cache-dir', '--downloads', downloads], { cwd: work, env: cleanEnv() });
  await program.run('register peer', `Peer ${me} registrado`);
  const byName = await program.run(`get file ${holder}/album/`, /^Pasta album salva em /);
  expect(byName).toEqual([
    `Baixando a pasta album de ${holder}: 3 arquivos (38 B)`,
    expect.stringMatching(new RegExp(`^Pasta album salva em ${literal(join(downloads, 'album'))}: 3 arquivos \\(38 B em .*, SHA-256 verificado\\)$`)),
  ]);
  for (const path of ['album/01.txt', 'album/02.txt', 'album/bonus/03.txt']) expect(readFileSync(join(downloads, path), 'utf8')).toBe(CONTENT[path]);

  // By its full path, again: every file is already there, nothing is duplicated.
  const again = await program.run(`get file ${holder}/${join(work, 'share', 'album')}/`, /^Pasta album salva em /);
  expect(again[1]).toMatch(/: 3 arquivos \(38 B em /);
  expect(() => readFileSync(join(downloads, 'album', '01 (1).txt'))).toThrow();

  // A name that names two folders: both listed under one heading; nothing downloaded.
  expect(await program.run(`get file ${holder}/docs/`, `  ${join(work, 'share', 'b', 'docs')}/`)).toEqual([
    `Mais de um arquivo de ${holder} corresponde a "docs/":`,
    `  ${join(work, 'share', 'a', 'docs')}/`,
    `  ${join(work, 'share', 'b', 'docs')}/`,
  ]);
  expect(await program.run(`get file ${holder}/nowhere/`, 'arquivo removido ou indisponível')).toEqual(['arquivo removido ou indisponível']);
});

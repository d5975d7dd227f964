/**
 * Downloads side by side in a real terminal (node-pty): `get file A/x B/y` and a `get
 * file` typed while others run, each with its own bar; other commands typed meanwhile are
 * echoed and run at once; bars fit a narrow terminal with their rate and ETA whole;
 * Ctrl-C cancels what runs; a folder downloads under one bar for the whole. Holders that stall after their first chunk keep the
 * downloads running for as long as the test needs, whatever the machine's speed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Program, cleanEnv, freePort, literal, stopAll } from '../../../test/support/program';
import { KEY, Terminal } from './support/terminal';
import { startStalledHolder, type StalledHolder } from './support/stalled-holder';

const NET = '127.0.86';
let work: string;
let term: Terminal | undefined;
const holders: StalledHolder[] = [];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'kompart-side-by-side-'));
  mkdirSync(join(work, 'share'));
  writeFileSync(join(work, 'share', 'quick.txt'), 'here at once\n');
});

afterAll(async () => {
  term?.close();
  await Promise.all(holders.map((holder) => holder.close()));
  await stopAll();
  rmSync(work, { recursive: true, force: true });
});

it('runs downloads side by side, each with its own bar, runs what is typed meanwhile, fits a narrow terminal, and Ctrl-C cancels them', async () => {
  const server = `${NET}.1:${await freePort(`${NET}.1`)}`;
  const registry = new Program([server, 's']);
  await registry.waitFor(/ouvindo em/);
  const slowA = await startStalledHolder(`${NET}.2`, server, 'first.bin');
  const slowB = await startStalledHolder(`${NET}.3`, server, 'second.bin');
  holders.push(slowA, slowB);
  const quick = `${NET}.4:${await freePort(`${NET}.4`)}`;
  const sharing = new Program([server, 'p', quick, '--no-cache-dir', '--keep-running', '--share', join(work, 'share')], { cwd: work, env: cleanEnv() });
  await sharing.waitFor(/^Pasta .*: 1 arquivo registrado,/);

  const me = `${NET}.5:${await freePort(`${NET}.5`)}`;
  term = new Terminal([server, 'p', me, '--no-cache-dir', '--plaintext-transfers', '--no-menu', '--downloads', join(work, 'downloads')], { cwd: work });
  let at = await term.waitFor('kompart> ');
  term.type(`register peer${KEY.enter}`);
  at = await term.waitFor(`Peer ${me} registrado`, at);

  // Two references in one command: both start, each with a bar of its own.
  term.type(`get file ${slowA.id}/first.bin ${slowB.id}/second.bin${KEY.enter}`);
  await Promise.all([slowA.stalled, slowB.stalled]);
  await term.waitFor(`Baixando first.bin de ${slowA.id} (1,0 MiB)`, at);
  await term.waitFor(`Baixando second.bin de ${slowB.id} (1,0 MiB)`, at);
  await term.waitFor(/Baixando first\.bin \[[█░]+\] 6% 64,0 KiB\/1,0 MiB/, at);
  await term.waitFor(/Baixando second\.bin \[[█░]+\] 6% 64,0 KiB\/1,0 MiB/, at);

  // Typed meanwhile: echoed, and run at once.
  term.type(`list files ${quick}${KEY.enter}`);
  at = await term.waitFor(`kompart> list files ${quick}`, at);
  at = await term.waitFor(`${quick} / quick.txt / `, at);
  term.type(`get file ${quick}/quick.txt${KEY.enter}`);
  at = await term.waitFor(
    new RegExp(`Arquivo quick\\.txt salvo em ${literal(join(work, 'downloads', 'quick.txt'))} \\(13 B em \\d+,\\d s, .*, SHA-256 verificado\\)`),
    at,
  );

  // A narrow terminal: the bars shrink and cut the label, never the rate and the ETA.
  term.resize(60);
  const narrow = term.mark();
  await term.waitFor(/Baixando f… \[░+\] 6% 64,0 KiB\/1,0 MiB [\d,]+ KiB\/s ETA \S+/, narrow);
  await term.waitFor(/Baixando s… \[░+\] 6% 64,0 KiB\/1,0 MiB [\d,]+ KiB\/s ETA \S+/, narrow);
  const barLines = term.text
    .slice(narrow)
    .split('\n')
    .flatMap((line) => line.split(/(?=Baixando )/))
    .filter((line) => line.includes('ETA'));
  expect(barLines.length).toBeGreaterThan(0);
  for (const line of barLines.slice(-2)) expect([...line.trim()].length).toBeLessThanOrEqual(59);

  // Ctrl-C cancels the downloads running, both; the prompt comes back.
  term.type(KEY.ctrlC);
  at = await term.waitFor('Download de first.bin cancelado; o parcial foi mantido para retomar', at);
  await term.waitFor('Download de second.bin cancelado; o parcial foi mantido para retomar', at);
  await term.waitFor('kompart> ', at);
  term.type(`exit${KEY.enter}`);
  await term.waitFor(`Peer ${me} desconectado (0 arquivos removidos)`, at);
  expect((await term.exited).exitCode).toBe(0);
});

it('downloads a folder under one bar for the whole', async () => {
  const server = `${NET}.11:${await freePort(`${NET}.11`)}`;
  const registry = new Program([server, 's']);
  await registry.waitFor(/ouvindo em/);
  const slow = await startStalledHolder(`${NET}.12`, server, ['album/a.bin', 'album/b.bin', 'album/deep/c.bin']);
  holders.push(slow);
  const me = `${NET}.13:${await freePort(`${NET}.13`)}`;
  term?.close();
  term = new Terminal([server, 'p', me, '--no-cache-dir', '--plaintext-transfers', '--no-menu', '--downloads', join(work, 'folder-downloads')], { cwd: work });
  let at = await term.waitFor('kompart> ');
  term.type(`register peer${KEY.enter}`);
  at = await term.waitFor(`Peer ${me} registrado`, at);

  term.type(`get file ${slow.id}/album/${KEY.enter}`);
  at = await term.waitFor(`Baixando a pasta album de ${slow.id}: 3 arquivos (3,0 MiB)`, at);
  await slow.stalled;
  // Three files sent 64 KiB each: one bar adds them up; no file has a bar of its own.
  at = await term.waitFor(/Baixando album\/ \[[█░]+\] 6% 192,0 KiB\/3,0 MiB/, at);
  expect(term.text.slice(at)).not.toMatch(/Baixando (a|b|c)\.bin \[/);

  term.type(KEY.ctrlC);
  at = await term.waitFor('Download de a.bin cancelado; o parcial foi mantido para retomar', at);
  await term.waitFor('kompart> ', at);
  expect(term.text).not.toMatch(/Baixando (a|b|c)\.bin \[/);
});

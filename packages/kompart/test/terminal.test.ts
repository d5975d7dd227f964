/**
 * A person at a terminal: the peer in a real pseudo-terminal (node-pty), driven through
 * the inquirer menu (register, download a file picked from the list, a message arriving
 * while the menu is shown), then the typed prompt (list, tab completion, history, a
 * message arriving while a line is being typed), and Ctrl-C twice to leave.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Program, cleanEnv, freePort, stopAll } from '../../../test/support/program';
import { KEY, Terminal } from './support/terminal';

const NET = '127.0.84';
let work: string;
let terminal: Terminal | undefined;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'kompart-terminal-'));
  mkdirSync(join(work, 'share'));
  writeFileSync(join(work, 'share', 'shared.txt'), 'shared through kompart\n');
});

afterAll(async () => {
  terminal?.close();
  await stopAll();
  rmSync(work, { recursive: true, force: true });
});

it('menu and typed prompt in a real terminal', async () => {
  const server = `${NET}.1:${await freePort(`${NET}.1`)}`;
  const registry = new Program([server, 's']);
  await registry.waitFor(/ouvindo em/);
  const holder = `${NET}.2:${await freePort(`${NET}.2`)}`;
  const holding = new Program([server, 'p', holder, '--no-cache-dir', '--keep-running', '--share', join(work, 'share')], { cwd: work, env: cleanEnv() });
  await holding.waitFor(/^Pasta .*: 1 arquivo registrado,/);
  const sha = createHash('sha256').update('shared through kompart\n').digest('hex');

  const me = `${NET}.3:${await freePort(`${NET}.3`)}`;
  const downloads = join(work, 'downloads');
  terminal = new Terminal([server, 'p', me, '--no-cache-dir', '--downloads', downloads], { cwd: work });
  const term = terminal;

  // The menu is the default on a terminal. Its first entry registers the peer.
  let at = await term.waitFor('O que você quer fazer?');
  await term.waitFor('1. Registrar este peer (register peer)', at);
  await term.waitFor('↑↓ navegar • ⏎ escolher', at);
  term.type(KEY.enter);
  at = await term.waitFor(`Peer ${me} registrado`, at);

  // A message that arrives while the menu is shown is printed, and the menu drawn again.
  at = await term.waitFor('O que você quer fazer?', at);
  const visitor = `${NET}.4:${await freePort(`${NET}.4`)}`;
  const visiting = new Program([server, 'p', visitor, '--no-cache-dir'], { cwd: work, env: cleanEnv() });
  await visiting.run('register peer', `Peer ${visitor} registrado`);
  at = await term.waitFor(`Peer ${visitor} entrou`, at);
  at = await term.waitFor('O que você quer fazer?', at);

  // get file: the remote file is picked from a list built from list files.
  term.type('5');
  await term.waitFor('❯ 5. Baixar um arquivo (get file)', at);
  term.type(KEY.enter);
  at = await term.waitFor('Qual arquivo baixar?', at);
  await term.waitFor(`❯ ${holder} / shared.txt / ${sha.slice(0, 12)} (23 B)`, at);
  term.type(KEY.enter);
  at = await term.waitFor(`Baixando shared.txt de ${holder} (23 B)`, at);
  at = await term.waitFor(
    new RegExp(
      `Arquivo shared\\.txt salvo em ${join(downloads, 'shared.txt').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(23 B em \\d+,\\d s, \\d+(,\\d)? ([KM]i)?B/s, SHA-256 verificado\\)`,
    ),
    at,
  );
  expect(readFileSync(join(downloads, 'shared.txt'), 'utf8')).toBe('shared through kompart\n');

  // From the menu to the typed prompt.
  at = await term.waitFor('O que você quer fazer?', at);
  term.type('7');
  await term.waitFor('❯ 7. Usar o prompt de comandos', at);
  term.type(KEY.enter);
  at = await term.waitFor('Prompt de comandos: digite menu para voltar ao menu.', at);
  await term.waitFor('kompart> ', at);

  term.type(`LIST   files${KEY.enter}`);
  at = await term.waitFor(`${holder} / shared.txt / ${sha} (23 B)`, at);
  await term.waitFor('kompart> ', at);

  // Tab completes the remote file from the last listing.
  term.type(`get file ${holder}/sh${KEY.tab}`);
  at = await term.waitFor(`kompart> get file ${holder}/shared.txt`, at);
  term.type(KEY.enter);
  at = await term.waitFor(`Arquivo shared.txt já está em ${join(downloads, 'shared.txt')}`, at);
  await term.waitFor('kompart> ', at);

  // A message while a line is being typed: printed above, the line kept.
  term.type('disc');
  await term.waitFor('kompart> disc', at);
  visiting.send('exit');
  at = await term.waitFor(`Peer ${visitor} saiu`, at);
  at = await term.waitFor('kompart> disc', at);
  term.type(`onnect${KEY.enter}`);
  at = await term.waitFor(`Peer ${me} desconectado (0 arquivos removidos)`, at);

  // History: up arrow brings back the last command.
  term.type(KEY.up);
  await term.waitFor('kompart> disconnect', at);
  term.type(KEY.enter);
  at = await term.waitFor('Peer não registrado', at);

  term.type(`help${KEY.enter}`);
  at = await term.waitFor('menu                               volta ao menu interativo', at);

  // Ctrl-C twice at an empty prompt leaves cleanly (the first says how).
  term.type(`register peer${KEY.enter}`);
  at = await term.waitFor(`Peer ${me} registrado`, at);
  await term.waitFor('kompart> ', at);
  term.type(KEY.ctrlC);
  at = await term.waitFor('(Para sair, tecle Ctrl-C de novo, Ctrl-D ou digite exit)', at);
  term.type(KEY.ctrlC);
  await term.waitFor(`Peer ${me} desconectado (0 arquivos removidos)`, at);
  expect((await term.exited).exitCode).toBe(0);
  expect(term.text).not.toMatch(/\bat .*\.js:\d+/);
});

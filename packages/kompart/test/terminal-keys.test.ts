/**
 * The keys a shell user reaches for, in a real terminal (node-pty) with the program
 * started from an interactive bash, so that job control is real: Ctrl-C as in Node's REPL
 * (clears the line, cancels the running command, says how to leave, leaves on the second),
 * Ctrl-Z then `fg` (the screen comes back and answers keys), and the menu's path question
 * (Tab completes, Esc / Ctrl-C / an empty answer go back to the menu), and the menu's
 * unregister entry (picked among the peer's own shares).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Program, freePort, stopAll } from '../../../test/support/program';
import { KEY, SHELL_PROMPT, Terminal } from './support/terminal';
import { startStalledHolder, type StalledHolder } from './support/stalled-holder';

const NET = '127.0.85';
let work: string;
let server: string;
const terminals: Terminal[] = [];
const holders: StalledHolder[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kompart-keys-'));
  mkdirSync(join(work, 'share'));
  writeFileSync(join(work, 'share', 'shared.txt'), 'shared through kompart\n');
  server = `${NET}.1:${await freePort(`${NET}.1`)}`;
  const registry = new Program([server, 's']);
  await registry.waitFor(/ouvindo em/);
});

afterAll(async () => {
  for (const terminal of terminals) terminal.close();
  await Promise.all(holders.map((holder) => holder.close()));
  await stopAll();
  rmSync(work, { recursive: true, force: true });
});

const peerIn = async (host: string, extra: string[]): Promise<{ term: Terminal; me: string }> => {
  const me = `${host}:${await freePort(host)}`;
  const term = Terminal.inShell([server, 'p', me, '--no-cache-dir', '--plaintext-transfers', '--downloads', join(work, `downloads-${host}`), ...extra], {
    cwd: work,
  });
  terminals.push(term);
  return { term, me };
};

it('typed prompt: Ctrl-C clears the line, cancels a download only, and leaves on the second at an empty prompt; Ctrl-Z and fg', async () => {
  const { term, me } = await peerIn(`${NET}.2`, ['--no-menu']);
  let at = await term.waitFor('kompart> ');

  // Ctrl-C with text typed drops the text, and the prompt takes the next line afresh.
  term.type('list fi');
  await term.waitFor('list fi', at);
  term.type(KEY.ctrlC);
  term.type(`register peer${KEY.enter}`);
  at = await term.waitFor(`Peer ${me} registrado`, at);
  expect(term.text.slice(at)).not.toContain('Comando desconhecido');

  // At an empty prompt the first Ctrl-C says how to leave; any other key starts over.
  term.type(KEY.ctrlC);
  at = await term.waitFor('(Para sair, tecle Ctrl-C de novo, Ctrl-D ou digite exit)', at);
  term.type(`help${KEY.enter}`);
  at = await term.waitFor('volta ao menu interativo', at);
  term.type(KEY.ctrlC);
  at = await term.waitFor('(Para sair, tecle Ctrl-C de novo', at);
  term.type(`list files${KEY.enter}`);
  at = await term.waitFor('Sem arquivos registrados', at);

  // Ctrl-Z stops the program; fg brings the prompt back, and it reads keys again.
  await term.waitFor('kompart> ', at);
  term.type(KEY.ctrlZ);
  at = await term.waitFor(/Stopped/, at);
  await term.waitFor(SHELL_PROMPT, at);
  term.type(`fg${KEY.enter}`);
  at = await term.waitFor('kompart> ', at);
  term.type(`list files${KEY.enter}`);
  at = await term.waitFor('Sem arquivos registrados', at);

  // Ctrl-C during a download cancels it; the partial file stays and the peer carries on.
  const holder = await startStalledHolder(`${NET}.3`, server);
  holders.push(holder);
  term.type(`get file ${holder.id}/${holder.name}${KEY.enter}`);
  at = await term.waitFor(`Baixando ${holder.name} de ${holder.id}`, at);
  await holder.stalled;
  term.type(KEY.ctrlC);
  at = await term.waitFor(`Download de ${holder.name} cancelado; o parcial foi mantido para retomar`, at);
  expect(readdirSync(join(work, `downloads-${NET}.2`)).some((name) => name.endsWith('.part'))).toBe(true);
  expect(existsSync(join(work, `downloads-${NET}.2`, holder.name))).toBe(false);
  term.type(`list files${KEY.enter}`);
  at = await term.waitFor(new RegExp(`${holder.id.replace(/\./g, '\\.')} / ${holder.name} / `), at);

  // Two Ctrl-C in a row at an empty prompt leave, disconnecting first; the exit status is 0.
  await term.waitFor('kompart> ', at);
  term.type(KEY.ctrlC);
  at = await term.waitFor('(Para sair, tecle Ctrl-C de novo', at);
  term.type(KEY.ctrlC);
  at = await term.waitFor(`Peer ${me} desconectado (0 arquivos removidos)`, at);
  await term.waitFor(SHELL_PROMPT, at);
  term.type(`echo "status=$?"${KEY.enter}`);
  await term.waitFor('status=0', at);
  expect(term.text).not.toMatch(/\bat .*\.js:\d+/);
});

it('menu: the path question completes with Tab and goes back with Esc, Ctrl-C or nothing; Ctrl-Z and fg redraw the menu', async () => {
  const { term, me } = await peerIn(`${NET}.4`, []);
  let at = await term.waitFor('O que você quer fazer?');
  term.type(KEY.enter);
  at = await term.waitFor(`Peer ${me} registrado`, at);

  const openPathQuestion = async (): Promise<void> => {
    at = await term.waitFor('O que você quer fazer?', at);
    term.type('2');
    await term.waitFor('❯ 2. Registrar um arquivo ou pasta (register file)', at);
    term.type(KEY.enter);
    at = await term.waitFor('Caminho do arquivo ou pasta:', at);
    await term.waitFor('Tab completa • ⏎ registra • Esc volta ao menu', at);
  };

  // Tab completes a path (tabs never end up in it); Esc goes back with nothing registered.
  await openPathQuestion();
  term.type(`sh${KEY.tab}`);
  at = await term.waitFor('Caminho do arquivo ou pasta: share/', at);
  term.type(KEY.tab);
  at = await term.waitFor('Caminho do arquivo ou pasta: share/shared.txt', at);
  term.type(KEY.esc);
  await openPathQuestion();

  // Ctrl-C in the question goes back to the menu; the peer stays.
  term.type('abc');
  await term.waitFor('abc', at);
  term.type(KEY.ctrlC);
  await openPathQuestion();

  // An empty answer goes back too; a completed one registers.
  term.type(KEY.enter);
  await openPathQuestion();
  term.type(`share/sh${KEY.tab}`);
  at = await term.waitFor('Caminho do arquivo ou pasta: share/shared.txt', at);
  term.type(KEY.enter);
  at = await term.waitFor(`Arquivo ${join(work, 'share', 'shared.txt')} registrado (23 B,`, at);
  expect(term.text).not.toContain('registrado (0 B');

  // Ctrl-Z while the menu is shown, then fg: the menu is drawn again as it was (on its
  // last choice; inquirer also took the Ctrl-Z as a search, which the redraw undoes) and
  // takes keys.
  at = await term.waitFor('❯ 2. Registrar um arquivo ou pasta (register file)', at);
  term.type(KEY.ctrlZ);
  at = await term.waitFor(/Stopped/, at);
  await term.waitFor(SHELL_PROMPT, at);
  term.type(`fg${KEY.enter}`);
  at = await term.waitFor('❯ 2. Registrar um arquivo ou pasta (register file)', at);
  term.type('4');
  await term.waitFor('❯ 4. Listar os arquivos (list files)', at);
  term.type(KEY.enter);
  at = await term.waitFor(`${me} / shared.txt / `, at);

  // unregister file: picked among this peer's own shares; "back" changes nothing.
  const openOwnFiles = async (): Promise<void> => {
    at = await term.waitFor('O que você quer fazer?', at);
    term.type('3');
    await term.waitFor('❯ 3. Tirar um arquivo do índice (unregister file)', at);
    term.type(KEY.enter);
    at = await term.waitFor('Qual arquivo tirar do índice?', at);
    await term.waitFor(`❯ ${join(work, 'share', 'shared.txt')} (23 B)`, at);
  };
  await openOwnFiles();
  term.type(KEY.down);
  await term.waitFor('❯ (voltar)', at);
  term.type(KEY.enter);
  await openOwnFiles();
  term.type(KEY.enter);
  at = await term.waitFor(`Arquivo ${join(work, 'share', 'shared.txt')} removido do índice (23 B, sha256 `, at);
  at = await term.waitFor('O que você quer fazer?', at);
  term.type('3');
  await term.waitFor('❯ 3. Tirar um arquivo do índice (unregister file)', at);
  term.type(KEY.enter);
  at = await term.waitFor('Este peer não registrou nenhum arquivo.', at);

  // Ctrl-C on the menu says how to leave; the second one in a row leaves.
  at = await term.waitFor('O que você quer fazer?', at);
  term.type(KEY.ctrlC);
  at = await term.waitFor('(Para sair, tecle Ctrl-C de novo ou escolha Sair)', at);
  await term.waitFor('O que você quer fazer?', at);
  term.type(KEY.ctrlC);
  at = await term.waitFor(`Peer ${me} desconectado (0 arquivos removidos)`, at);
  await term.waitFor(SHELL_PROMPT, at);
  expect(term.text).not.toMatch(/\bat .*\.js:\d+/);
});

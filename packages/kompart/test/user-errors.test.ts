/**
 * Errors as a user meets them, in pt and en, with no internal English text: what can be
 * told at start-up is (an address that is not this computer's, a registry name that does
 * not resolve, a downloads folder that is not a folder), before anything runs; a bad
 * address in `get file` is a usage line; error lines go to standard error when standard
 * output is not a terminal; colours on a terminal only, never with NO_COLOR.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Program, cleanEnv, freePort, stopAll } from '../../../test/support/program';
import { KEY, Terminal } from './support/terminal';

const NET = '127.0.88';
let work: string;
let server: string;
const terminals: Terminal[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kompart-user-errors-'));
  writeFileSync(join(work, 'a-file'), 'not a folder\n');
  server = `${NET}.1:${await freePort(`${NET}.1`)}`;
  const registry = new Program([server, 's']);
  await registry.waitFor(/ouvindo em/);
});

afterAll(async () => {
  for (const terminal of terminals) terminal.close();
  await stopAll();
  rmSync(work, { recursive: true, force: true });
});

/** Runs the program to its end with no input; its exit code and what it printed. */
async function once(args: string[]): Promise<{ code: number | null; out: string[]; err: string[] }> {
  const program = new Program(args, { cwd: work, env: cleanEnv() });
  program.end();
  const { code } = await program.exit();
  return { code, out: program.out, err: program.err };
}

describe.each([
  ['pt', [], 'não é um endereço deste computador', 'O nome nosuch.invalid do servidor não foi encontrado (DNS): confira o endereço', 'não é uma pasta'],
  ['en', ['--lang', 'en'], 'is not an address of this computer', 'The registry name nosuch.invalid was not found (DNS): check the address', 'is not a folder'],
])('at start-up, in %s', (_lang, langArgs, notLocal, noName, notFolder) => {
  it('a host address that is not this computer’s is one line on standard error (exit code 3)', async () => {
    const { code, out, err } = await once([server, 'p', '10.255.255.77', ...langArgs]);
    expect(code).toBe(3);
    expect(out).toEqual([]);
    expect(err).toEqual([expect.stringContaining(`10.255.255.77:50052: 10.255.255.77 ${notLocal}`)]);
  });

  it('a registry name that does not resolve is one line (exit code 2)', async () => {
    const { code, out, err } = await once(['nosuch.invalid', 'p', `${NET}.2`, ...langArgs]);
    expect([code, out, err]).toEqual([2, [], [noName]]);
  });

  it('--downloads that is not a folder is one line (exit code 2), and nothing starts', async () => {
    const { code, out, err } = await once([server, 'p', `${NET}.2`, '--downloads', join(work, 'a-file', 'inside'), ...langArgs]);
    expect([code, out]).toEqual([2, []]);
    expect(err).toEqual([`--downloads ${join(work, 'a-file', 'inside')}: ${join(work, 'a-file')} ${notFolder}`]);
  });
});

it('piped: results on standard output, errors on standard error; a bad address in get file is its usage', async () => {
  const me = `${NET}.3:${await freePort(`${NET}.3`)}`;
  const program = new Program([server, 'p', me, '--no-cache-dir', '--downloads', join(work, 'downloads')], { cwd: work, env: cleanEnv() });
  program.send('register peer', 'get file 999.1.1.1/x.txt', 'get file localhost/x.txt', `get file ${NET}.9/x.txt`, 'list files');
  program.end();
  expect((await program.exit()).code).toBe(1);
  expect(program.err).toEqual(['Uso: get file <IP>/<nome ou hash>', 'Uso: get file <IP>/<nome ou hash>', `Peer ${NET}.9 offline`]);
  expect(program.out.slice(1)).toEqual([`Peer ${me} registrado`, 'Sem arquivos registrados', `Peer ${me} desconectado (0 arquivos removidos)`]);
  expect(program.out.join('\n')).not.toContain('\x1b[');
});

it('colours on a terminal: errors red, results green; none with NO_COLOR', async () => {
  for (const noColor of [false, true]) {
    const me = `${NET}.4:${await freePort(`${NET}.4`)}`;
    const term = new Terminal([server, 'p', me, '--no-cache-dir', '--no-menu', '--downloads', join(work, 'downloads')], {
      cwd: work,
      env: noColor ? { NO_COLOR: '1' } : {},
    });
    terminals.push(term);
    let at = await term.waitFor('kompart> ');
    term.type(`register peer${KEY.enter}`);
    at = await term.waitFor(`Peer ${me} registrado`, at);
    term.type(`get file ${NET}.9/x.txt${KEY.enter}`);
    at = await term.waitFor(`Peer ${NET}.9 offline`, at);
    const red = `\x1b[31mPeer ${NET}.9 offline\x1b[39m`;
    const green = `\x1b[32mPeer ${me} registrado\x1b[39m`;
    expect([term.raw.includes(red), term.raw.includes(green)]).toEqual([!noColor, !noColor]);
    term.type(`exit${KEY.enter}`);
    await term.exited;
  }
});

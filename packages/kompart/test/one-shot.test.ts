/**
 * The peer in scripts: `--do` runs commands and leaves with the documented exit code
 * (standard input is not read), from flags or KOMPART_DO; `--share` with a piped
 * `register peer` is not a failure.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Program, cleanEnv, freePort, literal, stopAll } from '../../../test/support/program';

const NET = '127.0.89';
let work: string;
let server: string;
let holder: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kompart-one-shot-'));
  mkdirSync(join(work, 'share'));
  writeFileSync(join(work, 'share', 'report.txt'), 'quarterly numbers\n');
  server = `${NET}.1:${await freePort(`${NET}.1`)}`;
  const registry = new Program([server, 's']);
  await registry.waitFor(/ouvindo em/);
  holder = `${NET}.2:${await freePort(`${NET}.2`)}`;
  const sharing = new Program([server, 'p', holder, '--no-cache-dir', '--keep-running', '--share', join(work, 'share')], { cwd: work, env: cleanEnv() });
  await sharing.waitFor(/^Pasta .*: 1 arquivo registrado,/);
});

afterAll(async () => {
  await stopAll();
  rmSync(work, { recursive: true, force: true });
});

const peerArgs = async (host: string, name: string): Promise<{ id: string; args: string[] }> => {
  const id = `${host}:${await freePort(host)}`;
  return { id, args: [server, 'p', id, '--no-cache-dir', '--downloads', join(work, name)] };
};

it('--do runs the commands in order and leaves (exit code 0), without reading standard input', async () => {
  const { id, args } = await peerArgs(`${NET}.3`, 'do-ok');
  // Standard input stays open: were it read, the program would wait for it.
  const program = new Program([...args, '--do', 'register peer', '--do', `get file ${holder}/report.txt`], { cwd: work, env: cleanEnv() });
  expect((await program.exit()).code).toBe(0);
  expect(program.out).toEqual([
    expect.stringMatching(/ pronto: /),
    `Peer ${id} registrado`,
    `Baixando report.txt de ${holder} (18 B)`,
    expect.stringMatching(new RegExp(`^Arquivo report\\.txt salvo em ${literal(join(work, 'do-ok', 'report.txt'))} \\(18 B em .*, SHA-256 verificado\\)$`)),
    `Peer ${id} desconectado (0 arquivos removidos)`,
  ]);
  expect(program.err).toEqual([]);
  expect(readFileSync(join(work, 'do-ok', 'report.txt'), 'utf8')).toBe('quarterly numbers\n');
});

it('--do from KOMPART_DO, one command per line; a failed command makes the exit code 1', async () => {
  const { args } = await peerArgs(`${NET}.4`, 'do-fail');
  const program = new Program(args, { cwd: work, env: cleanEnv({ KOMPART_DO: `register peer\nget file ${holder}/missing.txt\nlist files ${holder}` }) });
  expect((await program.exit()).code).toBe(1);
  expect(program.err).toEqual(['arquivo removido ou indisponível']);
  expect(program.out).toContainEqual(`${holder} / report.txt / ${createHash('sha256').update('quarterly numbers\n').digest('hex')} (18 B)`);
});

it('--share with a piped register peer: the peer is already registered, and that is no failure', async () => {
  const { id, args } = await peerArgs(`${NET}.5`, 'shared');
  mkdirSync(join(work, 'mine'));
  writeFileSync(join(work, 'mine', 'a.txt'), 'a\n');
  const program = new Program([...args, '--share', join(work, 'mine')], { cwd: work, env: cleanEnv() });
  program.send('register peer', `list files ${id}`);
  program.end();
  expect((await program.exit()).code).toBe(0);
  expect(program.out).toContain(`Peer ${id} já registrado`);
  expect(program.out).toContainEqual(expect.stringMatching(new RegExp(`^${literal(id)} / a\\.txt / `)));
  expect(program.err).toEqual([]);
});

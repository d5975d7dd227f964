/**
 * The registry's `--tls auto` (issue 20, item 2), with real `kompart` processes: the
 * registry makes and keeps a self-signed certificate and prints its SHA-256; a peer pins
 * it with --registry-fingerprint, or trusts it on first use with --tls auto and remembers
 * it in $XDG_STATE_HOME/kompart/known_registries (like SSH's known_hosts); a changed or
 * unpinned certificate is refused with its own message before anything is sent; a
 * plaintext peer cannot reach such a registry.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Program, cleanEnv, freePort, stopAll } from '../../../test/support/program';

let work: string;
let state: string;
const env = (): NodeJS.ProcessEnv => cleanEnv({ XDG_STATE_HOME: state });
const FINGERPRINT = /SHA-256 ([0-9a-f]{64});/;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'kompart-tls-auto-'));
  state = join(work, 'state');
  mkdirSync(join(work, 'share'));
  writeFileSync(join(work, 'share', 'note.txt'), 'pinned registry\n');
});

afterAll(async () => {
  await stopAll();
  rmSync(work, { recursive: true, force: true });
});

/** Starts a registry with --tls auto on `server` and returns it with the fingerprint it printed. */
async function tlsRegistry(server: string, ...extra: string[]): Promise<{ registry: Program; fingerprint: string }> {
  const registry = new Program([server, 's', '--tls', 'auto', ...extra], { cwd: work, env: env() });
  const line = await registry.waitFor(FINGERPRINT);
  return { registry, fingerprint: FINGERPRINT.exec(line)![1]! };
}

it('prints and keeps its fingerprint; a pinning peer and a trusting one register, list and download; a plaintext peer gets nothing', async () => {
  const server = `127.0.0.1:${await freePort('127.0.0.1')}`;
  const first = await tlsRegistry(server);
  const identity = join(state, 'kompart', 'registry', server.replace(':', '_'), 'identity.pem');
  expect(statSync(identity).mode & 0o777).toBe(0o600);
  expect(
    createHash('sha256')
      .update(new X509Certificate(readFileSync(identity)).raw)
      .digest('hex'),
  ).toBe(first.fingerprint);

  // A restart presents the same certificate: nothing for peers to learn again.
  await first.registry.stop();
  const { fingerprint } = await tlsRegistry(server);
  expect(fingerprint).toBe(first.fingerprint);

  const holder = `127.0.0.31:${await freePort('127.0.0.31')}`;
  const holding = new Program([server, 'p', holder, '--no-cache-dir', '--share', 'share', '--keep-running', '--registry-fingerprint', fingerprint], {
    cwd: work,
    env: env(),
  });
  await holding.waitFor(/^Pasta .*: 1 arquivo registrado,/);

  const me = `127.0.0.32:${await freePort('127.0.0.32')}`;
  const trusting = new Program([server, 'p', me, '--no-cache-dir', '--downloads', 'downloads', '--tls', 'auto'], { cwd: work, env: env() });
  const knownFile = join(state, 'kompart', 'known_registries');
  const lines = await trusting.run('register peer', `Peer ${me} registrado`);
  expect(lines).toContain(`Registro ${server} confiado no primeiro uso: certificado SHA-256 ${fingerprint}, guardado em ${knownFile}`);
  expect(readFileSync(knownFile, 'utf8')).toBe(`${server} ${fingerprint}\n`);
  await trusting.run(`get file ${holder}/note.txt`, /^Arquivo note\.txt salvo em .* SHA-256 verificado\)$/);
  expect(readFileSync(join(work, 'downloads', 'note.txt'), 'utf8')).toBe('pinned registry\n');

  const plain = `127.0.0.33:${await freePort('127.0.0.33')}`;
  const plaintext = new Program([server, 'p', plain, '--no-cache-dir'], { cwd: work, env: env() });
  await plaintext.waitFor(/ pronto: /);
  expect(await plaintext.run('register peer', `Servidor ${server} inacessível`)).toEqual([`Servidor ${server} inacessível`]);
});

it('refuses a changed certificate and one other than the pinned, naming both, and sends nothing', async () => {
  const server = `127.0.0.1:${await freePort('127.0.0.1')}`;
  const old = await tlsRegistry(server, '--identity', 'registry-old');
  const me = `127.0.0.34:${await freePort('127.0.0.34')}`;
  const learning = new Program([server, 'p', me, '--no-cache-dir', '--tls', 'auto'], { cwd: work, env: env() });
  await learning.run('register peer', `Peer ${me} registrado`);
  await learning.stop();
  await old.registry.stop();

  // Another registry (another key) on the same address: the trusting peer refuses it.
  const impostor = await tlsRegistry(server, '--identity', 'registry-new');
  expect(impostor.fingerprint).not.toBe(old.fingerprint);
  const knownFile = join(state, 'kompart', 'known_registries');
  const again = new Program([server, 'p', me, '--no-cache-dir', '--tls', 'auto', '--lang', 'en'], { cwd: work, env: env() });
  const changed = `Registry ${server}'s certificate changed (known ${old.fingerprint}, presented ${impostor.fingerprint}); nothing was sent. If the change is expected, delete ${server}'s line in ${knownFile}`;
  await again.waitFor(/ ready: /);
  expect(await again.run('register peer', changed)).toEqual([changed]);

  const pinning = new Program([server, 'p', `127.0.0.35:${await freePort('127.0.0.35')}`, '--no-cache-dir', '--registry-fingerprint', old.fingerprint], {
    cwd: work,
    env: env(),
  });
  await pinning.waitFor(/ pronto: /);
  const mismatch = `O registro ${server} apresentou o certificado ${impostor.fingerprint}, não o fixado por --registry-fingerprint (${old.fingerprint}); nada foi enviado`;
  expect(await pinning.run('register peer', mismatch)).toEqual([mismatch]);
  // Neither reached the impostor's service: no session was opened there.
  expect(impostor.registry.transcript()).not.toMatch(/registrado/);
  expect(
    readFileSync(knownFile, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith(`${server} `)),
  ).toEqual([`${server} ${old.fingerprint}`]);
});

it('refuses bad --tls and --registry-fingerprint values, and --tls auto with --tls-* files, as usage errors (exit code 2)', async () => {
  const cases: [string[], string][] = [
    [['127.0.0.1', 's', '--tls', 'on', '--lang', 'en'], 'Invalid value for --tls: "on" (use auto)'],
    [
      ['127.0.0.1', 'p', '127.0.0.2', '--registry-fingerprint', 'abc', '--lang', 'en'],
      'Invalid value for --registry-fingerprint: "abc" (the certificate\'s SHA-256: 64 hex digits, ":" allowed)',
    ],
    [
      ['127.0.0.1', 's', '--tls', 'auto', '--tls-cert', 'c.pem', '--tls-key', 'k.pem', '--lang', 'en'],
      '--tls auto and --registry-fingerprint do not go with --tls-cert, --tls-key or --tls-ca',
    ],
    [
      ['127.0.0.1', 'p', '127.0.0.2', '--registry-fingerprint', 'ab'.repeat(32), '--tls-ca', 'ca.pem', '--lang', 'en'],
      '--tls auto and --registry-fingerprint do not go with --tls-cert, --tls-key or --tls-ca',
    ],
  ];
  for (const [args, message] of cases) {
    const program = new Program(args, { cwd: work, env: env() });
    expect({ args, exit: (await program.exit()).code, first: program.err[0] }).toEqual({ args, exit: 2, first: message });
  }
});

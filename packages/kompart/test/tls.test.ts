/**
 * TLS from the command line: a registry and two peers with --tls-cert/--tls-key/--tls-ca
 * (mutual TLS, certificates made by openssl for this run) register, list and download; a
 * peer without TLS cannot reach that registry; an unreadable file is a usage error.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestCertificates } from '../../../test/support/certificates';
import { Program, cleanEnv, freePort, literal, stopAll } from '../../../test/support/program';

let work: string;
let tlsArgs: string[];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'kompart-tls-'));
  const certs = makeTestCertificates();
  writeFileSync(join(work, 'ca.pem'), certs.ca);
  writeFileSync(join(work, 'cert.pem'), certs.trusted.cert);
  writeFileSync(join(work, 'key.pem'), certs.trusted.key);
  tlsArgs = ['--tls-cert', 'cert.pem', '--tls-key', 'key.pem', '--tls-ca', 'ca.pem'];
  mkdirSync(join(work, 'share'));
  writeFileSync(join(work, 'share', 'secret.txt'), 'over TLS\n');
});

afterAll(async () => {
  await stopAll();
  rmSync(work, { recursive: true, force: true });
});

it('registry and peers over mutual TLS; a plaintext peer cannot reach the registry', async () => {
  const server = `127.0.0.1:${await freePort('127.0.0.1')}`;
  const registry = new Program([server, 's', ...tlsArgs], { cwd: work, env: cleanEnv() });
  await registry.waitFor(/ouvindo em/);

  const holder = `127.0.0.17:${await freePort('127.0.0.17')}`;
  const holding = new Program([server, 'p', holder, '--no-cache-dir', '--share', 'share', '--keep-running'], {
    cwd: work,
    env: cleanEnv({ KOMPART_TLS_CERT: 'cert.pem', KOMPART_TLS_KEY: 'key.pem', KOMPART_TLS_CA: 'ca.pem' }),
  });
  await holding.waitFor(/^Pasta .*: 1 arquivo registrado,/);

  const me = `127.0.0.18:${await freePort('127.0.0.18')}`;
  const fetching = new Program([server, 'p', me, '--no-cache-dir', '--downloads', 'downloads', ...tlsArgs], { cwd: work, env: cleanEnv() });
  await fetching.run('register peer', `Peer ${me} registrado`);
  const sha = createHash('sha256').update('over TLS\n').digest('hex');
  expect(await fetching.run('list files', `${holder} / secret.txt / ${sha} (9 B)`)).toEqual([`${holder} / secret.txt / ${sha} (9 B)`]);
  await fetching.run(
    `get file ${holder}/secret.txt`,
    new RegExp(`^Arquivo secret\\.txt salvo em ${literal(join(work, 'downloads', 'secret.txt'))} \\(9 B em .*, SHA-256 verificado\\)$`),
  );
  expect(readFileSync(join(work, 'downloads', 'secret.txt'), 'utf8')).toBe('over TLS\n');

  const plain = `127.0.0.19:${await freePort('127.0.0.19')}`;
  const plaintext = new Program([server, 'p', plain, '--no-cache-dir'], { cwd: work, env: cleanEnv() });
  await plaintext.waitFor(/ pronto: /);
  expect(await plaintext.run('register peer', `Servidor ${server} inacessível`)).toEqual([`Servidor ${server} inacessível`]);
});

it('an unreadable TLS file or a certificate without its key is a usage error (exit code 2)', async () => {
  const missing = new Program(['127.0.0.1', 's', '--tls-cert', 'nope.pem', '--tls-key', 'key.pem'], { cwd: work, env: cleanEnv() });
  expect((await missing.exit()).code).toBe(2);
  expect(missing.err).toEqual([`Não foi possível ler o arquivo TLS ${join(work, 'nope.pem')}: ENOENT`]);
  const alone = new Program(['127.0.0.1', 'p', '127.0.0.2', '--tls-cert', 'cert.pem', '--lang', 'en'], { cwd: work, env: cleanEnv() });
  expect((await alone.exit()).code).toBe(2);
  expect(alone.err[0]).toBe('--tls-cert and --tls-key go together');
});

/**
 * Test certificates, made fresh by each test run with the openssl command line: a CA, a
 * certificate for the loopback addresses tests use (server and client use), and a
 * certificate from another, untrusted CA.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Identity {
  readonly cert: Buffer;
  readonly key: Buffer;
}

export interface TestCertificates {
  readonly ca: Buffer;
  /** Signed by `ca`, valid for 127.0.0.1-127.0.0.20 and localhost, for servers and clients. */
  readonly trusted: Identity;
  /** Signed by a CA nobody trusts. */
  readonly stranger: Identity;
}

export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'kompart-certs-'));
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  try {
    const sans = ['DNS:localhost', ...Array.from({ length: 20 }, (_, i) => `IP:127.0.0.${i + 1}`)].join(',');
    writeFileSync(join(dir, 'leaf.ext'), `subjectAltName=${sans}\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n`);
    const authority = (name: string): void =>
      openssl(
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '2',
        '-subj',
        `/CN=${name}`,
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.crt`,
      );
    const leaf = (name: string, ca: string): void => {
      openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
      openssl(
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        `${ca}.crt`,
        '-CAkey',
        `${ca}.key`,
        '-CAcreateserial',
        '-days',
        '2',
        '-extfile',
        'leaf.ext',
        '-out',
        `${name}.crt`,
      );
    };
    authority('test-ca');
    authority('other-ca');
    leaf('trusted', 'test-ca');
    leaf('stranger', 'other-ca');
    const read = (file: string): Buffer => readFileSync(join(dir, file));
    return {
      ca: read('test-ca.crt'),
      trusted: { cert: read('trusted.crt'), key: read('trusted.key') },
      stranger: { cert: read('stranger.crt'), key: read('stranger.key') },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

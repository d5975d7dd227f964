import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IdentityFolderError, loadOrCreateIdentity } from './self-signed-identity';

describe('loadOrCreateIdentity', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kompart-identity-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('makes an identity once, 0600, and reads back the same one', async () => {
    const made = await loadOrCreateIdentity(dir, 'test');
    expect(statSync(join(dir, 'identity.pem')).mode & 0o777).toBe(0o600);
    const again = await loadOrCreateIdentity(dir, 'test');
    expect(again.fingerprint.equals(made.fingerprint)).toBe(true);
  });

  it.each([
    ['garbage', 'not a key at all\n', 'not a private key and a certificate (PEM)'],
    ['a key without a certificate', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', 'not a private key and a certificate (PEM)'],
    [
      'a certificate that does not parse',
      '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
      'not a valid certificate',
    ],
  ])('refuses a corrupt identity.pem (%s) and never replaces it: others may have pinned it', async (_case, content, detail) => {
    const path = join(dir, 'identity.pem');
    writeFileSync(path, content, { mode: 0o600 });
    const error = await loadOrCreateIdentity(dir, 'test').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdentityFolderError);
    expect((error as IdentityFolderError).detail).toBe(detail);
    expect(readFileSync(path, 'utf8')).toBe(content);
  });
});

import 'reflect-metadata';
import { createHash, webcrypto, X509Certificate } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { X509CertificateGenerator } from '@peculiar/x509';

/**
 * A key pair and self-signed certificate that name one kompart process without any CA:
 * others know it by the SHA-256 of its certificate (its fingerprint), learnt from the
 * registry (peers) or pinned by the user (the registry's `--tls auto`).
 */
export interface SelfSignedIdentity {
  /** The certificate, PEM. */
  readonly cert: Buffer;
  /** The private key, PEM (PKCS#8). */
  readonly key: Buffer;
  /** SHA-256 of the certificate's DER encoding, 32 bytes. */
  readonly fingerprint: Buffer;
}

/** The one file of an identity folder: private key and certificate, PEM, mode 0600. */
const IDENTITY_FILE = 'identity.pem';
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
/** Certificates made here are valid from a day before their making (clocks disagree) for 100 years. */
const DAY_MS = 86_400_000;
const VALID_YEARS = 100;

/** SHA-256 of a certificate's DER encoding. */
export function certificateFingerprint(der: Uint8Array): Buffer {
  return createHash('sha256').update(der).digest();
}

/** Makes a fresh identity: an ECDSA P-256 key pair and a self-signed certificate for `commonName`. */
export async function createSelfSignedIdentity(commonName: string): Promise<SelfSignedIdentity> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const now = Date.now();
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + VALID_YEARS);
  const certificate = await X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
        .toString('hex')
        .replace(/^[89a-f]/, '1'),
      name: `CN=${commonName.replace(/[,=+<>#;"\\]/g, '_')}`,
      notBefore: new Date(now - DAY_MS),
      notAfter,
      keys,
      signingAlgorithm: ALGORITHM,
    },
    webcrypto as Parameters<typeof X509CertificateGenerator.createSelfSigned>[1],
  );
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const der = Buffer.from(certificate.rawData);
  return {
    cert: Buffer.from(certificate.toString('pem')),
    key: Buffer.from(`-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END PRIVATE KEY-----\n`),
    fingerprint: certificateFingerprint(der),
  };
}

/** Why an identity folder could not be used: the path and the system's words. */
export class IdentityFolderError extends Error {
  constructor(
    readonly path: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`identity ${path}: ${detail}`, options);
    this.name = 'IdentityFolderError';
  }
}

/**
 * The identity kept in `dir` (`identity.pem`: the private key, then the certificate):
 * read when it is there, made and written on first use otherwise (folder 0700, file 0600,
 * written under a temporary name and hard-linked into place, so a crash never leaves half
 * a key and two processes starting at once end up with the same identity). A file that
 * does not hold a key and a certificate is an IdentityFolderError: it is never silently
 * replaced, since others may have pinned it.
 */
export async function loadOrCreateIdentity(dir: string, commonName: string): Promise<SelfSignedIdentity> {
  const path = join(dir, IDENTITY_FILE);
  const existing = await readIfThere(path);
  if (existing !== undefined) return parseIdentity(path, existing);
  const made = await createSelfSignedIdentity(commonName);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (await writeNew(path, Buffer.concat([made.key, made.cert]), 0o600)) return made;
  } catch (error) {
    throw new IdentityFolderError(dir, (error as NodeJS.ErrnoException).code ?? String(error), { cause: error });
  }
  // Another process made it first: use that one.
  return parseIdentity(path, (await readIfThere(path)) ?? Buffer.alloc(0));
}

/** The identity in `pem` (a private key and a certificate, PEM); an IdentityFolderError naming `path` otherwise. */
export function parseIdentity(path: string, pem: Buffer): SelfSignedIdentity {
  const text = pem.toString('utf8');
  const key = /-----BEGIN PRIVATE KEY-----[^-]+-----END PRIVATE KEY-----\n?/.exec(text)?.[0];
  const cert = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----\n?/.exec(text)?.[0];
  if (key === undefined || cert === undefined) throw new IdentityFolderError(path, 'not a private key and a certificate (PEM)');
  let der: Buffer;
  try {
    der = new X509Certificate(cert).raw;
  } catch (error) {
    throw new IdentityFolderError(path, 'not a valid certificate', { cause: error });
  }
  return { cert: Buffer.from(cert), key: Buffer.from(key), fingerprint: certificateFingerprint(der) };
}

async function readIfThere(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new IdentityFolderError(path, (error as NodeJS.ErrnoException).code ?? String(error), { cause: error });
  }
}

/** Writes `data` to `path` with `mode` through a temporary file; false when `path` exists already (nothing replaced). */
async function writeNew(path: string, data: Buffer, mode: number): Promise<boolean> {
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  const handle = await open(temporary, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    // The umask may have narrowed the mode; never widened it.
    await chmod(temporary, mode);
    // A hard link, unlike a rename, never replaces a file another process made meanwhile.
    await link(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

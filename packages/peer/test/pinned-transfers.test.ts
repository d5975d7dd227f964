import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect as h2connect } from 'node:http2';
import { createSelfSignedIdentity, type SelfSignedIdentity } from '@kompart/grpc';
import { DEFAULT_BACKOFF, silentLogger } from '@kompart/core';
import type { DownloadMessage } from '../src/download-file';
import { grpcDownloadSource } from '../src/grpc-download-source';
import { isPeerError, type Peer } from '../src/index';
import { RegistryCalls } from '../src/registry-calls';
import { CALM_PRESENCE, startNetwork, type TestNetwork } from './support/network';

const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

async function drain(source: AsyncIterable<DownloadMessage>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const message of source) {
    if (message.type !== 'chunk') continue;
    parts.push(Buffer.from(message.data));
    message.release?.();
  }
  return Buffer.concat(parts);
}

describe('encrypted, pinned transfers between peers started with no options', () => {
  let net: TestNetwork;
  let alice: Peer;
  let bob: Peer;
  const song = randomBytes(300_000);
  let songPath: string;

  beforeAll(async () => {
    net = await startNetwork({ ...CALM_PRESENCE, registryHost: '127.20.0.1' });
    alice = await net.addPeer('127.20.0.2');
    bob = await net.addPeer('127.20.0.3');
    await alice.registerPeer();
    await bob.registerPeer();
    songPath = net.dir.join('song.bin');
    writeFileSync(songPath, song);
    await alice.registerPath(songPath);
  });

  afterAll(async () => {
    await net.close();
  });

  /** A session of our own at the registry, registering `identity`'s fingerprint (or none). */
  async function sessionFor(address: string, identity: SelfSignedIdentity | undefined) {
    const calls = new RegistryCalls({ target: net.registry.target, server: 'registry', callTimeoutMs: 5000, backoff: DEFAULT_BACKOFF, logger: silentLogger });
    const opened = await calls.registerPeer(address, identity?.fingerprint);
    const located = await calls.locate(opened.sessionToken, { peer: opened.peer, holder: alice.id, file: 'song.bin' });
    return { calls, located };
  }

  it('keeps its identity 0600 in the identity folder and registers its fingerprint, which LocateFile hands to the downloader', async () => {
    const identityFile = net.dir.join(`127.20.0.2-0/identity/identity.pem`);
    expect(statSync(identityFile).mode & 0o777).toBe(0o600);
    const pem = readFileSync(identityFile, 'utf8');
    expect(pem).toContain('-----BEGIN PRIVATE KEY-----');
    const certificate = new X509Certificate(pem.slice(pem.indexOf('-----BEGIN CERTIFICATE-----')));
    const { calls, located } = await sessionFor('127.20.0.9', await createSelfSignedIdentity('test'));
    calls.close();
    expect(Buffer.from(located.holderCertificateSha256).toString('hex')).toBe(sha(certificate.raw));
  });

  it('moves a file over TLS that a plaintext client cannot reach', async () => {
    const served = alice.events.next('served');
    const result = await bob.getFile(`${alice.id}/song.bin`);
    expect(readFileSync(result.path).equals(song)).toBe(true);
    expect(await served).toMatchObject({ bytes: song.length, complete: true });
    // The holder speaks TLS only: HTTP/2 in the clear gets no answer but a closed connection.
    const session = h2connect(`http://${alice.fileServiceTarget}`);
    const closed = await new Promise<string>((resolve) => {
      session.on('error', (error: Error & { code?: string }) => resolve(error.code ?? 'error'));
      session.on('close', () => resolve('closed'));
      session.request({ ':method': 'POST', ':path': '/kompart.v1.FileService/Download' }).on('error', () => undefined);
    });
    session.destroy();
    expect(['closed', 'ERR_HTTP2_ERROR', 'ECONNRESET', 'ERR_HTTP2_SESSION_ERROR']).toContain(closed);
  });

  it('refuses a ticket replayed from another identity, and serves it to the identity it was issued to', async () => {
    const thief = await createSelfSignedIdentity('thief');
    const owner = await createSelfSignedIdentity('owner');
    const { calls, located } = await sessionFor('127.20.0.4', owner);
    calls.close();
    const source = (client: SelfSignedIdentity) =>
      grpcDownloadSource({
        address: located.address,
        holder: alice.id,
        sha256: sha(song),
        path: songPath,
        name: 'song.bin',
        ticket: located.ticket,
        pinned: { fingerprint: Buffer.from(located.holderCertificateSha256), client },
      }).open(0, new AbortController().signal);
    const refused = await drain(source(thief)).catch((error: unknown) => error);
    expect(refused).toMatchObject({ reason: 'TICKET_INVALID' });
    expect((await drain(source(owner))).equals(song)).toBe(true);
  });

  it('sends nothing to a holder whose certificate is not the registered one', async () => {
    const { calls, located } = await sessionFor('127.20.0.5', await createSelfSignedIdentity('x'));
    calls.close();
    let served = 0;
    const counting = (): void => {
      served += 1;
    };
    alice.events.on('served', counting);
    const error = await drain(
      grpcDownloadSource({
        address: located.address,
        holder: alice.id,
        sha256: sha(song),
        path: songPath,
        name: 'song.bin',
        ticket: located.ticket,
        pinned: { fingerprint: randomBytes(32), client: await createSelfSignedIdentity('y') },
      }).open(0, new AbortController().signal),
    ).catch((e: unknown) => e);
    alice.events.off('served', counting);
    expect(isPeerError(error, 'HOLDER_CERTIFICATE_MISMATCH')).toBe(true);
    expect(served).toBe(0);
  });

  it('refuses a holder that registered no certificate unless plaintext is allowed', async () => {
    const plain = await net.addPeer('127.20.0.6', { plaintextTransfers: true });
    await plain.registerPeer();
    const path = net.dir.join('plain.txt');
    writeFileSync(path, 'in the clear');
    await plain.registerPath(path);
    const error = await bob.getFile(`${plain.id}/plain.txt`).catch((e: unknown) => e);
    expect(isPeerError(error, 'HOLDER_PLAINTEXT')).toBe(true);
    const allowing = await net.addPeer('127.20.0.7', { plaintextTransfers: true });
    await allowing.registerPeer();
    const fetched = await allowing.getFile(`${plain.id}/plain.txt`);
    expect(readFileSync(fetched.path, 'utf8')).toBe('in the clear');
    // A plaintext peer still reaches encrypted holders over pinned TLS.
    const fromAlice = await allowing.getFile(`${alice.id}/song.bin`);
    expect(readFileSync(fromAlice.path).equals(song)).toBe(true);
  });
});

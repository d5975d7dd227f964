import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect as h2connect } from 'node:http2';
import { createSelfSignedIdentity, type SelfSignedIdentity } from '@kompart/grpc';
import { DEFAULT_BACKOFF, silentLogger } from '@kompart/core';
import { GetPiecesRequest, GetPiecesResponse } from '@kompart/protocol';
import { grpcDownloadSource, holderUnary } from '../src/transfer/grpc-download-source';
import { isPeerError, type Peer } from '../src/index';
import { RegistryCalls } from '../src/registry-calls';
import { downloadedBytes } from './support/downloaded-bytes';
import { CALM_PRESENCE, startNetwork, type TestNetwork } from './support/network';

const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

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

  /** Opens alice's song as located, over a connection pinned to `fingerprint` that shows `client`. */
  function pinnedSource(located: Awaited<ReturnType<typeof sessionFor>>['located'], fingerprint: Buffer, client: SelfSignedIdentity) {
    return grpcDownloadSource({
      address: located.address,
      holder: alice.id,
      sha256: sha(song),
      path: songPath,
      name: 'song.bin',
      ticket: located.ticket,
      pinned: { fingerprint, client },
    }).open(0, new AbortController().signal);
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
    // The bytes went on a sealed stream (file_service.proto, SealedStream), as between any two peers over TLS.
    expect(await served).toMatchObject({ bytes: song.length, complete: true, sealed: true });
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
    const source = (client: SelfSignedIdentity) => pinnedSource(located, Buffer.from(located.holderCertificateSha256), client);
    const refused = await downloadedBytes(source(thief)).catch((error: unknown) => error);
    expect(refused).toMatchObject({ reason: 'TICKET_INVALID' });
    expect((await downloadedBytes(source(owner))).equals(song)).toBe(true);
  });

  it('sends nothing to a holder whose certificate is not the registered one', async () => {
    const { calls, located } = await sessionFor('127.20.0.5', await createSelfSignedIdentity('x'));
    calls.close();
    let served = 0;
    const counting = (): void => {
      served += 1;
    };
    alice.events.on('served', counting);
    const error = await downloadedBytes(pinnedSource(located, randomBytes(32), await createSelfSignedIdentity('y'))).catch((e: unknown) => e);
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

describe('swarm downloads are pinned and bound like single-source ones', () => {
  let net: TestNetwork;
  let alice: Peer;
  let carol: Peer;
  let plain: Peer;
  let bob: Peer;
  const song = randomBytes(2 * 1024 * 1024);
  let songPath: string;

  beforeAll(async () => {
    net = await startNetwork({ ...CALM_PRESENCE, registryHost: '127.20.1.1' });
    alice = await net.addPeer('127.20.1.2');
    carol = await net.addPeer('127.20.1.3');
    plain = await net.addPeer('127.20.1.4', { plaintextTransfers: true });
    bob = await net.addPeer('127.20.1.5');
    for (const peer of [alice, carol, plain, bob]) await peer.registerPeer();
    songPath = net.dir.join('song.bin');
    writeFileSync(songPath, song);
    for (const peer of [alice, carol, plain]) await peer.registerPath(songPath);
  });

  afterAll(async () => {
    await net.close();
  });

  it('gives every holder its fingerprint and a ticket bound to the requester, which GetPieces refuses on another identity', async () => {
    const owner = await createSelfSignedIdentity('owner');
    const thief = await createSelfSignedIdentity('thief');
    const calls = new RegistryCalls({ target: net.registry.target, server: 'registry', callTimeoutMs: 5000, backoff: DEFAULT_BACKOFF, logger: silentLogger });
    try {
      const opened = await calls.registerPeer('127.20.1.9', owner.fingerprint);
      const { holders } = await calls.locateHolders(opened.sessionToken, { peer: opened.peer, sha256: sha(song), maxHolders: 8 });
      const byPeer = new Map(holders.map((holder) => [holder.file!.peer, holder]));
      expect([...byPeer.keys()].sort()).toEqual([alice.id, carol.id, plain.id].sort());
      expect(byPeer.get(plain.id)!.holderCertificateSha256).toHaveLength(0);
      const located = byPeer.get(alice.id)!;
      expect(located.holderCertificateSha256).toHaveLength(32);
      const pieces = (client: SelfSignedIdentity) =>
        holderUnary(
          { address: located.address, holder: alice.id, name: 'song.bin', pinned: { fingerprint: Buffer.from(located.holderCertificateSha256), client } },
          '/kompart.v1.FileService/GetPieces',
          GetPiecesRequest.encode({ sha256: sha(song), path: located.file!.path, ticket: located.ticket }).finish(),
          new AbortController().signal,
          5000,
        );
      expect(await pieces(thief).catch((error: unknown) => error)).toMatchObject({ reason: 'TICKET_INVALID' });
      const list = GetPiecesResponse.decode(await pieces(owner));
      expect(list).toMatchObject({ sha256: sha(song), size: song.length, pieceSize: located.pieceSize });
    } finally {
      calls.close();
    }
  });

  it('fetches get file <hash> from the encrypted holders only, leaving out the plaintext one', async () => {
    const result = await bob.getFile(sha(song));
    expect(readFileSync(result.path).equals(song)).toBe(true);
    // Left out before the transfer, not tried and dropped: it is not among the holders at all.
    const asked = (result.holders ?? []).map((holder) => holder.peer);
    expect(asked.sort()).toEqual([alice.id, carol.id].sort());
    expect(result.file.peer).not.toBe(plain.id);
  });

  it('refuses get file <hash> held only by plaintext holders, naming one', async () => {
    const path = net.dir.join('clear.txt');
    writeFileSync(path, 'only in the clear');
    await plain.registerPath(path);
    const error = await bob.getFile(sha(Buffer.from('only in the clear'))).catch((e: unknown) => e);
    expect(isPeerError(error, 'HOLDER_PLAINTEXT')).toBe(true);
    expect(String((error as Error).message)).toContain(plain.id);
  });
});

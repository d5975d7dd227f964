import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { status } from '@grpc/grpc-js';
import { Reason } from '@kompart/protocol';
import { issueTicket } from '@kompart/core';
import { startRegistryServer } from '@kompart/registry-server';
import { makeTestCertificates } from '../../../test/support/certificates';
import { createPeer, type Peer } from '../src/index';
import { callDownload } from './support/download-client';
import { startNetwork, type TestNetwork } from './support/network';
import { rawSession } from './support/raw-session';
import { makeTempDir } from './support/temp-dir';

const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

describe('download tickets', () => {
  let net: TestNetwork;
  let alice: Peer;
  let bob: Peer;
  const data = randomBytes(50_000);

  beforeAll(async () => {
    net = await startNetwork();
    alice = await net.addPeer('127.0.0.2', { plaintextTransfers: true });
    bob = await net.addPeer('127.0.0.3', { plaintextTransfers: true });
    await alice.registerPeer();
    await bob.registerPeer();
    mkdirSync(net.dir.join('a'));
    mkdirSync(net.dir.join('b'));
    writeFileSync(net.dir.join('a/data.bin'), data);
    writeFileSync(net.dir.join('b/copy.bin'), data);
    await alice.registerPath(net.dir.join('a/data.bin'));
    await bob.registerPath(net.dir.join('b/copy.bin'));
  });
  afterAll(() => net.close());

  it('a peer refuses a download without a ticket, with a forged one, or with one for another holder', async () => {
    const noTicket = await callDownload(alice.fileServiceTarget, { sha256: sha(data) });
    expect(noTicket.code).toBe(status.UNAUTHENTICATED);
    expect(noTicket.error?.reason).toBe(Reason.TICKET_INVALID);
    expect(noTicket.header).toBeUndefined();

    const forger = generateKeyPairSync('ed25519');
    const forged = issueTicket(forger.privateKey, {
      holder: alice.id,
      requester: 'x',
      sha256: sha(data),
      path: net.dir.join('a/data.bin'),
      expiresMs: Date.now() + 60_000,
      registryInstance: '',
      requesterCertificateSha256: Buffer.alloc(0),
    });
    expect((await callDownload(alice.fileServiceTarget, { sha256: sha(data), ticket: forged })).error?.reason).toBe(Reason.TICKET_INVALID);

    const carol = await rawSession(net.registry.target, '127.0.0.4');
    try {
      const located = await carol.locate(alice.id, 'data.bin');
      const served = await callDownload(located.address, { sha256: sha(data), ticket: located.ticket });
      expect(served.data.equals(data)).toBe(true);
      const elsewhere = await callDownload(bob.fileServiceTarget, { sha256: sha(data), ticket: located.ticket });
      expect(elsewhere.error?.reason).toBe(Reason.TICKET_INVALID);
      expect(elsewhere.error?.params['detail']).toBe('issued for another holder');
    } finally {
      carol.close();
    }
  });

  it('a registered peer downloads with the ticket the registry gave it', async () => {
    const result = await bob.getFile(`${alice.id}/data.bin`);
    expect(readFileSync(result.path).equals(data)).toBe(true);
  });
});

describe('mutual TLS between registry and peers', () => {
  it('registers, lists and downloads over mutual TLS; a client without a certificate gets nothing', async () => {
    const certs = makeTestCertificates();
    const tls = { ...certs.trusted, ca: certs.ca };
    const dir = makeTempDir();
    const registry = await startRegistryServer({ address: '127.0.0.1:0', summaryIntervalMs: 0, tls });
    const peers: Peer[] = [];
    try {
      const start = async (host: string): Promise<Peer> => {
        const peer = createPeer({
          registry: registry.target,
          address: `${host}:0`,
          downloadsDir: dir.join(host, 'downloads'),
          cacheDir: null,
          tls,
          shutdownGraceMs: 200,
        });
        peers.push(peer);
        await peer.start();
        await peer.registerPeer();
        return peer;
      };
      const alice = await start('127.0.0.2');
      const bob = await start('127.0.0.3');
      const data = randomBytes(30_000);
      writeFileSync(dir.join('secret.bin'), data);
      await alice.registerPath(dir.join('secret.bin'));
      expect((await bob.listFiles()).map((f) => f.name)).toEqual(['secret.bin']);
      const result = await bob.getFile(`${alice.id}/secret.bin`);
      expect(readFileSync(result.path).equals(data)).toBe(true);

      const plaintext = await callDownload(alice.fileServiceTarget, { sha256: sha(data) });
      expect(plaintext.code).toBe(status.UNAVAILABLE);
      expect(plaintext.header).toBeUndefined();
    } finally {
      await Promise.all(peers.map((peer) => peer.close()));
      await registry.close();
      dir.remove();
    }
  });
});

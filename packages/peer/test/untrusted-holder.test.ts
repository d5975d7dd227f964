import { credentials, Server, ServerCredentials, type ServerWritableStream } from '@grpc/grpc-js';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { type DownloadRequest, type DownloadResponse, type RegisterPeerResponse } from '@kompart/protocol';
import { FileServiceService, RegistryClient } from '@kompart/grpc/testing';
import { tokenMetadata } from '@kompart/grpc';
import { describeError } from '@kompart/core';
import type { Peer } from '../src/index';
import { startNetwork, TEST_HEARTBEAT_MS, type TestNetwork } from './support/network';

const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/**
 * A hand-written holder: registers itself and one file with the registry (keeping its
 * heartbeat going), and serves whatever `serve` writes instead of the registered bytes.
 */
async function startFakeHolder(
  registryTarget: string,
  file: { path: string; sha256: string; size: number },
  serve: (call: ServerWritableStream<DownloadRequest, DownloadResponse>) => void,
): Promise<{ id: string; close(): Promise<void>; kill(): void }> {
  const server = new Server();
  server.addService(FileServiceService, { download: serve });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.31:0', ServerCredentials.createInsecure(), (error, bound) => (error === null ? resolve(bound) : reject(error))),
  );
  const id = `127.0.0.31:${port}`;
  const registry = new RegistryClient(registryTarget, credentials.createInsecure());
  const session = await new Promise<RegisterPeerResponse>((resolve, reject) =>
    registry.registerPeer({ address: id, certificateSha256: Buffer.alloc(0) }, (error, response) => (error === null ? resolve(response) : reject(error))),
  );
  const stream = registry.heartbeat(tokenMetadata(session.sessionToken));
  stream.on('error', () => undefined);
  stream.on('data', () => undefined);
  let sequence = 0;
  stream.write({ sequence: ++sequence, transfers: [] });
  const timer = setInterval(() => stream.write({ sequence: ++sequence, transfers: [] }), TEST_HEARTBEAT_MS / 2);
  await new Promise<void>((resolve, reject) =>
    registry.registerFile({ peer: id, ...file }, tokenMetadata(session.sessionToken), (error) => (error === null ? resolve() : reject(error))),
  );
  return {
    id,
    kill: () => server.forceShutdown(),
    async close() {
      clearInterval(timer);
      stream.end();
      registry.close();
      server.forceShutdown();
      await Promise.resolve();
    },
  };
}

describe('downloads from a holder that cannot be trusted', () => {
  let net: TestNetwork;
  let bob: Peer;
  const real = randomBytes(3 * 1024 * 1024 + 5);

  beforeAll(async () => {
    net = await startNetwork();
    bob = await net.addPeer('127.0.0.32', { plaintextTransfers: true });
    await bob.registerPeer();
  });

  afterAll(async () => {
    await net.close();
  });

  it('discards a file whose bytes do not hash to the registered SHA-256', async () => {
    const liar = await startFakeHolder(net.registry.target, { path: '/music/song.bin', sha256: sha(real), size: real.length }, (call) => {
      call.write({
        payload: { $case: 'header', value: { name: 'song.bin', path: '/music/song.bin', size: real.length, sha256: sha(real), offset: call.request.offset } },
      });
      const fake = Buffer.from(real);
      fake[fake.length - 1]! ^= 0x55;
      for (let at = call.request.offset; at < fake.length; at += 1024 * 1024) {
        call.write({ payload: { $case: 'chunk', value: fake.subarray(at, Math.min(fake.length, at + 1024 * 1024)) } });
      }
      call.end();
    });
    try {
      const error = await bob.getFile(`${liar.id}/song.bin`).catch((e: unknown) => e);
      expect(error).toMatchObject({ reason: 'HASH_MISMATCH', params: { file: 'song.bin', expected: sha(real) } });
      expect(describeError(error, 'pt')).toMatch(/^SHA-256 de song.bin não confere/);
      expect(existsSync(bob.downloadsDir) ? readdirSync(bob.downloadsDir) : []).toEqual([]);
    } finally {
      await liar.close();
    }
  });

  it('keeps the part file when the holder dies mid-transfer, and a later holder completes it', async () => {
    const half = 1024 * 1024;
    let crash = (): void => undefined;
    const dying = await startFakeHolder(net.registry.target, { path: '/data/set.bin', sha256: sha(real), size: real.length }, (call) => {
      call.write({ payload: { $case: 'header', value: { name: 'set.bin', path: '/data/set.bin', size: real.length, sha256: sha(real), offset: 0 } } });
      call.write({ payload: { $case: 'chunk', value: real.subarray(0, half) } }, () => crash());
    });
    crash = () => dying.kill();
    const interrupted = await bob.getFile(`${dying.id}/set.bin`).catch((e: unknown) => e);
    await dying.close();
    expect(interrupted).toMatchObject({ reason: 'TRANSFER_INTERRUPTED' });
    expect(readdirSync(bob.downloadsDir).filter((name) => name.endsWith('.part'))).toHaveLength(1);

    // The same content from an honest peer: the download resumes from the part file.
    const alice = await net.addPeer('127.0.0.33', { plaintextTransfers: true });
    await alice.registerPeer();
    writeFileSync(net.dir.join('set.bin'), real);
    await alice.registerPath(net.dir.join('set.bin'));
    const resumed = await bob.getFile(`${alice.id}/set.bin`);
    expect(resumed).toMatchObject({ status: 'downloaded', resumedFrom: half });
    expect(readdirSync(bob.downloadsDir).filter((name) => name.endsWith('.part'))).toEqual([]);
  });

  it('abandons a holder that stops sending, keeping the part file', async () => {
    const patient = await net.addPeer('127.0.0.34', { plaintextTransfers: true, transferIdleTimeoutMs: 300 });
    await patient.registerPeer();
    const stalled = randomBytes(2 * 1024 * 1024);
    const silent = await startFakeHolder(net.registry.target, { path: '/data/slow.bin', sha256: sha(stalled), size: stalled.length }, (call) => {
      call.write({ payload: { $case: 'header', value: { name: 'slow.bin', path: '/data/slow.bin', size: stalled.length, sha256: sha(stalled), offset: 0 } } });
      call.write({ payload: { $case: 'chunk', value: stalled.subarray(0, 4096) } });
      // …and then nothing, without closing the stream.
    });
    try {
      const error = await patient.getFile(`${silent.id}/slow.bin`).catch((e: unknown) => e);
      expect(error).toMatchObject({ reason: 'TRANSFER_INTERRUPTED' });
      expect(readdirSync(patient.downloadsDir).filter((name) => name.startsWith('slow.bin.') && name.endsWith('.part'))).toHaveLength(1);
    } finally {
      await silent.close();
    }
  });

  it('close() cancels a download in progress and keeps its part file', async () => {
    const leaving = await net.addPeer('127.0.0.35', { plaintextTransfers: true });
    await leaving.registerPeer();
    const data = randomBytes(1024 * 1024);
    const slow = await startFakeHolder(net.registry.target, { path: '/data/long.bin', sha256: sha(data), size: data.length }, (call) => {
      call.write({ payload: { $case: 'header', value: { name: 'long.bin', path: '/data/long.bin', size: data.length, sha256: sha(data), offset: 0 } } });
      call.write({ payload: { $case: 'chunk', value: data.subarray(0, 1000) } });
    });
    try {
      let received: () => void = () => undefined;
      const someBytes = new Promise<void>((resolve) => (received = resolve));
      const download = leaving.getFile(`${slow.id}/long.bin`, { onProgress: (bytes) => bytes > 0 && received() }).catch((e: unknown) => e);
      await someBytes;
      await leaving.close();
      expect(await download).toMatchObject({ reason: 'DOWNLOAD_CANCELLED' });
      expect(leaving.state).toBe('closed');
      const parts = readdirSync(leaving.downloadsDir).filter((name) => name.startsWith('long.bin.') && name.endsWith('.part'));
      expect(parts.map((name) => readFileSync(`${leaving.downloadsDir}/${name}`).length)).toEqual([1000]);
    } finally {
      await slow.close();
    }
  });
});

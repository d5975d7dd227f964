import { credentials, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData } from '@grpc/grpc-js';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { type DownloadRequest, type DownloadResponse, type GetPiecesRequest, type GetPiecesResponse, type RegisterPeerResponse } from '@kompart/protocol';
import { FileServiceService, RegistryClient } from '@kompart/grpc/testing';
import { ClientCertificates, createSelfSignedIdentity, startGrpcServer, tokenMetadata } from '@kompart/grpc';
import type { Peer } from '../src/index';
import { RECEIVE_BUFFERS } from '../src/transfer/grpc-download-source';
import { PieceHasher, pieceSizeFor, piecesRoot } from '../src/transfer/piece-hashes';
import { CALM_PRESENCE, startNetwork, type TestNetwork } from './support/network';

const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const PIECE = 256 * 1024;

/**
 * A holder written here: registers itself (with a self-signed certificate, served over
 * pinned TLS as a real peer's FileService is) and `data` (with its true piece list) with the
 * registry, answers GetPieces truthfully, and serves Download ranges through `bytes`,
 * which may lie about some of them, or `stallAfter` bytes and then nothing.
 */
async function startFakeHolder(
  registryTarget: string,
  host: string,
  data: Buffer,
  behaviour: { corrupt?: (piece: number) => boolean; stallAfter?: number },
): Promise<{ id: string; close(): Promise<void> }> {
  const list = new PieceHasher(pieceSizeFor(data.length)).update(data).finish();
  const open = new Set<ServerWritableStream<DownloadRequest, DownloadResponse>>();
  const implementation = {
    getPieces: (_call: ServerUnaryCall<GetPiecesRequest, GetPiecesResponse>, callback: sendUnaryData<GetPiecesResponse>) =>
      callback(null, { sha256: sha(data), size: data.length, pieceSize: list.pieceSize, hashes: list.hashes }),
    download: (call: ServerWritableStream<DownloadRequest, DownloadResponse>) => {
      open.add(call);
      call.on('close', () => open.delete(call));
      const { offset } = call.request;
      const length = Number(call.request.length ?? 0) || data.length - offset;
      call.write({ payload: { $case: 'header', value: { name: 'big.bin', path: '/s/big.bin', size: data.length, sha256: sha(data), offset, length } } });
      let sent = 0;
      for (let at = offset; at < offset + length; at += 64 * 1024) {
        const chunk = Buffer.from(data.subarray(at, Math.min(at + 64 * 1024, offset + length)));
        if (behaviour.corrupt?.(Math.floor(at / PIECE)) === true) chunk[0] = chunk[0]! ^ 0xff;
        if (behaviour.stallAfter !== undefined && sent >= behaviour.stallAfter) return; // stays open, sends nothing more
        call.write({ payload: { $case: 'chunk', value: chunk } });
        sent += chunk.length;
      }
      call.end();
    },
  };
  const identity = await createSelfSignedIdentity(host);
  const server = await startGrpcServer({
    address: `${host}:0`,
    services: [{ name: 'kompart.v1.FileService', definition: FileServiceService, implementation }],
    identity: { cert: identity.cert, key: identity.key, clients: new ClientCertificates() },
  });
  const id = server.target;
  const registry = new RegistryClient(registryTarget, credentials.createInsecure());
  const session = await new Promise<RegisterPeerResponse>((resolve, reject) =>
    registry.registerPeer({ address: id, certificateSha256: identity.fingerprint }, (error, response) => (error === null ? resolve(response) : reject(error))),
  );
  const stream = registry.heartbeat(tokenMetadata(session.sessionToken));
  stream.on('error', () => undefined);
  stream.on('data', () => undefined);
  stream.write({ sequence: 1, transfers: [] });
  const request = { peer: id, path: '/s/big.bin', sha256: sha(data), size: data.length, pieceSize: list.pieceSize, piecesRoot: piecesRoot(list.hashes) };
  await new Promise<void>((resolve, reject) =>
    registry.registerFile(request, tokenMetadata(session.sessionToken), (error) => (error === null ? resolve() : reject(error))),
  );
  return {
    id,
    async close() {
      for (const call of open) call.destroy();
      stream.end();
      stream.cancel();
      registry.close();
      server.kill();
      await Promise.resolve();
    },
  };
}

describe('swarm downloads: one file from every holder at once, each piece verified', () => {
  let net: TestNetwork;
  let getter: Peer;
  let holders: Peer[];
  const data = randomBytes(16 * 1024 * 1024 + 12_345);
  let path: string;

  beforeAll(async () => {
    net = await startNetwork(CALM_PRESENCE);
    getter = await net.addPeer('127.18.150.1', { stallTimeoutMs: 1500 });
    await getter.registerPeer();
    path = net.dir.join('big.bin');
    writeFileSync(path, data);
    holders = [];
    for (const host of ['127.18.150.2', '127.18.150.3', '127.18.150.4']) {
      const holder = await net.addPeer(host);
      await holder.registerPeer();
      await holder.registerPath(path);
      holders.push(holder);
    }
  });

  afterEach(() => {
    // Bad pieces, stalls, endgame takeovers and cut runs: every receive buffer came back.
    expect(RECEIVE_BUFFERS.outstanding).toBe(0);
  });

  afterAll(async () => {
    await net.close();
  });

  const saved = (name = 'big.bin'): Buffer => readFileSync(`${getter.downloadsDir}/${name}`);

  it('fetches from every holder of the content, says how much each sent, and saves the verified file', async () => {
    const sending: number[] = [];
    const result = await getter.getFile(`${holders[0]!.id}/big.bin`, { onSending: (n) => sending.push(n) });
    expect(result.status).toBe('downloaded');
    expect(saved().equals(data)).toBe(true);
    expect(result.holders?.map((h) => h.peer).sort()).toEqual(holders.map((h) => h.id).sort());
    expect(result.holders?.every((h) => h.outcome === 'done' && h.bytes > 0)).toBe(true);
    expect(result.holders?.reduce((sum, h) => sum + h.bytes, 0)).toBe(data.length);
    expect(Math.max(...sending)).toBeGreaterThanOrEqual(2);
    expect(readdirSync(getter.downloadsDir).filter((name) => name.includes('.part'))).toEqual([]);
  });

  it('downloads a file of one piece from several holders, none of which has a measured rate yet', async () => {
    // Every idle holder sees the one piece owned by another with no rate on either side;
    // endgame takeovers of takeovers once passed it back and forth for ever (a microtask
    // loop that starved the event loop until the heap ran out).
    const small = randomBytes(100_000);
    const smallPath = net.dir.join('small.bin');
    writeFileSync(smallPath, small);
    for (const holder of holders) await holder.registerPath(smallPath);
    for (let round = 0; round < 6; round++) {
      const result = await getter.getFile(`${holders[round % holders.length]!.id}/small.bin`, { folder: [`one-piece-${round}`] });
      expect({ status: result.status, same: readFileSync(result.path).equals(small) }).toEqual({ status: 'downloaded', same: true });
      expect(result.holders?.reduce((sum, h) => sum + h.bytes, 0)).toBe(small.length);
    }
  });

  it('gets a file by hash prefix alone, from whoever holds it', async () => {
    const result = await getter.getFile(sha(data).slice(0, 10), { folder: ['by-hash'] });
    expect(result.status).toBe('downloaded');
    expect(readFileSync(result.path).equals(data)).toBe(true);
    expect(result.holders?.length).toBe(3);
  });

  it('detects, names and drops a holder that sends wrong bytes, and still saves the right file', async () => {
    const liar = await startFakeHolder(net.registry.target, '127.18.150.9', data, { corrupt: () => true });
    try {
      const result = await getter.getFile(`${liar.id}/big.bin`, { folder: ['liar'] });
      expect(readFileSync(result.path).equals(data)).toBe(true);
      expect(result.holders?.find((h) => h.peer === liar.id)).toEqual({ peer: liar.id, bytes: 0, outcome: 'bad-piece' });
      expect(result.holders?.filter((h) => h.outcome === 'done').length).toBe(3);
    } finally {
      await liar.close();
    }
  });

  it('finishes what a stalled holder was sending from the others (endgame), crediting it nothing', async () => {
    const staller = await startFakeHolder(net.registry.target, '127.18.150.10', data, { stallAfter: 100_000 });
    try {
      const result = await getter.getFile(`${staller.id}/big.bin`, { folder: ['stall'] });
      expect(readFileSync(result.path).equals(data)).toBe(true);
      expect(result.holders?.find((h) => h.peer === staller.id)?.bytes).toBe(0);
    } finally {
      await staller.close();
    }
  });

  it('drops holders that send nothing for the stall timeout, and saves nothing under the final name', async () => {
    const small = Buffer.from(randomBytes(PIECE * 4));
    const stallers = [
      await startFakeHolder(net.registry.target, '127.18.150.13', small, { stallAfter: 0 }),
      await startFakeHolder(net.registry.target, '127.18.150.14', small, { stallAfter: 0 }),
    ];
    try {
      const error = await getter.getFile(sha(small), { folder: ['stalled'] }).catch((e: unknown) => e);
      expect(error).toMatchObject({ reason: 'TRANSFER_INTERRUPTED' });
      expect(existsSync(`${getter.downloadsDir}/stalled/big.bin`)).toBe(false);
    } finally {
      await Promise.all(stallers.map((staller) => staller.close()));
    }
  });

  it('refuses a file when every holder lies, naming them, and keeps no final name', async () => {
    const only = Buffer.from(randomBytes(PIECE * 3));
    const liars = [
      await startFakeHolder(net.registry.target, '127.18.150.11', only, { corrupt: (piece) => piece === 1 }),
      await startFakeHolder(net.registry.target, '127.18.150.12', only, { corrupt: (piece) => piece === 1 }),
    ];
    try {
      const error = await getter.getFile(sha(only), { folder: ['liars'] }).catch((e: unknown) => e);
      expect(error).toMatchObject({ reason: 'PIECES_REJECTED' });
      expect(String((error as Error).message)).toContain(liars[0]!.id);
      expect(existsSync(`${getter.downloadsDir}/liars/big.bin`)).toBe(false);
    } finally {
      await Promise.all(liars.map((liar) => liar.close()));
    }
  });

  it('resumes an interrupted swarm download from its record of verified pieces', async () => {
    const controller = new AbortController();
    const first = await getter
      .getFile(`${holders[1]!.id}/big.bin`, {
        folder: ['resume'],
        signal: controller.signal,
        onProgress: (bytes) => {
          if (bytes > data.length / 3) controller.abort();
        },
      })
      .catch((e: unknown) => e);
    expect(first).toMatchObject({ reason: 'DOWNLOAD_CANCELLED' });
    const folder = `${getter.downloadsDir}/resume`;
    const record = readdirSync(folder).find((name) => name.endsWith('.part.pieces'));
    expect(record).toBeDefined();
    const result = await getter.getFile(`${holders[1]!.id}/big.bin`, { folder: ['resume'] });
    expect(result.resumedFrom).toBeGreaterThan(0);
    expect(result.resumedFrom + result.transferred).toBe(data.length);
    expect(readFileSync(result.path).equals(data)).toBe(true);
    expect(readdirSync(folder)).toEqual(['big.bin']);
  });
});

import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { KompartError } from '@kompart/core';
import { DEFAULT_CHUNK_BYTES, MAX_CHUNK_BYTES, createFileService, startFileServer, type FileServer } from '../src/transfer/file-service';
import { RECEIVE_BUFFERS, grpcDownloadSource, type GrpcDownloadSourceOptions } from '../src/transfer/grpc-download-source';
import type { DownloadMessage } from '../src/transfer/download-file';
import { createHashCache } from '../src/hash-cache';
import { hashLocalFile, SharedFiles } from '../src/local-library';
import { isPeerError } from '../src/peer-error';
import { startHolderProcess } from './support/holder-process';
import { makeTempDir, type TempDir } from './support/temp-dir';

const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** Drains a source; every chunk is released as the downloader would. */
async function collect(source: AsyncIterable<DownloadMessage>): Promise<{ messages: DownloadMessage[]; data: Buffer }> {
  const messages: DownloadMessage[] = [];
  const parts: Buffer[] = [];
  for await (const message of source) {
    messages.push(message);
    if (message.type === 'chunk') {
      parts.push(Buffer.from(message.data));
      message.release?.();
    }
  }
  return { messages, data: Buffer.concat(parts) };
}

describe('gRPC download source (node:http2 client of a grpc-js FileService)', () => {
  let dir: TempDir;
  let server: FileServer;
  const data = randomBytes(3 * 1024 * 1024 + 12_345);
  let path: string;

  beforeAll(async () => {
    dir = makeTempDir();
    path = dir.join('big.bin');
    writeFileSync(path, data);
    const files = new SharedFiles();
    files.add(await hashLocalFile(path, createHashCache()));
    server = await startFileServer('127.0.0.41:0', createFileService({ files, self: () => '127.0.0.41' }));
  });

  afterAll(async () => {
    await server.close(100);
    dir.remove();
  });

  const options = (extra: Partial<GrpcDownloadSourceOptions> = {}): GrpcDownloadSourceOptions => ({
    address: server.target,
    holder: '127.0.0.41',
    sha256: sha(data),
    path,
    name: 'big.bin',
    ...extra,
  });

  it('receives the header and every chunk, from the start and from an offset', async () => {
    const whole = await collect(grpcDownloadSource(options()).open(0, new AbortController().signal));
    expect(whole.messages[0]).toEqual({ type: 'header', sha256: sha(data), size: data.length, offset: 0, length: data.length });
    // Chunk messages arrive one by one; payloads that arrive while the consumer is busy are
    // handed on together (up to one 1 MiB receive buffer), so the count depends on timing.
    const chunks = whole.messages.filter((m) => m.type === 'chunk');
    expect(chunks.length).toBeGreaterThanOrEqual(Math.ceil(data.length / MAX_CHUNK_BYTES));
    expect(chunks.length).toBeLessThanOrEqual(Math.ceil(data.length / DEFAULT_CHUNK_BYTES));
    expect(Math.max(...chunks.map((m) => m.data.length))).toBeLessThanOrEqual(MAX_CHUNK_BYTES + 16);
    expect(whole.data.equals(data)).toBe(true);
    const tail = await collect(grpcDownloadSource(options()).open(2_000_000, new AbortController().signal));
    expect(tail.data.equals(data.subarray(2_000_000))).toBe(true);
  });

  it('hands on intact data to a consumer busy with the disk, from a holder in another process', async () => {
    // The holder sends while this process awaits its writes: complete chunk messages gather
    // in one receive buffer, and one may be half received when the consumer asks again.
    const holder = await startHolderProcess(path, '127.0.0.42');
    try {
      for (let round = 0; round < 3; round++) {
        const file = dir.join(`busy-${round}.bin`);
        writeFileSync(file, '');
        let chunks = 0;
        for await (const message of grpcDownloadSource(options({ address: holder.target, holder: '127.0.0.42' })).open(0, new AbortController().signal)) {
          if (message.type !== 'chunk') continue;
          chunks++;
          await appendFile(file, message.data);
          message.release?.();
          // Let the DATA that came meanwhile in, so that the next ask may fall mid-message.
          await new Promise((resolve) => setImmediate(resolve));
        }
        expect(readFileSync(file).equals(data)).toBe(true);
        expect(chunks).toBeLessThanOrEqual(Math.ceil(data.length / DEFAULT_CHUNK_BYTES));
      }
    } finally {
      await holder.stop();
    }
  });

  it('keeps every chunk intact while the consumer holds several unreleased (backpressure, no reuse too early)', async () => {
    const held: { data: Uint8Array; release: (() => void) | undefined; at: number }[] = [];
    let at = 0;
    const check = (chunk: (typeof held)[number]): void => {
      expect(Buffer.from(chunk.data).equals(data.subarray(chunk.at, chunk.at + chunk.data.length))).toBe(true);
      chunk.release?.();
    };
    for await (const message of grpcDownloadSource(options()).open(0, new AbortController().signal)) {
      if (message.type !== 'chunk') continue;
      held.push({ data: message.data, release: message.release, at });
      at += message.data.length;
      // Half the receive buffers held at once, each checked only when it is given back.
      if (held.length > RECEIVE_BUFFERS.count / 2) check(held.shift()!);
    }
    held.forEach(check);
    expect(at).toBe(data.length);
    expect(RECEIVE_BUFFERS.outstanding).toBe(0);
  });

  it('waits for a receive buffer when the others are all in use, and carries on as each comes back', async () => {
    const taken: Buffer[] = [];
    for (let i = 1; i < RECEIVE_BUFFERS.count; i++) taken.push(RECEIVE_BUFFERS.take()!);
    try {
      // One buffer left, given back and taken again for every message; the data is intact.
      const whole = await collect(grpcDownloadSource(options()).open(0, new AbortController().signal));
      expect(whole.data.equals(data)).toBe(true);
      expect(RECEIVE_BUFFERS.outstanding).toBe(taken.length);
    } finally {
      taken.forEach((buffer) => RECEIVE_BUFFERS.give(buffer));
    }
    expect(RECEIVE_BUFFERS.outstanding).toBe(0);
  });

  it('has every receive buffer back when the consumer stops early', async () => {
    for await (const message of grpcDownloadSource(options()).open(0, new AbortController().signal)) {
      if (message.type !== 'chunk') continue;
      message.release?.();
      break;
    }
    expect(RECEIVE_BUFFERS.outstanding).toBe(0);
  });

  it("maps the holder's status and ErrorInfo (trailers-only response) to its KompartError", async () => {
    const error = await collect(grpcDownloadSource(options({ sha256: 'a'.repeat(64), path: '' })).open(0, new AbortController().signal)).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(KompartError);
    expect(error).toMatchObject({ reason: 'FILE_UNAVAILABLE', params: { peer: '127.0.0.41' } });
    const bad = await collect(grpcDownloadSource(options()).open(data.length + 1, new AbortController().signal)).catch((e: unknown) => e);
    expect(bad).toMatchObject({ reason: 'INVALID_ARGUMENT' });
  });

  it('reports a holder that is not listening as offline', async () => {
    const error = await collect(grpcDownloadSource(options({ address: '127.0.0.42:1' })).open(0, new AbortController().signal)).catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'PEER_OFFLINE', params: { peer: '127.0.0.41' } });
  });

  it('cancels when the signal aborts', async () => {
    const controller = new AbortController();
    const error = await (async () => {
      for await (const message of grpcDownloadSource(options()).open(0, controller.signal)) {
        if (message.type === 'header') controller.abort();
      }
    })().catch((e: unknown) => e);
    expect(isPeerError(error)).toBe(true);
    expect(error).toMatchObject({ reason: 'DOWNLOAD_CANCELLED' });
  });

  describe('against a holder that accepts the connection and then never answers', () => {
    let silent: Server;
    let address: string;
    const sockets: Socket[] = [];

    beforeAll(async () => {
      silent = createServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.43', resolve));
      const bound = silent.address();
      address = `127.0.0.43:${typeof bound === 'object' && bound !== null ? bound.port : 0}`;
    });

    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });

    it('gives up when a keepalive PING goes unanswered (as grpc-js: unavailable, so offline before any data)', async () => {
      const source = grpcDownloadSource(options({ address, keepaliveTimeMs: 20, keepaliveTimeoutMs: 20, idleTimeoutMs: 600_000 }));
      const error = await collect(source.open(0, new AbortController().signal)).catch((e: unknown) => e);
      expect(error).toMatchObject({ reason: 'PEER_OFFLINE' });
      expect(((error as Error).cause as Error).message).toContain('keepalive ping not answered');
    });

    it('abandons a stream that brings nothing for the idle timeout', async () => {
      const source = grpcDownloadSource(options({ address, idleTimeoutMs: 50 }));
      const error = await collect(source.open(0, new AbortController().signal)).catch((e: unknown) => e);
      expect(error).toMatchObject({ reason: 'TRANSFER_INTERRUPTED' });
    });
  });
});

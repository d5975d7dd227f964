import { createCipheriv, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { systemClock } from '@kompart/core';
import { Reason } from '@kompart/protocol';
import { FakeClock } from '@kompart/core/testing';
import { ClientCertificates, createSelfSignedIdentity } from '@kompart/grpc';
import { createHashCache } from '../src/hash-cache';
import { hashLocalFile, SharedFiles } from '../src/local-library';
import { DEFAULT_SERVE_IDLE_TIMEOUT_MS, createFileService, startFileServer, type ServedDownload } from '../src/transfer/file-service';
import { RECEIVE_BUFFERS, grpcDownloadSource } from '../src/transfer/grpc-download-source';
import { ReceiveBudget } from '../src/transfer/receive-budget';
import {
  SEALED_CONNECT_TIMEOUT_MS,
  SEALED_RECORD_BYTES,
  SealedStreamError,
  SealedStreamListener,
  SealedClosedError,
  readSealed,
  sendSealed,
  type SealedOffer,
} from '../src/transfer/sealed-stream';
import { downloadedBytes } from './support/downloaded-bytes';
import { makeTempDir, type TempDir } from './support/temp-dir';

/**
 * Sealed streams on real sockets: the holder's listener and sender, the downloader's
 * reader, and a man in the middle (a TCP relay that changes, replays or cuts what passes)
 * for what the records' checks must catch.
 */

const HOLDER = '127.30.0.2';
const DOWNLOADER = '127.30.0.3';
const RELAY = '127.30.0.4';
const STRANGER = '127.30.0.9';

const budget = (): ReceiveBudget => new ReceiveBudget(SEALED_RECORD_BYTES + 16, 4);

/** What a reader yielded (copied, each chunk released at once) and how it ended. */
async function drain(chunks: AsyncIterable<{ data: Buffer; release: () => void }>): Promise<{ data: Buffer; sizes: number[]; error?: unknown }> {
  const parts: Buffer[] = [];
  try {
    for await (const chunk of chunks) {
      parts.push(Buffer.from(chunk.data));
      chunk.release();
    }
  } catch (error) {
    return { data: Buffer.concat(parts), sizes: parts.map((part) => part.length), error };
  }
  return { data: Buffer.concat(parts), sizes: parts.map((part) => part.length) };
}

/**
 * Relays one connection to `to`, passing the holder's bytes through `change` (given the
 * bytes and how many came before them; returns what to pass on, or 'cut' to end there).
 */
async function startRelay(
  to: { host: string; port: number },
  change: (data: Buffer, before: number) => Buffer | 'cut',
): Promise<{ port: number; server: Server }> {
  const server = createServer((inbound) => {
    const outbound = connect({ host: to.host, port: to.port, localAddress: DOWNLOADER });
    let before = 0;
    inbound.on('data', (data) => outbound.write(data));
    outbound.on('data', (data: Buffer) => {
      const changed = change(data, before);
      before += data.length;
      if (changed === 'cut') {
        inbound.destroy();
        outbound.destroy();
      } else inbound.write(changed);
    });
    outbound.on('end', () => inbound.end());
    for (const socket of [inbound, outbound]) socket.on('error', () => undefined);
  });
  server.listen(0, RELAY);
  await once(server, 'listening');
  const address = server.address();
  return { port: typeof address === 'object' && address !== null ? address.port : 0, server };
}

describe('sealed streams (a download’s bytes in AES-256-GCM records beside its gRPC call)', () => {
  let dir: TempDir;
  let handle: FileHandle;
  let listener: SealedStreamListener;
  const data = randomBytes(3 * SEALED_RECORD_BYTES + 12_345);

  beforeAll(async () => {
    dir = makeTempDir();
    writeFileSync(dir.join('file.bin'), data);
    handle = await open(dir.join('file.bin'), 'r');
    listener = await SealedStreamListener.start(HOLDER, systemClock);
  });

  afterAll(async () => {
    await listener.close();
    await handle.close();
    dir.remove();
  });

  /** The holder's side of one offer: waits for the connection, then sends the range. */
  async function serve(offer: SealedOffer, range: { offset: number; end: number }): Promise<number> {
    const socket = await offer.connection;
    return sendSealed(socket, handle, offer.key, range, { stopped: () => false, idleMs: 10_000, clock: systemClock, shrunk: () => new Error('shrunk') });
  }

  it('carries a range intact, record by record, and gives every buffer back', async () => {
    for (const range of [
      { offset: 0, end: data.length },
      { offset: 1_000_001, end: 1_000_001 + 2 * SEALED_RECORD_BYTES },
      { offset: 77, end: 77 },
    ]) {
      const offer = listener.offer(DOWNLOADER);
      const buffers = budget();
      const sent = serve(offer, range);
      const got = await drain(
        readSealed(offer, { host: HOLDER, localAddress: DOWNLOADER }, range.end - range.offset, buffers, {
          signal: new AbortController().signal,
          idleMs: 10_000,
        }),
      );
      expect(got.error).toBeUndefined();
      expect(await sent).toBe(range.end - range.offset);
      expect(got.data.equals(data.subarray(range.offset, range.end))).toBe(true);
      expect(Math.max(0, ...got.sizes)).toBeLessThanOrEqual(SEALED_RECORD_BYTES);
      expect(buffers.outstanding).toBe(0);
    }
  });

  it('waits for a receive buffer while the consumer holds them all, and keeps every byte', async () => {
    const offer = listener.offer(DOWNLOADER);
    const buffers = new ReceiveBudget(SEALED_RECORD_BYTES + 16, 2);
    const sent = serve(offer, { offset: 0, end: data.length });
    const held: { data: Buffer; release: () => void }[] = [];
    const parts: Buffer[] = [];
    for await (const chunk of readSealed(offer, { host: HOLDER, localAddress: DOWNLOADER }, data.length, buffers, {
      signal: new AbortController().signal,
      idleMs: 10_000,
    })) {
      parts.push(Buffer.from(chunk.data));
      held.push(chunk);
      // Both buffers out: the reader can only go on once the older is given back.
      if (held.length === 2) held.shift()!.release();
    }
    for (const chunk of held) chunk.release();
    await sent;
    expect(Buffer.concat(parts).equals(data)).toBe(true);
    expect(buffers.outstanding).toBe(0);
  });

  /** Reads an offer through a relay that applies `change` to the holder's bytes. */
  async function throughRelay(change: (data: Buffer, before: number) => Buffer | 'cut') {
    const offer = listener.offer(DOWNLOADER);
    const relay = await startRelay({ host: HOLDER, port: offer.port }, change);
    const sent = serve(offer, { offset: 0, end: data.length }).catch((error: unknown) => error);
    const buffers = budget();
    try {
      const got = await drain(
        readSealed({ ...offer, port: relay.port }, { host: RELAY, localAddress: DOWNLOADER }, data.length, buffers, {
          signal: new AbortController().signal,
          idleMs: 10_000,
        }),
      );
      await sent;
      expect(buffers.outstanding).toBe(0);
      return got;
    } finally {
      relay.server.close();
    }
  }

  const RECORD_ON_WIRE = 5 + SEALED_RECORD_BYTES + 16;

  it('keeps nothing of a record changed on the way: the records before it, then an error', async () => {
    const target = RECORD_ON_WIRE + 5 + 1000; // a byte of the second record's ciphertext
    const got = await throughRelay((bytes, before) => {
      if (target >= before && target < before + bytes.length) {
        const copy = Buffer.from(bytes);
        copy[target - before]! ^= 0x01;
        return copy;
      }
      return bytes;
    });
    expect(got.error).toBeInstanceOf(SealedStreamError);
    expect((got.error as Error).message).toBe('sealed record failed its check');
    expect(got.data.equals(data.subarray(0, SEALED_RECORD_BYTES))).toBe(true);
  });

  it('refuses a record replayed in place of the next one', async () => {
    let first: Buffer = Buffer.alloc(0);
    const got = await throughRelay((bytes, before) => {
      // Keep the first record, then send it again where the second starts; stop there.
      if (before < RECORD_ON_WIRE) first = Buffer.concat([first, bytes.subarray(0, Math.max(0, RECORD_ON_WIRE - before))]);
      if (before + bytes.length < RECORD_ON_WIRE) return bytes;
      if (before >= RECORD_ON_WIRE) return 'cut';
      return Buffer.concat([bytes.subarray(0, RECORD_ON_WIRE - before), first]);
    });
    expect((got.error as Error).message).toBe('sealed record failed its check');
    expect(got.data.equals(data.subarray(0, SEALED_RECORD_BYTES))).toBe(true);
  });

  it('takes a stream cut between records as cut, never as complete', async () => {
    const got = await throughRelay((bytes, before) => {
      if (before + bytes.length <= 2 * RECORD_ON_WIRE) return bytes;
      return before >= 2 * RECORD_ON_WIRE ? 'cut' : bytes.subarray(0, 2 * RECORD_ON_WIRE - before);
    });
    expect(got.error).toBeInstanceOf(SealedStreamError);
    expect((got.error as SealedStreamError).reachable).toBe(true);
    expect(got.data.equals(data.subarray(0, 2 * SEALED_RECORD_BYTES))).toBe(true);
  });

  it('sends nothing to a wrong token or to the right token from another host, and keeps the offer for its caller', async () => {
    const offer = listener.offer(DOWNLOADER);
    const tries: [string, Buffer][] = [
      [DOWNLOADER, randomBytes(16)],
      [STRANGER, offer.token],
      [DOWNLOADER, Buffer.concat([offer.token, Buffer.from('x')])],
    ];
    for (const [from, token] of tries) {
      const socket = connect({ host: HOLDER, port: offer.port, localAddress: from });
      let received = 0;
      socket.on('data', (bytes: Buffer) => {
        received += bytes.length;
      });
      socket.on('error', () => undefined);
      socket.write(token);
      await once(socket, 'close');
      expect(received).toBe(0);
    }
    const sent = serve(offer, { offset: 0, end: 1000 });
    const got = await drain(
      readSealed(offer, { host: HOLDER, localAddress: DOWNLOADER }, 1000, budget(), { signal: new AbortController().signal, idleMs: 10_000 }),
    );
    expect(got.data.equals(data.subarray(0, 1000))).toBe(true);
    expect(await sent).toBe(1000);
  });

  it('serves a token once', async () => {
    const offer = listener.offer(DOWNLOADER);
    const sent = serve(offer, { offset: 0, end: 10 });
    await drain(readSealed(offer, { host: HOLDER, localAddress: DOWNLOADER }, 10, budget(), { signal: new AbortController().signal, idleMs: 10_000 }));
    await sent;
    const again = await drain(
      readSealed(offer, { host: HOLDER, localAddress: DOWNLOADER }, 10, budget(), { signal: new AbortController().signal, idleMs: 10_000 }),
    );
    // Closed by the listener at once (not left open until the reader's idle time).
    expect((again.error as SealedStreamError).message).toMatch(/^sealed stream (closed|cut) before its last record$/);
    expect((again.error as SealedStreamError).reachable).toBe(false);
    expect(again.data.length).toBe(0);
  });

  /** A holder of our own on the listener's connection: writes `bytes`, then stays silent or ends. */
  async function readFrom(bytes: Buffer, expected: number, then: 'end' | 'silent', idleMs = 10_000) {
    const offer = listener.offer(DOWNLOADER);
    const reading = drain(readSealed(offer, { host: HOLDER, localAddress: DOWNLOADER }, expected, budget(), { signal: new AbortController().signal, idleMs }));
    const socket = await offer.connection;
    socket.write(bytes);
    if (then === 'end') socket.end();
    const got = await reading;
    socket.destroy();
    return { got, key: offer.key };
  }

  /** One record as the proto describes it, sealed under `key`. */
  function record(key: Buffer, index: number, plaintext: Buffer, flags: number): Buffer {
    const head = Buffer.alloc(5);
    head.writeUInt32BE(plaintext.length, 0);
    head[4] = flags;
    const iv = Buffer.alloc(12);
    iv.writeBigUInt64BE(BigInt(index), 4);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(head);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([head, body, cipher.getAuthTag()]);
  }

  it('refuses records that are not full (empty, short) or flagged wrongly, whatever their seal, from a holder of its own', async () => {
    const offer = listener.offer(DOWNLOADER);
    const key = offer.key;
    offer.cancel();
    const cases: [string, (key: Buffer) => Buffer, number][] = [
      // An endless stream of empty records would never end nor stall.
      ['an empty record not flagged last', (k) => Buffer.concat([record(k, 0, Buffer.alloc(0), 0), record(k, 1, Buffer.alloc(0), 0)]), 10],
      ['a short record before the last', (k) => record(k, 0, Buffer.alloc(5, 1), 0), 10],
      ['the last flag on a record that does not end the range', (k) => record(k, 0, Buffer.alloc(5, 1), 1), 10],
      ['no last flag on the record that ends it', (k) => record(k, 0, Buffer.alloc(10, 1), 0), 10],
      ['an unknown flag', (k) => record(k, 0, Buffer.alloc(10, 1), 3), 10],
    ];
    expect(key.length).toBe(32);
    for (const [, make, expected] of cases) {
      const attempt = listener.offer(DOWNLOADER);
      const reading = drain(
        readSealed(attempt, { host: HOLDER, localAddress: DOWNLOADER }, expected, budget(), { signal: new AbortController().signal, idleMs: 10_000 }),
      );
      const socket = await attempt.connection;
      socket.write(make(attempt.key));
      const got = await reading;
      socket.destroy();
      expect((got.error as Error).message).toBe('malformed sealed record');
      expect(got.data.length).toBe(0);
    }
    // The same records, well formed, are read.
    const good = listener.offer(DOWNLOADER);
    const reading = drain(readSealed(good, { host: HOLDER, localAddress: DOWNLOADER }, 10, budget(), { signal: new AbortController().signal, idleMs: 10_000 }));
    const socket = await good.connection;
    socket.end(record(good.key, 0, Buffer.alloc(10, 7), 1));
    expect((await reading).data.equals(Buffer.alloc(10, 7))).toBe(true);
  });

  it('refuses a record sealed under another key, or under its own key with another index', async () => {
    const wrongKey = await readFrom(record(randomBytes(32), 0, Buffer.alloc(10, 1), 1), 10, 'end');
    expect((wrongKey.got.error as Error).message).toBe('sealed record failed its check');
    // Nothing checked yet: the port is not taken as serving this stream (the caller may ask for chunks).
    expect((wrongKey.got.error as SealedStreamError).reachable).toBe(false);
    const offer = listener.offer(DOWNLOADER);
    const reading = drain(
      readSealed(offer, { host: HOLDER, localAddress: DOWNLOADER }, 10, budget(), { signal: new AbortController().signal, idleMs: 10_000 }),
    );
    const socket = await offer.connection;
    socket.end(record(offer.key, 1, Buffer.alloc(10, 1), 1));
    const wrongIndex = await reading;
    expect((wrongIndex.error as Error).message).toBe('sealed record failed its check');
    expect(wrongIndex.data.length).toBe(0);
  });

  it('takes a port that answers with anything but records as not serving the stream', async () => {
    const { got } = await readFrom(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'), 10, 'end');
    expect(got.error).toBeInstanceOf(SealedStreamError);
    expect((got.error as SealedStreamError).reachable).toBe(false);
  });

  it('times a holder that goes quiet after the consumer waited for a buffer', async () => {
    // One buffer: the second record waits for it while the consumer holds the first.
    const offer = listener.offer(DOWNLOADER);
    const buffers = new ReceiveBudget(SEALED_RECORD_BYTES + 16, 1);
    const chunks = readSealed(offer, { host: HOLDER, localAddress: DOWNLOADER }, 3 * SEALED_RECORD_BYTES, buffers, {
      signal: new AbortController().signal,
      idleMs: 300,
    })[Symbol.asyncIterator]();
    // (The generator connects when first asked.)
    const firstChunk = chunks.next();
    const socket = await offer.connection;
    const first = record(offer.key, 0, data.subarray(0, SEALED_RECORD_BYTES), 0);
    const second = record(offer.key, 1, data.subarray(SEALED_RECORD_BYTES, 2 * SEALED_RECORD_BYTES), 0);
    // The first record and half the second, then nothing more, and no end.
    socket.write(Buffer.concat([first, second.subarray(0, second.length / 2)]));
    const one = await firstChunk;
    expect(one.done).toBe(false);
    const next = chunks.next();
    one.value!.release();
    await expect(next).rejects.toThrow('sealed stream stalled');
    socket.destroy();
    expect(buffers.outstanding).toBe(0);
  });

  it('does not take a download as sent when its reader closes the connection midway', async () => {
    const big = dir.join('closing.bin');
    writeFileSync(big, randomBytes(48 * 1024 * 1024));
    const bigHandle = await open(big, 'r');
    const offer = listener.offer(DOWNLOADER);
    const reader = connect({ host: HOLDER, port: offer.port, localAddress: DOWNLOADER });
    reader.on('error', () => undefined);
    reader.write(offer.token);
    // Gone after its first bytes.
    reader.once('data', () => reader.destroy());
    const socket = await offer.connection;
    try {
      const outcome = await sendSealed(
        socket,
        bigHandle,
        offer.key,
        { offset: 0, end: 48 * 1024 * 1024 },
        { stopped: () => false, idleMs: 30_000, clock: systemClock, shrunk: () => new Error('shrunk') },
      ).then(
        () => 'sent',
        (error: Error) => error,
      );
      expect(outcome).toBeInstanceOf(SealedClosedError);
    } finally {
      socket.destroy();
      await bigHandle.close();
    }
  });

  it('ends a download whose reader stops taking bytes after the idle time, freeing its connection', async () => {
    const big = dir.join('big.bin');
    writeFileSync(big, randomBytes(48 * 1024 * 1024));
    const bigHandle = await open(big, 'r');
    const clock = new FakeClock();
    const offer = listener.offer(DOWNLOADER);
    // A reader that presents its token and then reads nothing.
    const reader = connect({ host: HOLDER, port: offer.port, localAddress: DOWNLOADER });
    reader.on('error', () => undefined);
    reader.write(offer.token);
    reader.pause();
    const socket = await offer.connection;
    try {
      const sending = sendSealed(
        socket,
        bigHandle,
        offer.key,
        { offset: 0, end: 48 * 1024 * 1024 },
        { stopped: () => false, idleMs: 30_000, clock, shrunk: () => new Error('shrunk') },
      );
      const outcome = sending.then(
        () => 'sent',
        (error: Error) => error.constructor.name,
      );
      // Once the kernel's buffers are full the sender waits, on the fake clock.
      while (clock.pending === 0) await new Promise((resolve) => setImmediate(resolve));
      await clock.advance(30_000);
      expect(await outcome).toBe('SealedIdleError');
    } finally {
      socket.destroy();
      reader.destroy();
      await bigHandle.close();
    }
  });

  it('tells a port where nothing listens (unreachable: the caller may ask for chunks) from a stream that broke', async () => {
    const closed = createServer();
    closed.listen(0, HOLDER);
    await once(closed, 'listening');
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const got = await drain(
      readSealed({ port, key: randomBytes(32), token: randomBytes(16) }, { host: HOLDER, localAddress: DOWNLOADER }, 10, budget(), {
        signal: new AbortController().signal,
        idleMs: 10_000,
      }),
    );
    expect(got.error).toBeInstanceOf(SealedStreamError);
    expect((got.error as SealedStreamError).reachable).toBe(false);
  });

  it('ends a stream whose holder goes quiet after the idle time, and stops at once when cancelled', async () => {
    const offer = listener.offer(DOWNLOADER);
    const quiet = offer.connection; // connected, then nothing is sent
    const stalled = drain(readSealed(offer, { host: HOLDER, localAddress: DOWNLOADER }, 10, budget(), { signal: new AbortController().signal, idleMs: 200 }));
    const socket = await quiet;
    expect(((await stalled).error as Error).message).toBe('sealed stream stalled');
    socket.destroy();
    const second = listener.offer(DOWNLOADER);
    const controller = new AbortController();
    const cancelled = drain(readSealed(second, { host: HOLDER, localAddress: DOWNLOADER }, 10, budget(), { signal: controller.signal, idleMs: 60_000 }));
    const other = await second.connection;
    controller.abort();
    expect(((await cancelled).error as Error).message).toBe('cancelled');
    other.destroy();
  });

  it('withdraws an offer nobody took within the connect timeout, and one withdrawn by its call', async () => {
    const clock = new FakeClock();
    const timed = await SealedStreamListener.start(HOLDER, clock);
    try {
      const offer = timed.offer(DOWNLOADER);
      const outcome = offer.connection.then(
        () => 'connected',
        (error: Error) => error.message,
      );
      await clock.advance(SEALED_CONNECT_TIMEOUT_MS);
      expect(await outcome).toBe('no sealed-stream connection in time');
      const withdrawn = timed.offer(DOWNLOADER);
      withdrawn.cancel();
      await expect(withdrawn.connection).rejects.toThrow('sealed-stream offer withdrawn');
      // The token is good for nothing now: the connection is closed unanswered.
      const socket: Socket = connect({ host: HOLDER, port: withdrawn.port, localAddress: DOWNLOADER });
      socket.on('error', () => undefined);
      socket.write(withdrawn.token);
      await once(socket, 'close');
    } finally {
      await timed.close();
    }
  });
});

describe('Download with sealed_stream, from a pinned FileService', () => {
  let dir: TempDir;
  const data = randomBytes(2 * SEALED_RECORD_BYTES + 999);
  let path: string;
  let files: SharedFiles;
  let holder: Awaited<ReturnType<typeof createSelfSignedIdentity>>;
  let downloader: Awaited<ReturnType<typeof createSelfSignedIdentity>>;

  beforeAll(async () => {
    dir = makeTempDir();
    path = dir.join('song.bin');
    writeFileSync(path, data);
    files = new SharedFiles();
    files.add(await hashLocalFile(path, createHashCache()));
    holder = await createSelfSignedIdentity('holder');
    downloader = await createSelfSignedIdentity('downloader');
  });

  afterAll(() => dir.remove());

  /** A pinned FileService on `host`, offering sealed streams from `listener` (when given). */
  async function startHolder(host: string, listener: SealedStreamListener | undefined, clock?: FakeClock) {
    const clients = new ClientCertificates();
    const served: ServedDownload[] = [];
    // Told once each call has closed its file, which may be after the downloader is done.
    const waiters: { count: number; resolve: () => void }[] = [];
    const servedCount = (count: number): Promise<ServedDownload[]> =>
      new Promise<void>((resolve) => {
        if (served.length >= count) resolve();
        else waiters.push({ count, resolve });
      }).then(() => served);
    const service = createFileService({
      files,
      self: () => host,
      clientCertificate: (peer) => clients.fingerprintOf(peer),
      onServed: (download) => {
        served.push(download);
        for (const waiter of waiters) if (served.length >= waiter.count) waiter.resolve();
      },
      ...(listener === undefined ? {} : { sealed: () => listener }),
      ...(clock === undefined ? {} : { clock }),
    });
    const server = await startFileServer(`${host}:0`, service, undefined, undefined, { ...holder, clients });
    return { server, servedCount };
  }

  const fetch = (target: string, sealedStreams: boolean) =>
    downloadedBytes(
      grpcDownloadSource({
        address: target,
        holder: 'holder',
        sha256: files.get(path)!.sha256,
        path,
        name: 'song.bin',
        pinned: { fingerprint: holder.fingerprint, client: downloader },
        sealedStreams,
      }).open(0, new AbortController().signal),
    );

  it('moves the bytes on a sealed stream when asked over TLS, and in chunks when not', async () => {
    const listener = await SealedStreamListener.start('127.30.1.1', systemClock);
    const { server, servedCount } = await startHolder('127.30.1.1', listener);
    try {
      expect((await fetch(server.target, true)).equals(data)).toBe(true);
      expect((await fetch(server.target, false)).equals(data)).toBe(true);
      // (Told when each call has closed its file, so not necessarily in call order.)
      expect((await servedCount(2)).map((download) => [download.sealed, download.complete, download.bytes]).sort()).toEqual([
        [false, true, data.length],
        [true, true, data.length],
      ]);
    } finally {
      await server.close(100);
      await listener.close();
    }
  });

  it('ends a sealed download whose reader stops taking bytes with DOWNLOAD_IDLE, freeing its slot', async () => {
    const bigPath = dir.join('big.bin');
    writeFileSync(bigPath, randomBytes(48 * 1024 * 1024));
    files.add(await hashLocalFile(bigPath, createHashCache()));
    const clock = new FakeClock();
    const listener = await SealedStreamListener.start('127.30.1.5', systemClock);
    const { server, servedCount } = await startHolder('127.30.1.5', listener, clock);
    const chunks = grpcDownloadSource({
      address: server.target,
      holder: 'holder',
      sha256: files.get(bigPath)!.sha256,
      path: bigPath,
      name: 'big.bin',
      pinned: { fingerprint: holder.fingerprint, client: downloader },
      sealedStreams: true,
    })
      .open(0, new AbortController().signal)
      [Symbol.asyncIterator]();
    const held: (() => void)[] = [];
    try {
      // Take chunks without giving their buffers back: the reader runs out of buffers and
      // stops reading, the kernel's buffers fill, and the holder waits on its (fake) clock.
      while (held.length < RECEIVE_BUFFERS.count) {
        const next = await chunks.next();
        if (next.value?.type === 'chunk') held.push(next.value.release!);
      }
      while (clock.pending === 0) await new Promise((resolve) => setImmediate(resolve));
      await clock.advance(DEFAULT_SERVE_IDLE_TIMEOUT_MS);
      const [served] = await servedCount(1);
      expect(served).toMatchObject({ sealed: true, complete: false });
      for (const release of held.splice(0)) release();
      // What was received before is still handed on; then the holder's reason.
      let outcome: unknown;
      try {
        for (;;) {
          const next = await chunks.next();
          if (next.done === true) break;
          if (next.value.type === 'chunk') next.value.release?.();
        }
      } catch (error) {
        outcome = error;
      }
      expect(outcome).toMatchObject({ reason: Reason.DOWNLOAD_IDLE });
    } finally {
      for (const release of held) release();
      await chunks.return?.(undefined);
      await server.close(100);
      await listener.close();
    }
  });

  it("asks again for chunks when the holder's stream port cannot be reached", async () => {
    // The listener is on another address than the FileService: its port is closed where the downloader dials.
    const listener = await SealedStreamListener.start('127.30.1.3', systemClock);
    const { server, servedCount } = await startHolder('127.30.1.2', listener);
    try {
      expect((await fetch(server.target, true)).equals(data)).toBe(true);
      // The first call was cancelled before its offer was taken; the second sent chunks.
      expect((await servedCount(2)).map((download) => [download.sealed, download.complete]).sort()).toEqual([
        [false, true],
        [true, false],
      ]);
    } finally {
      await server.close(100);
      await listener.close();
    }
  });

  it('ignores sealed_stream on a holder that offers no sealed streams (plaintext transfers, older peers)', async () => {
    const { server, servedCount } = await startHolder('127.30.1.4', undefined);
    try {
      expect((await fetch(server.target, true)).equals(data)).toBe(true);
      expect((await servedCount(1)).map((download) => download.sealed)).toEqual([false]);
    } finally {
      await server.close(100);
    }
  });
});

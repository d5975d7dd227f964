import { createCipheriv, createDecipheriv, randomBytes, type DecipherGCM } from 'node:crypto';
import { once } from 'node:events';
import type { FileHandle } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Clock } from '@kompart/core';
import { copyInto, type ReceiveBudget } from './receive-budget.js';

/**
 * Sealed streams: a download's bytes on a TCP connection of their own, in AES-256-GCM
 * records, keyed by the Download call that offered them (file_service.proto,
 * SealedStream, has the record format and the rules). This file has both ends: the
 * holder's listener and sender, and the downloader's reader.
 */

/** Plaintext bytes per record the holder sends. */
export const SEALED_RECORD_BYTES = 1024 * 1024;
/** Largest record a reader accepts (the proto's "at most 1 MiB"). */
const MAX_SEALED_RECORD_BYTES = 1024 * 1024;
/** How long an offer waits for its connection, and a connection for its token, ms. */
export const SEALED_CONNECT_TIMEOUT_MS = 10_000;
/** How long a reader waits for the first record to arrive and check, ms (then it asks for chunks). */
const SEALED_FIRST_RECORD_TIMEOUT_MS = 10_000;
/** Bytes the holder encrypts and writes at a time inside a record (under glibc's mmap threshold). */
const SLICE_BYTES = 64 * 1024;
const HEAD_BYTES = 5;
const TAG_BYTES = 16;
const TOKEN_BYTES = 16;
const KEY_BYTES = 32;
const LAST_RECORD = 1;
/** Checked records queued ahead of the consumer before the socket is paused. */
const QUEUE_HIGH_WATER = 2;
/** Connections that have not yet sent a known token, at most: more are closed at once. */
const MAX_UNIDENTIFIED = 64;

function nonce(index: number): Buffer {
  const bytes = Buffer.alloc(12);
  bytes.writeBigUInt64BE(BigInt(index), 4);
  return bytes;
}

/** `::ffff:127.0.0.3` → `127.0.0.3`: hosts compared as grpc-js reports them. */
function plainHost(address: string | undefined): string {
  const host = address ?? '';
  return host.startsWith('::ffff:') && host.includes('.') ? host.slice(7) : host;
}

/** What the holder tells the downloader (SealedStream), and the connection it waits for. */
export interface SealedOffer {
  readonly port: number;
  readonly key: Buffer;
  readonly token: Buffer;
  /** The downloader's connection, once it presented the token; rejects after the connect timeout or `cancel`. */
  readonly connection: Promise<Socket>;
  /** Withdraws the offer (the call ended first): the token is good for nothing from now on. */
  cancel(): void;
}

interface Expected {
  readonly host: string;
  readonly resolve: (socket: Socket) => void;
  readonly reject: (error: Error) => void;
  readonly timer: ReturnType<Clock['setTimeout']>;
}

/**
 * The holder's listener for sealed streams, on the FileService's host. A connection must
 * present a token it offered, from the host the offer was made to, within the connect
 * timeout; otherwise it is closed without a byte sent.
 */
export class SealedStreamListener {
  readonly #server: Server;
  readonly #clock: Clock;
  readonly #expected = new Map<string, Expected>();
  readonly #sockets = new Set<Socket>();
  #unidentified = 0;

  private constructor(server: Server, clock: Clock) {
    this.#server = server;
    this.#clock = clock;
    server.on('connection', (socket) => this.#identify(socket));
    // An accept that fails (EMFILE, …) costs that connection only: its downloader asks for chunks.
    server.on('error', () => undefined);
  }

  /** Listens on `host`, port 0 (any free one) unless told otherwise. */
  static async start(host: string, clock: Clock, port = 0): Promise<SealedStreamListener> {
    const server = createServer({ noDelay: true });
    const listener = new SealedStreamListener(server, clock);
    server.listen(port, host.replace(/^\[(.*)\]$/, '$1'));
    await once(server, 'listening');
    return listener;
  }

  get port(): number {
    const address = this.#server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  /** Offers to `host` (the Download call's client host) a stream of its own. */
  offer(host: string, timeoutMs = SEALED_CONNECT_TIMEOUT_MS): SealedOffer {
    const token = randomBytes(TOKEN_BYTES);
    const id = token.toString('hex');
    let settle: Pick<Expected, 'resolve' | 'reject'> | undefined;
    const connection = new Promise<Socket>((resolve, reject) => {
      settle = { resolve, reject };
    });
    // Nobody has to wait on it for a withdrawn offer's rejection to be harmless.
    connection.catch(() => undefined);
    const timer = this.#clock.setTimeout(() => this.#withdraw(id, new Error('no sealed-stream connection in time')), timeoutMs);
    this.#expected.set(id, { host: plainHost(host), timer, ...settle! });
    return { port: this.port, key: randomBytes(KEY_BYTES), token, connection, cancel: () => this.#withdraw(id, new Error('sealed-stream offer withdrawn')) };
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    for (const id of [...this.#expected.keys()]) this.#withdraw(id, new Error('closing'));
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #withdraw(id: string, error: Error): void {
    const expected = this.#expected.get(id);
    if (expected === undefined) return;
    this.#expected.delete(id);
    this.#clock.clearTimeout(expected.timer);
    expected.reject(error);
  }

  #identify(socket: Socket): void {
    if (this.#unidentified >= MAX_UNIDENTIFIED) {
      socket.destroy();
      return;
    }
    this.#unidentified++;
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    socket.on('error', () => undefined);
    let received = Buffer.alloc(0);
    let identified = false;
    const timer = this.#clock.setTimeout(() => socket.destroy(), SEALED_CONNECT_TIMEOUT_MS);
    const done = (): void => {
      if (identified) return;
      identified = true;
      this.#unidentified--;
      this.#clock.clearTimeout(timer);
      socket.off('data', onData);
    };
    socket.once('close', done);
    const onData = (data: Buffer): void => {
      received = Buffer.concat([received, data]);
      if (received.length < TOKEN_BYTES) return;
      done();
      const id = received.subarray(0, TOKEN_BYTES).toString('hex');
      const expected = this.#expected.get(id);
      // More than the token, an unknown token or another host: closed, the offer kept for its caller.
      if (received.length !== TOKEN_BYTES || expected === undefined || expected.host !== plainHost(socket.remoteAddress)) {
        socket.destroy();
        return;
      }
      this.#expected.delete(id);
      this.#clock.clearTimeout(expected.timer);
      // The downloader sends nothing after its token.
      socket.on('data', () => socket.destroy());
      expected.resolve(socket);
    };
    socket.on('data', onData);
  }
}

/** Raised by sendSealed when the reader took nothing for the idle time. */
export class SealedIdleError extends Error {}

/**
 * Sends bytes [`offset`, `end`) of `handle` on `socket` in sealed records, honouring
 * backpressure; resolves with the bytes sent once the last record is handed to the kernel.
 * Stops early (resolving with what was sent) when `stopped()` turns true or the socket
 * closes; throws SealedIdleError when the socket takes nothing for `idleMs`, and
 * `shrunk()`'s error when the file ends early.
 */
export async function sendSealed(
  socket: Socket,
  handle: FileHandle,
  key: Buffer,
  range: { readonly offset: number; readonly end: number },
  control: { readonly stopped: () => boolean; readonly idleMs: number; readonly clock: Clock; readonly shrunk: (position: number) => Error },
): Promise<number> {
  let closed = false;
  socket.once('close', () => {
    closed = true;
  });
  // Two buffers: the next record is read from the file while this one is sealed and sent.
  const spare = [Buffer.allocUnsafe(SEALED_RECORD_BYTES), Buffer.allocUnsafe(SEALED_RECORD_BYTES)];
  const readAt = async (position: number, buffer: Buffer): Promise<{ buffer: Buffer; length: number }> => {
    const length = Math.min(SEALED_RECORD_BYTES, range.end - position);
    const { bytesRead } = length === 0 ? { bytesRead: 0 } : await handle.read(buffer, 0, length, position);
    if (bytesRead !== length) throw control.shrunk(position);
    return { buffer, length };
  };
  let position = range.offset;
  let index = 0;
  let sent = 0;
  let next = readAt(position, spare[0]!);
  for (;;) {
    const { buffer, length } = await next;
    if (control.stopped()) return sent;
    if (closed) throw new SealedClosedError('the sealed stream was closed before its last record');
    position += length;
    const last = position === range.end;
    if (!last) {
      next = readAt(position, spare[index % 2 === 0 ? 1 : 0]!);
      // Surfaces through `await next`; not an unhandled rejection if the loop stops first.
      next.catch(() => undefined);
    }
    const head = Buffer.alloc(HEAD_BYTES);
    head.writeUInt32BE(length, 0);
    head[4] = last ? LAST_RECORD : 0;
    const cipher = createCipheriv('aes-256-gcm', key, nonce(index++));
    cipher.setAAD(head);
    // One writev(2) per record rather than a write, and a segment, per part of it.
    socket.cork();
    socket.write(head);
    for (let at = 0; at < length; at += SLICE_BYTES) {
      socket.write(cipher.update(buffer.subarray(at, Math.min(length, at + SLICE_BYTES))));
    }
    cipher.final();
    const writable = socket.write(cipher.getAuthTag());
    socket.uncork();
    sent += length;
    if (!writable) await drained(socket, control);
    if (last) break;
  }
  if (control.stopped()) return sent;
  if (closed) throw new SealedClosedError('the sealed stream was closed before its last record');
  // Ended only once everything is with the kernel: a reader that stops taking it is timed here too.
  const flushed = drained(socket, control, ['finish', 'close']);
  socket.end();
  await flushed;
  return sent;
}

/** Raised by sendSealed when the reader's connection closed before the last record (its call still open). */
export class SealedClosedError extends Error {}

/**
 * Resolves on the first of `events` (`drain`, `finish` or `close`); rejects with
 * SealedIdleError when the kernel took none of what waits in the socket for `idleMs`
 * (progress within a record counts).
 */
function drained(
  socket: Socket,
  control: { readonly idleMs: number; readonly clock: Clock },
  events: readonly string[] = ['drain', 'finish', 'close'],
): Promise<void> {
  return new Promise((resolve, reject) => {
    let waiting = socket.writableLength;
    const off = (): void => {
      control.clock.clearTimeout(timer);
      for (const event of events) socket.off(event, done);
    };
    const done = (): void => {
      off();
      resolve();
    };
    const check = (): void => {
      if (socket.writableLength < waiting) {
        waiting = socket.writableLength;
        timer = control.clock.setTimeout(check, control.idleMs);
        return;
      }
      off();
      reject(new SealedIdleError('sealed stream: the reader took nothing'));
    };
    let timer = control.clock.setTimeout(check, control.idleMs);
    for (const event of events) socket.on(event, done);
  });
}

/** Why a sealed stream could not be read; `reachable` false when no record from the holder's port checked (nothing was handed on). */
export class SealedStreamError extends Error {
  constructor(
    message: string,
    readonly reachable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** One decrypted record: `data` views a receive buffer, given back by `release`. */
export interface SealedChunk {
  readonly data: Buffer;
  readonly release: () => void;
}

/** Bytes of the one buffer a reader's socket reads into. */
const READ_BYTES = 256 * 1024;

/**
 * Reads a sealed stream: connects to `port` on `host` from `localAddress` (the address
 * the Download call came from), presents `token`, and yields each record's plaintext once
 * its tag checked, in a buffer of `buffers` (the socket pauses while all are out). Ends
 * after the last record, which must bring the total to `expected` bytes. Throws
 * SealedStreamError: unreachable (no record checked, within the first-record timeout or
 * at all: the caller may ask for chunks instead), or a stream changed, cut or idle for `idleMs` while waited for, or cancelled
 * by `signal`.
 */
export async function* readSealed(
  offer: { readonly port: number; readonly key: Uint8Array; readonly token: Uint8Array },
  target: { readonly host: string; readonly localAddress?: string | undefined },
  expected: number,
  buffers: ReceiveBudget,
  control: { readonly signal: AbortSignal; readonly idleMs: number },
): AsyncGenerator<SealedChunk> {
  if (offer.key.length !== KEY_BYTES || offer.token.length !== TOKEN_BYTES || offer.port < 1 || offer.port > 65_535) {
    throw new SealedStreamError('malformed sealed-stream offer', false);
  }
  const reader = new SealedReader(Buffer.from(offer.key), expected, buffers);
  const socket = connect({
    host: target.host,
    port: offer.port,
    noDelay: true,
    ...(target.localAddress === undefined ? {} : { localAddress: target.localAddress }),
    onread: {
      buffer: Buffer.allocUnsafe(READ_BYTES),
      callback: (bytes: number, buffer: Uint8Array) => {
        reader.read(buffer.subarray(0, bytes) as Buffer);
        return true;
      },
    },
  });
  reader.attach(socket);
  socket.on('error', (error) => reader.fail(new SealedStreamError(`sealed stream: ${error.message}`, reader.verified, { cause: error })));
  socket.on('end', () => reader.end());
  socket.on('close', () => reader.closed());
  const abort = (): void => reader.fail(new SealedStreamError('cancelled', reader.verified));
  control.signal.addEventListener('abort', abort, { once: true });
  // A port that drops what it is sent (a firewall) or a silent middlebox is given up on
  // soon: until a first record checks, the caller may still ask for chunks.
  const connecting = setTimeout(() => {
    if (!reader.verified) reader.fail(new SealedStreamError('no sealed record in time', false));
  }, SEALED_FIRST_RECORD_TIMEOUT_MS);
  socket.write(offer.token);
  // Armed only while the consumer waits for the holder; bytes arriving restart it.
  let idle: NodeJS.Timeout | undefined;
  reader.onBytes = () => idle?.refresh();
  try {
    for (;;) {
      const chunk = reader.queue.shift();
      if (chunk !== undefined) {
        reader.taken();
        yield chunk;
        continue;
      }
      if (reader.failure !== undefined) throw reader.failure;
      if (reader.done) return;
      // Only the wait for the holder is timed, not the consumer's work nor a wait for a buffer.
      await new Promise<void>((resolve) => {
        reader.wake = resolve;
        if (!reader.waitingForBuffer) idle = setTimeout(() => reader.fail(new SealedStreamError('sealed stream stalled', reader.verified)), control.idleMs);
      });
      clearTimeout(idle);
      idle = undefined;
    }
  } finally {
    clearTimeout(idle);
    clearTimeout(connecting);
    control.signal.removeEventListener('abort', abort);
    reader.close();
    socket.destroy();
  }
}

/** A sealed stream's records parsed as bytes arrive (readSealed's socket `onread`). */
class SealedReader {
  readonly queue: SealedChunk[] = [];
  failure: SealedStreamError | undefined;
  /** The last record was read and checked, and the holder ended the connection. */
  done = false;
  /** A record arrived and checked: the holder's port really serves this stream. */
  verified = false;
  wake: (() => void) | undefined;
  /** Told of every read (the reader's idle timer restarts). */
  onBytes: (() => void) | undefined;
  waitingForBuffer = false;
  #socket: { pause(): void; resume(): void; isPaused(): boolean } | undefined;
  #ended = false;
  #endOfStream = false;
  #index = 0;
  #total = 0;
  readonly #head = Buffer.alloc(HEAD_BYTES);
  #headFill = 0;
  readonly #tag = Buffer.alloc(TAG_BYTES);
  #tagFill = 0;
  #length = 0;
  #last = false;
  #bodyLeft = 0;
  #fill = 0;
  #decipher: DecipherGCM | undefined;
  #buffer: Buffer | undefined;
  /** Bytes not parsed yet while waiting for a buffer (copied: the read buffer is reused). */
  #held: Buffer | undefined;
  #cancelWait: (() => void) | undefined;

  constructor(
    readonly key: Buffer,
    readonly expected: number,
    readonly buffers: ReceiveBudget,
  ) {}

  attach(socket: { pause(): void; resume(): void; isPaused(): boolean }): void {
    this.#socket = socket;
  }

  /** A chunk was taken by the consumer: read on if the queue had paused the socket. */
  taken(): void {
    if (this.queue.length < QUEUE_HIGH_WATER && !this.waitingForBuffer && this.#socket?.isPaused() === true) this.#socket.resume();
  }

  fail(error: SealedStreamError): void {
    if (this.failure !== undefined || this.done) return;
    this.failure = error;
    this.close();
    this.#notify();
  }

  /** The connection closed: a failure unless the holder ended it first (records may still be held). */
  closed(): void {
    if (!this.#endOfStream) this.fail(new SealedStreamError('sealed stream closed before its last record', this.verified));
  }

  /** The holder ended the connection: complete only after the last record. */
  end(): void {
    this.#endOfStream = true;
    if (this.#held !== undefined) return;
    this.#finish();
  }

  /** Gives back every buffer still held; safe more than once. */
  close(): void {
    for (const chunk of this.queue.splice(0)) chunk.release();
    if (this.#buffer !== undefined) this.buffers.give(this.#buffer);
    this.#buffer = undefined;
    this.#cancelWait?.();
    this.#cancelWait = undefined;
    this.#held = undefined;
  }

  #finish(): void {
    if (this.failure !== undefined || this.done) return;
    if (!this.#ended) {
      this.fail(new SealedStreamError('sealed stream cut before its last record', this.verified));
      return;
    }
    this.done = true;
    this.#notify();
  }

  #notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Parses `data` (valid only during the call). */
  read(data: Buffer): void {
    if (this.failure !== undefined || data.length === 0) return;
    this.onBytes?.();
    try {
      this.#parse(data);
    } catch (error) {
      this.fail(error instanceof SealedStreamError ? error : new SealedStreamError(`sealed stream: ${String(error)}`, this.verified, { cause: error }));
    }
  }

  #parse(data: Buffer): void {
    let at = 0;
    while (at < data.length) {
      if (this.#ended) throw new SealedStreamError('bytes after the last record', this.verified);
      if (this.#decipher === undefined) {
        const take = Math.min(HEAD_BYTES - this.#headFill, data.length - at);
        data.copy(this.#head, this.#headFill, at, at + take);
        this.#headFill += take;
        at += take;
        if (this.#headFill < HEAD_BYTES) return;
        const flags = this.#head[4]!;
        this.#length = this.#head.readUInt32BE(0);
        this.#last = (flags & LAST_RECORD) !== 0;
        // Every record but the last is full, and the last is flagged: nothing else is accepted.
        const wanted = Math.min(MAX_SEALED_RECORD_BYTES, this.expected - this.#total);
        if (this.#length !== wanted || (flags & ~LAST_RECORD) !== 0 || this.#last !== (this.#total + this.#length === this.expected)) {
          throw new SealedStreamError('malformed sealed record', this.verified);
        }
        this.#buffer = this.buffers.take();
        if (this.#buffer === undefined) {
          this.#waitForBuffer(data.subarray(at));
          return;
        }
        this.#open();
        continue;
      }
      if (this.#bodyLeft > 0) {
        const take = Math.min(this.#bodyLeft, data.length - at);
        const plain = this.#decipher.update(data.subarray(at, at + take));
        copyInto(this.#buffer!, this.#fill, plain, 0, plain.length);
        this.#fill += plain.length;
        this.#bodyLeft -= take;
        at += take;
        continue;
      }
      const take = Math.min(TAG_BYTES - this.#tagFill, data.length - at);
      data.copy(this.#tag, this.#tagFill, at, at + take);
      this.#tagFill += take;
      at += take;
      if (this.#tagFill < TAG_BYTES) return;
      this.#decipher.setAuthTag(this.#tag);
      try {
        this.#decipher.final();
      } catch (error) {
        throw new SealedStreamError('sealed record failed its check', this.verified, { cause: error });
      }
      this.#decipher = undefined;
      this.#headFill = 0;
      this.#total += this.#length;
      this.verified = true;
      if (this.#last) this.#ended = true;
      const buffer = this.#buffer!;
      this.#buffer = undefined;
      let given = false;
      this.queue.push({
        data: buffer.subarray(0, this.#length),
        release: () => {
          if (given) return;
          given = true;
          this.buffers.give(buffer);
        },
      });
      if (this.queue.length >= QUEUE_HIGH_WATER) this.#socket?.pause();
      this.#notify();
    }
  }

  /** A record's cipher, its buffer taken. */
  #open(): void {
    this.#decipher = createDecipheriv('aes-256-gcm', this.key, nonce(this.#index++));
    this.#decipher.setAAD(this.#head);
    this.#bodyLeft = this.#length;
    this.#fill = 0;
    this.#tagFill = 0;
  }

  #waitForBuffer(rest: Buffer): void {
    this.#held = Buffer.from(rest);
    this.waitingForBuffer = true;
    this.#socket?.pause();
    this.#cancelWait = this.buffers.whenFree(() => this.#bufferFreed());
  }

  #bufferFreed(): void {
    this.#cancelWait = undefined;
    if (this.failure !== undefined) return;
    this.#buffer = this.buffers.take();
    if (this.#buffer === undefined) {
      this.#cancelWait = this.buffers.whenFree(() => this.#bufferFreed());
      return;
    }
    this.waitingForBuffer = false;
    this.#open();
    const held = this.#held!;
    this.#held = undefined;
    this.read(held);
    if (this.failure !== undefined) return;
    if (this.#endOfStream && this.#held === undefined) {
      this.#finish();
      return;
    }
    if (!this.waitingForBuffer && this.queue.length < QUEUE_HIGH_WATER) this.#socket?.resume();
    // A consumer waiting meanwhile had no idle timer: it arms one now.
    this.#notify();
  }
}

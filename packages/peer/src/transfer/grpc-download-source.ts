import {
  connect,
  constants as h2,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type SecureClientSessionOptions,
  type Settings,
} from 'node:http2';
import { Metadata, status } from '@grpc/grpc-js';
import { DownloadRequest, MAX_MESSAGE_BYTES, Reason } from '@kompart/protocol';
import { KompartError } from '@kompart/core';
import type { TLSSocket } from 'node:tls';
import { caCheckedTlsOptions, CertificateMismatchError, connectPinned, fromServiceError, isServiceError, type TlsMaterial } from '@kompart/grpc';
import { CHUNK_TAG, deserializeDownloadResponse } from './download-codec.js';
import type { DownloadMessage, DownloadSource } from './download-file.js';
import { FLOW_CONTROL_WINDOW_BYTES, MAX_CHUNK_BYTES } from './file-service.js';
import { ReceiveBudget, copyInto } from './receive-budget.js';
import { SealedStreamError, readSealed } from './sealed-stream.js';
import { PeerErrorCode, peerError } from '../peer-error.js';

export interface GrpcDownloadSourceOptions {
  /** The holder's FileService address, `host:port`. */
  readonly address: string;
  /** The holder's identity, for messages (`Peer 127.0.0.2 offline`). */
  readonly holder: string;
  /** The file's hash; sent as the request's `sha256`. */
  readonly sha256: string;
  /** The registered path; sent as the request's `path` too, so both must name the same file. */
  readonly path?: string;
  /** Name for messages. */
  readonly name: string;
  /** TLS material checked against a CA (`--tls-*`); plaintext when neither this nor `pinned` is set. */
  readonly tls?: TlsMaterial | undefined;
  /**
   * Pinned TLS (when `tls` is undefined): accept only a holder certificate whose SHA-256 is
   * `fingerprint` (LocateFileResponse.holder_certificate_sha256), presenting `client`, this
   * peer's own identity, as the client certificate its ticket names.
   */
  readonly pinned?: { readonly fingerprint: Buffer; readonly client: { readonly cert: Buffer; readonly key: Buffer } } | undefined;
  /** The registry's download ticket for this file (LocateFileResponse.ticket). */
  readonly ticket?: Uint8Array;
  /** A stream that brings nothing for this long (ms) is abandoned as interrupted (default 60 000). */
  readonly idleTimeoutMs?: number;
  /** HTTP/2 PING interval while the download runs (default 30 000 ms, as grpc.keepalive_time_ms). */
  readonly keepaliveTimeMs?: number;
  /** A PING not answered within this (ms) ends the connection as unavailable (default 10 000). */
  readonly keepaliveTimeoutMs?: number;
  /**
   * The HTTP/2 flow-control window of the connection and its stream, bytes (default
   * FLOW_CONTROL_WINDOW_BYTES): how much the holder may send ahead of what this side has
   * read. A swarm download shares one window's worth among its holders (see Peer).
   */
  readonly windowBytes?: number | undefined;
  /**
   * Over TLS (pinned or `tls`), ask for a sealed stream (file_service.proto, SealedStream):
   * the bytes come in large AES-256-GCM records on a TCP connection of their own instead of
   * chunks through TLS, HTTP/2 and gRPC. Falls back to chunks when the holder's port for it
   * cannot be reached. Default false.
   */
  readonly sealedStreams?: boolean | undefined;
}

/** Default of GrpcDownloadSourceOptions.idleTimeoutMs. */
const DEFAULT_TRANSFER_IDLE_TIMEOUT_MS = 60_000;
/** Notice a holder whose machine vanished (no RST) within about 40 s. */
const DEFAULT_KEEPALIVE_TIME_MS = 30_000;
const DEFAULT_KEEPALIVE_TIMEOUT_MS = 10_000;

const DOWNLOAD_PATH = '/kompart.v1.FileService/Download';
/** gRPC message prefix: compressed flag (1 byte) and length (4 bytes, big-endian). */
const PREFIX_BYTES = 5;
/** Room for a chunk message: the payload plus its protobuf framing. */
const RECEIVE_BUFFER_BYTES = MAX_CHUNK_BYTES + 16;
/**
 * Receive buffers of the whole process (see ReceiveBudget): enough for one holder's writes
 * in flight, chunks queued and the one being filled twice over, and a bound on the bytes
 * received but not yet written however many holders a swarm reads from.
 */
const RECEIVE_BUFFER_COUNT = 16;
/** Complete chunks queued ahead of the consumer before the stream is paused (backpressure). */
const QUEUE_HIGH_WATER = 2;
/** Longest chunk-message head read before its payload: tag (1 byte) and length (varint, up to 5). */
const CHUNK_HEAD_BYTES = 6;

/**
 * A DownloadSource over the holder's FileService.
 *
 * The holder runs grpc-js; this side speaks gRPC over `node:http2` directly, for Download
 * only. Why: grpc-js's client reassembles every message with `Buffer.concat` into a fresh
 * buffer, which for 1 MiB chunks is a fresh malloc above glibc's mmap threshold per chunk,
 * then page faults while copying into it, then unmapping; that copy was the largest single
 * cost in the downloader's profile. Here each message is copied once from the HTTP/2 DATA
 * frames into one of a few reused buffers, and the chunk is handed on as a view of it
 * (returned by the downloader's `release` once written).
 *
 * Chunk payloads are copied straight into the current receive buffer, one after the
 * other, and handed on together: while the downloader is busy, the holder's chunks (64 or
 * 256 KiB, see defaultChunkBytes) gather into writes of up to 1 MiB; while it waits,
 * each chunk goes to it as soon as it is complete.
 *
 * Same behaviour as the grpc-js client it replaces: one fresh connection per `open`
 * (large flow-control window, FLOW_CONTROL_WINDOW_BYTES), TLS and mutual TLS from the same
 * material (server identity checked against the address dialled, with a fixed SNI name
 * since an IP address is not a valid one), or TLS pinned to the holder's registered
 * certificate (see `pinned`; a mismatch is HOLDER_CERTIFICATE_MISMATCH and nothing is sent), HTTP/2 PINGs every 30 s with a
 * 10 s timeout, messages above MAX_MESSAGE_BYTES refused, the final status and
 * `grpc-status-details-bin` read from trailers (or a trailers-only response). Errors become:
 * - the holder's KompartError (FILE_UNAVAILABLE → `arquivo removido ou indisponível`, …);
 * - PEER_OFFLINE when the holder cannot be reached before anything arrived;
 * - DOWNLOAD_CANCELLED when `signal` aborted; TRANSFER_INTERRUPTED for a stream cut midway,
 *   a stall longer than `idleTimeoutMs` (timed only while waiting for the holder) or
 *   anything else.
 */
export function grpcDownloadSource(options: GrpcDownloadSourceOptions): DownloadSource {
  const idleMs = options.idleTimeoutMs ?? DEFAULT_TRANSFER_IDLE_TIMEOUT_MS;
  /** One Download call; with `sealed`, asking for a sealed stream and reading it when offered. */
  async function* call(offset: number, signal: AbortSignal, length: number, sealed: boolean): AsyncGenerator<DownloadMessage> {
    const request = DownloadRequest.encode({
      sha256: options.sha256,
      path: options.path ?? '',
      offset,
      length,
      ticket: Buffer.from(options.ticket ?? []),
      sealedStream: sealed,
    }).finish();
    const socket = await pinnedSocket(options, signal);
    const call = new DownloadCall(options, Buffer.from(request), socket);
    const cancel = (): void => call.fail(new CallEnded('cancelled'));
    signal.addEventListener('abort', cancel, { once: true });
    try {
      let header: HeaderMessage | undefined;
      // A second offer, or any message after one, breaks the protocol.
      let offered = false;
      for (;;) {
        const message = await call.next();
        if (message === undefined) return;
        if (message.type === 'sealed') {
          if (header === undefined || offered || !sealed) throw callStatus(status.INTERNAL, 'unexpected sealed-stream offer');
          offered = true;
          yield* readOffered(call, message, header, signal);
          continue;
        }
        if (offered) throw callStatus(status.INTERNAL, 'message after a sealed-stream offer');
        if (message.type === 'header') header = message;
        yield message;
      }
    } catch (error) {
      if (error instanceof SealedUnreachable) throw error;
      const cause = error;
      if (error instanceof CallEnded && error.reason === 'stalled') {
        throw peerError(PeerErrorCode.TRANSFER_INTERRUPTED, { file: options.name, peer: options.holder }, { cause });
      }
      if (signal.aborted) throw peerError(PeerErrorCode.DOWNLOAD_CANCELLED, { file: options.name }, { cause });
      const known = fromServiceError(cause);
      if (known !== undefined) throw known;
      if (!call.received && isServiceError(cause) && (cause.code === status.UNAVAILABLE || cause.code === status.DEADLINE_EXCEEDED)) {
        throw new KompartError(Reason.PEER_OFFLINE, { peer: options.holder }, { cause });
      }
      throw peerError(PeerErrorCode.TRANSFER_INTERRUPTED, { file: options.name, peer: options.holder }, { cause });
    } finally {
      signal.removeEventListener('abort', cancel);
      call.close();
    }
  }

  /**
   * The bytes of an offered sealed stream. A stream that breaks is explained by the call's
   * status when the holder sends one soon (FILE_UNAVAILABLE for a file that shrank, …);
   * SealedUnreachable when no record from its port checked (the caller asks again for chunks).
   */
  async function* readOffered(call: DownloadCall, offer: SealedOfferMessage, header: HeaderMessage, signal: AbortSignal): AsyncGenerator<DownloadMessage> {
    const expected = header.length !== undefined && header.length > 0 ? header.length : header.size - header.offset;
    try {
      const target = { host: hostAndPort(options.address).host, localAddress: call.localAddress };
      for await (const chunk of readSealed(offer, target, expected, RECEIVE_BUFFERS, { signal, idleMs })) {
        yield { type: 'chunk', data: chunk.data, release: chunk.release };
      }
    } catch (error) {
      if (signal.aborted) throw error;
      // Not reachable: no record checked, so nothing was handed on.
      if (error instanceof SealedStreamError && !error.reachable) throw new SealedUnreachable(error);
      const ended = await Promise.race([
        call.next().then(
          () => undefined,
          (failure: unknown) => failure,
        ),
        delay(STATUS_AFTER_BREAK_MS),
      ]);
      throw isServiceError(ended) ? ended : error;
    }
  }

  return {
    async *open(offset: number, signal: AbortSignal, length = 0): AsyncGenerator<DownloadMessage> {
      const sealed = options.sealedStreams === true && (options.tls !== undefined || options.pinned !== undefined);
      if (!sealed) {
        yield* call(offset, signal, length, false);
        return;
      }
      let header: HeaderMessage | undefined;
      try {
        for await (const message of call(offset, signal, length, true)) {
          if (message.type === 'header') header = message;
          yield message;
        }
      } catch (error) {
        if (!(error instanceof SealedUnreachable)) throw error;
        // The holder's stream port cannot be reached from here (a firewall, a NAT that
        // forwards only the FileService port): the same range again, in chunks.
        for await (const message of call(offset, signal, length, false)) {
          if (message.type === 'header' && header !== undefined) {
            if (message.sha256 !== header.sha256 || message.size !== header.size || message.offset !== header.offset || message.length !== header.length)
              throw peerError(PeerErrorCode.TRANSFER_INTERRUPTED, { file: options.name, peer: options.holder });
            continue;
          }
          yield message;
        }
      }
    },
  };
}

/** How long a broken sealed stream waits for the call's status to explain it, ms. */
const STATUS_AFTER_BREAK_MS = 5_000;

const delay = (ms: number): Promise<undefined> => new Promise((resolve) => setTimeout(() => resolve(undefined), ms).unref());

/** Nothing came from an offered sealed stream's port: the download may go on in chunks. */
class SealedUnreachable extends Error {
  constructor(readonly reason: SealedStreamError) {
    super(reason.message, { cause: reason });
  }
}

type HeaderMessage = DownloadMessage & { readonly type: 'header' };

/** A SealedStream offer, as DownloadCall queues it (never handed to the downloader). */
interface SealedOfferMessage {
  readonly type: 'sealed';
  readonly port: number;
  readonly key: Uint8Array;
  readonly token: Uint8Array;
}

function hostAndPort(address: string): { host: string; port: number } {
  const { hostname, port } = new URL(`https://${address}`);
  return { host: hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(port === '' ? 443 : port) };
}

/**
 * The verified TLS connection of a pinned download (undefined for the others), made before
 * the HTTP/2 session so that nothing, ticket included, reaches a holder whose certificate is
 * not the registered one. Failures: HOLDER_CERTIFICATE_MISMATCH, DOWNLOAD_CANCELLED, and
 * PEER_OFFLINE when the holder cannot be reached within the idle timeout.
 */
async function pinnedSocket(options: HolderTarget, signal: AbortSignal): Promise<TLSSocket | undefined> {
  const pinned = options.tls === undefined ? options.pinned : undefined;
  if (pinned === undefined) return undefined;
  const { host, port } = hostAndPort(options.address);
  const attempt = AbortSignal.any([signal, AbortSignal.timeout(options.idleTimeoutMs ?? DEFAULT_TRANSFER_IDLE_TIMEOUT_MS)]);
  try {
    return await connectPinned(host, port, pinned.client, pinned.fingerprint, attempt);
  } catch (error) {
    if (error instanceof CertificateMismatchError) throw peerError(PeerErrorCode.HOLDER_CERTIFICATE_MISMATCH, { peer: options.holder }, { cause: error });
    if (signal.aborted) throw peerError(PeerErrorCode.DOWNLOAD_CANCELLED, { file: options.name }, { cause: error });
    throw new KompartError(Reason.PEER_OFFLINE, { peer: options.holder }, { cause: error });
  }
}

/**
 * An HTTP/2 session to the holder with the connection security Download uses: over the
 * pinned socket when there is one, TLS checked against the CA of `--tls-*`, or plaintext.
 */
function connectHolder(options: HolderTarget, pinnedSocket: TLSSocket | undefined, settings: Settings): ClientHttp2Session {
  const tls = options.tls;
  const authority = `${tls === undefined && pinnedSocket === undefined ? 'http' : 'https'}://${options.address}`;
  const secure: SecureClientSessionOptions =
    pinnedSocket !== undefined
      ? { createConnection: () => pinnedSocket }
      : tls === undefined
        ? {}
        : { ca: tls.ca, cert: tls.cert, key: tls.key, ALPNProtocols: ['h2'], ...caCheckedTlsOptions(hostAndPort(options.address).host) };
  return connect(authority, { ...secure, settings });
}

/** Where and how to reach a holder's FileService: the connection fields of GrpcDownloadSourceOptions. */
export type HolderTarget = Pick<GrpcDownloadSourceOptions, 'address' | 'holder' | 'name' | 'tls' | 'pinned' | 'idleTimeoutMs'>;

/**
 * One unary call to the holder's FileService (GetPieces), on a connection of its own with
 * the same security as Download: pinned to the registered certificate (checked before
 * anything is sent), CA-checked TLS, or plaintext. grpc-js's client cannot pin a
 * self-signed certificate (it never checks a certificate that no CA vouches for), hence
 * this small gRPC client. Resolves with the response message's bytes; fails with the
 * holder's KompartError, PEER_OFFLINE when it cannot be reached, DOWNLOAD_CANCELLED on
 * `signal`, or a grpc-js-style status (DEADLINE_EXCEEDED after `deadlineMs`).
 */
export async function holderUnary(options: HolderTarget, path: string, request: Uint8Array, signal: AbortSignal, deadlineMs: number): Promise<Buffer> {
  const socket = await pinnedSocket(options, signal);
  const session = connectHolder(options, socket, { enablePush: false });
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let received = 0;
      let final: CallStatus | undefined;
      let settled = false;
      const done = (error: CallStatus | undefined, value?: Buffer): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        signal.removeEventListener('abort', abort);
        if (error === undefined) resolve(value!);
        else reject(error);
      };
      const abort = (): void => done(callStatus(status.CANCELLED, 'cancelled'));
      const deadline = setTimeout(() => done(callStatus(status.DEADLINE_EXCEEDED, 'deadline exceeded')), deadlineMs);
      if (signal.aborted) abort();
      signal.addEventListener('abort', abort, { once: true });
      session.on('error', (error: Error) => done(callStatus(status.UNAVAILABLE, `connection failed: ${error.message}`)));
      const stream = session.request(grpcRequestHeaders(path));
      stream.end(framedMessage(request));
      stream.on('response', (headers) => {
        const http = Number(headers[h2.HTTP2_HEADER_STATUS]);
        if (http !== 200) done(callStatus(codeOfHttpStatus(http), `received HTTP status ${http}`));
        else if (headers['grpc-status'] !== undefined) final = statusFromHeaders(headers);
      });
      stream.on('trailers', (trailers: IncomingHttpHeaders) => {
        final = statusFromHeaders(trailers);
      });
      stream.on('data', (data: Buffer) => {
        received += data.length;
        if (received > PREFIX_BYTES + MAX_MESSAGE_BYTES) {
          done(callStatus(status.RESOURCE_EXHAUSTED, `Received message larger than max (${received - PREFIX_BYTES} vs ${MAX_MESSAGE_BYTES})`));
          stream.close(h2.NGHTTP2_CANCEL);
          return;
        }
        chunks.push(data);
      });
      stream.on('end', () => {
        if (final === undefined) return done(callStatus(status.INTERNAL, 'stream ended without a status'));
        if (final.code !== status.OK) return done(final);
        const body = Buffer.concat(chunks);
        if (body.length < PREFIX_BYTES || body[0] !== 0 || body.readUInt32BE(1) !== body.length - PREFIX_BYTES) {
          return done(callStatus(status.INTERNAL, 'not one uncompressed response message'));
        }
        done(undefined, body.subarray(PREFIX_BYTES));
      });
      stream.on('error', (error: Error) => done(callStatus(status.UNAVAILABLE, error.message)));
      stream.on('close', () => done(callStatus(status.UNAVAILABLE, `stream closed without a status (RST_STREAM code ${stream.rstCode ?? 'none'})`)));
    });
  } catch (error) {
    const known = fromServiceError(error);
    if (known !== undefined) throw known;
    if (signal.aborted) throw peerError(PeerErrorCode.DOWNLOAD_CANCELLED, { file: options.name }, { cause: error });
    if (isServiceError(error) && error.code === status.UNAVAILABLE) throw new KompartError(Reason.PEER_OFFLINE, { peer: options.holder }, { cause: error });
    throw error;
  } finally {
    session.destroy();
  }
}

/** The request headers of a unary or server-streaming gRPC call to `path`, uncompressed. */
function grpcRequestHeaders(path: string): OutgoingHttpHeaders {
  return {
    [h2.HTTP2_HEADER_METHOD]: 'POST',
    [h2.HTTP2_HEADER_PATH]: path,
    [h2.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
    [h2.HTTP2_HEADER_TE]: 'trailers',
    [h2.HTTP2_HEADER_USER_AGENT]: 'kompart-peer',
    'grpc-accept-encoding': 'identity',
  };
}

/** One request message with its gRPC prefix (not compressed, length big-endian). */
function framedMessage(message: Uint8Array): Buffer {
  const framed = Buffer.alloc(PREFIX_BYTES + message.length);
  framed.writeUInt32BE(message.length, 1);
  framed.set(message, PREFIX_BYTES);
  return framed;
}

/** A gRPC status as grpc-js's client reports it (what fromServiceError reads). */
interface CallStatus extends Error {
  readonly code: status;
  readonly details: string;
  readonly metadata: Metadata;
}

function callStatus(code: status, details: string, metadata = new Metadata()): CallStatus {
  return Object.assign(new Error(`${code} ${status[code] ?? 'UNKNOWN'}: ${details}`), { code, details, metadata });
}

/** How a call ended other than with a status from the holder. */
class CallEnded extends Error {
  constructor(readonly reason: 'cancelled' | 'stalled') {
    super(`download ${reason}`);
  }
}

/** HTTP status → gRPC code, per the gRPC HTTP/2 protocol spec (for a response that is not gRPC). */
function codeOfHttpStatus(http: number): status {
  if (http === 400) return status.INTERNAL;
  if (http === 401) return status.UNAUTHENTICATED;
  if (http === 403) return status.PERMISSION_DENIED;
  if (http === 404) return status.UNIMPLEMENTED;
  if (http === 429 || http === 502 || http === 503 || http === 504) return status.UNAVAILABLE;
  return status.UNKNOWN;
}

function statusFromHeaders(headers: IncomingHttpHeaders): CallStatus {
  const code = Number(headers['grpc-status']);
  let details = String(headers['grpc-message'] ?? '');
  try {
    details = decodeURIComponent(details);
  } catch {
    // Not percent-encoded as the spec asks: shown as received.
  }
  return callStatus(Number.isInteger(code) && code >= 0 && code <= 16 ? code : status.UNKNOWN, details, Metadata.fromHttp2Headers(headers));
}

/** The receive buffers of every Download of the process (exported for tests: what is still out). */
export const RECEIVE_BUFFERS = new ReceiveBudget(RECEIVE_BUFFER_BYTES, RECEIVE_BUFFER_COUNT);

/** A chunk's `release`: gives its receive buffer back, once however often it is called. */
function giveBack(buffer: Buffer): () => void {
  let given = false;
  return () => {
    if (given) return;
    given = true;
    RECEIVE_BUFFERS.give(buffer);
  };
}

/** One Download call on its own HTTP/2 connection: gRPC framing in, DownloadMessages out. */
class DownloadCall {
  /** True once a message arrived from the holder. */
  received = false;
  readonly #session: ClientHttp2Session;
  readonly #stream: ClientHttp2Stream;
  readonly #queue: (DownloadMessage | SealedOfferMessage)[] = [];
  #ended: { error?: CallEnded | CallStatus } | undefined;
  #wake: (() => void) | undefined;
  readonly #idleMs: number;
  #idle: NodeJS.Timeout | undefined;
  readonly #keepalive: NodeJS.Timeout;
  #pingTimeout: NodeJS.Timeout | undefined;
  /** The status from trailers (or a trailers-only response), acted on at the end of the stream. */
  #final: CallStatus | undefined;
  // Framing state: the 5-byte prefix being read, then the message: its first bytes into
  // `#head`, then either a chunk's payload (into `#gather`) or the whole body (`#body`).
  readonly #prefix = Buffer.alloc(PREFIX_BYTES);
  #prefixFill = 0;
  #inMessage = false;
  #messageLength = 0;
  readonly #head = Buffer.alloc(CHUNK_HEAD_BYTES);
  #headLength = 0;
  #headFill = 0;
  #body: Buffer | undefined;
  #bodyFill = 0;
  /** Payload bytes of the current chunk message still to come (0 when not in a payload). */
  #payloadLeft = 0;
  /** The receive buffer chunk payloads gather in; `#gathered` bytes of it are complete. */
  #gather: Buffer | undefined;
  #gathered = 0;
  #gatherFill = 0;
  /** DATA not read yet because every receive buffer was in use; read once one is given back. */
  #held: Buffer[] = [];
  /** While waiting for a receive buffer: cancels the wait. */
  #cancelWait: (() => void) | undefined;
  /** The stream ended while DATA was held: finish once it has been read. */
  #endHeld = false;

  constructor(
    readonly options: GrpcDownloadSourceOptions,
    requestBytes: Buffer,
    /** The connection, already verified, when it is pinned (see pinnedSocket). */
    pinnedSocket?: TLSSocket,
  ) {
    this.#idleMs = options.idleTimeoutMs ?? DEFAULT_TRANSFER_IDLE_TIMEOUT_MS;
    const window = options.windowBytes ?? FLOW_CONTROL_WINDOW_BYTES;
    this.#session = connectHolder(options, pinnedSocket, { initialWindowSize: window, enablePush: false });
    this.#session.on('error', (error: Error) => this.fail(callStatus(status.UNAVAILABLE, `connection failed: ${error.message}`)));
    this.#session.on('goaway', () => undefined);
    this.#session.once('connect', () => {
      // The connection-level window starts at 64 KiB whatever the settings say.
      // (A call cancelled at once may see its session destroyed first.)
      if (!this.#session.destroyed) this.#session.setLocalWindowSize(window);
    });
    const keepaliveMs = options.keepaliveTimeMs ?? DEFAULT_KEEPALIVE_TIME_MS;
    const keepaliveTimeoutMs = options.keepaliveTimeoutMs ?? DEFAULT_KEEPALIVE_TIMEOUT_MS;
    this.#keepalive = setInterval(() => {
      if (this.#pingTimeout !== undefined) return;
      this.#pingTimeout = setTimeout(() => this.fail(callStatus(status.UNAVAILABLE, 'keepalive ping not answered')), keepaliveTimeoutMs);
      try {
        this.#session.ping(() => {
          clearTimeout(this.#pingTimeout);
          this.#pingTimeout = undefined;
        });
      } catch {
        // Not connected yet or closing: the next beat tries again.
        clearTimeout(this.#pingTimeout);
        this.#pingTimeout = undefined;
      }
    }, keepaliveMs);
    this.#stream = this.#session.request(grpcRequestHeaders(DOWNLOAD_PATH), { endStream: false });
    this.#stream.end(framedMessage(requestBytes));
    this.#stream.on('response', (headers) => this.#onHeaders(headers));
    this.#stream.on('trailers', (trailers: IncomingHttpHeaders) => {
      this.#final = statusFromHeaders(trailers);
    });
    this.#stream.on('data', (data: Buffer) => this.#onData(data));
    // The status is acted on once every DATA byte before it has been read.
    this.#stream.on('end', () => {
      // DATA still held for want of a receive buffer is read first (see #bufferFreed).
      if (this.#cancelWait === undefined) this.#finish(this.#final ?? callStatus(status.INTERNAL, 'stream ended without a status'));
      else this.#endHeld = true;
    });
    this.#stream.on('error', (error: Error & { code?: string }) => {
      // A stream reset by the holder is INTERNAL; a connection that failed or dropped is UNAVAILABLE.
      const reset = error.code === 'ERR_HTTP2_STREAM_ERROR' && this.#stream.rstCode !== h2.NGHTTP2_REFUSED_STREAM;
      this.fail(callStatus(reset ? status.INTERNAL : status.UNAVAILABLE, error.message));
    });
    this.#stream.on('close', () => this.#onClose());
  }

  /** The local address of the connection (a sealed stream connects from the same one). */
  get localAddress(): string | undefined {
    return this.#session.socket?.localAddress;
  }

  /** The next message, undefined at the end of a successful call; throws CallEnded or a CallStatus. */
  async next(): Promise<DownloadMessage | SealedOfferMessage | undefined> {
    for (;;) {
      const message = this.#queue.shift();
      if (message !== undefined) {
        if (this.#queue.length < QUEUE_HIGH_WATER && this.#cancelWait === undefined && this.#stream.isPaused()) this.#stream.resume();
        return message;
      }
      if (this.#ended !== undefined) {
        if (this.#ended.error !== undefined) throw this.#ended.error;
        return undefined;
      }
      if (this.#gathered > 0 && this.#payloadLeft === 0) {
        this.#flushGathered();
        continue;
      }
      // Only the wait for the holder is timed, not the consumer's work nor a wait for a receive buffer.
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        if (this.#cancelWait === undefined) this.#armIdle();
      });
      clearTimeout(this.#idle);
      this.#idle = undefined;
    }
  }

  /** Ends the call with `error` (first end wins) and cuts the stream. */
  fail(error: CallEnded | CallStatus): void {
    if (this.#ended !== undefined) return;
    this.#ended = { error };
    this.#releaseAll();
    this.#cut();
    this.#notify();
  }

  /** Releases everything; safe to call more than once. */
  close(): void {
    this.#ended ??= { error: new CallEnded('cancelled') };
    this.#releaseAll();
    this.#cut();
  }

  /** Gives back every receive buffer the call still holds: queued chunks nobody will read, the one being filled. */
  #releaseAll(): void {
    for (const message of this.#queue.splice(0)) if (message.type === 'chunk') message.release?.();
    if (this.#gather !== undefined) RECEIVE_BUFFERS.give(this.#gather);
    if (this.#body !== undefined) RECEIVE_BUFFERS.give(this.#body);
    this.#gather = undefined;
    this.#body = undefined;
    this.#cancelWait?.();
    this.#cancelWait = undefined;
    this.#held = [];
  }

  #armIdle(): void {
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => this.fail(new CallEnded('stalled')), this.#idleMs);
  }

  #cut(): void {
    clearInterval(this.#keepalive);
    clearTimeout(this.#pingTimeout);
    clearTimeout(this.#idle);
    if (!this.#stream.closed) this.#stream.close(h2.NGHTTP2_CANCEL);
    if (!this.#session.destroyed) this.#session.destroy();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #finish(final: CallStatus): void {
    if (this.#ended !== undefined) return;
    if (final.code !== status.OK) {
      this.fail(final);
      return;
    }
    if (this.#prefixFill !== 0 || this.#inMessage) {
      this.fail(callStatus(status.INTERNAL, 'stream ended inside a message'));
      return;
    }
    this.#flushGathered();
    this.#ended = {};
    this.#cut();
    this.#notify();
  }

  #onHeaders(headers: IncomingHttpHeaders): void {
    const http = Number(headers[h2.HTTP2_HEADER_STATUS]);
    if (http !== 200) {
      this.fail(callStatus(codeOfHttpStatus(http), `received HTTP status ${http}`));
      return;
    }
    // Trailers-only response: the status comes with the headers (how errors before any data arrive).
    if (headers['grpc-status'] !== undefined) {
      this.#final = statusFromHeaders(headers);
      return;
    }
    const type = String(headers[h2.HTTP2_HEADER_CONTENT_TYPE] ?? '');
    if (!type.startsWith('application/grpc')) this.fail(callStatus(status.UNKNOWN, `not a gRPC response (content-type ${type})`));
  }

  #onClose(): void {
    if (this.#ended !== undefined) return;
    const code = this.#stream.rstCode;
    // Closed before its end: refused, reset by the holder, or the connection went away.
    const reset = code !== undefined && code !== h2.NGHTTP2_NO_ERROR && code !== h2.NGHTTP2_REFUSED_STREAM;
    this.fail(callStatus(reset ? status.INTERNAL : status.UNAVAILABLE, `stream closed without a status (RST_STREAM code ${code ?? 'none'})`));
  }

  /** DATA from the holder: read now, or kept while the call waits for a receive buffer. */
  #onData(data: Buffer): void {
    if (this.#ended !== undefined) return;
    // The holder is sending: a wait for the rest of a message is not a stall. (Restarted
    // in place: this runs for every DATA frame, 16 KiB, while the downloader waits.)
    this.#idle?.refresh();
    if (this.#cancelWait !== undefined) this.#held.push(data);
    else this.#read(data);
  }

  /**
   * Every receive buffer was in use when a message needed one: the stream is paused (flow
   * control holds the holder back) and `rest` is kept until a buffer is given back.
   */
  #waitForBuffer(rest: Buffer): void {
    if (rest.length > 0) this.#held.unshift(rest);
    if (!this.#stream.isPaused()) this.#stream.pause();
    this.#cancelWait = RECEIVE_BUFFERS.whenFree(() => this.#bufferFreed());
  }

  #bufferFreed(): void {
    this.#cancelWait = undefined;
    if (this.#ended !== undefined) return;
    const started = this.#startBody();
    if (started === 'stop') return;
    if (started === 'wait') {
      this.#cancelWait = RECEIVE_BUFFERS.whenFree(() => this.#bufferFreed());
      return;
    }
    while (this.#held.length > 0 && this.#cancelWait === undefined && this.#ended === undefined) this.#read(this.#held.shift()!);
    if (this.#ended !== undefined || this.#cancelWait !== undefined) return;
    if (this.#endHeld) {
      this.#finish(this.#final ?? callStatus(status.INTERNAL, 'stream ended without a status'));
      return;
    }
    if (this.#queue.length < QUEUE_HIGH_WATER && this.#stream.isPaused()) this.#stream.resume();
    if (this.#wake !== undefined) this.#armIdle();
  }

  /** Splits DATA into gRPC messages; each payload or body is copied once, into a reused buffer. */
  #read(data: Buffer): void {
    let at = 0;
    while (at < data.length) {
      if (!this.#inMessage) {
        const take = Math.min(PREFIX_BYTES - this.#prefixFill, data.length - at);
        data.copy(this.#prefix, this.#prefixFill, at, at + take);
        this.#prefixFill += take;
        at += take;
        if (this.#prefixFill < PREFIX_BYTES) return;
        this.#prefixFill = 0;
        if (this.#prefix[0] !== 0) {
          this.fail(callStatus(status.INTERNAL, 'compressed message, but no compression was offered'));
          return;
        }
        const length = this.#prefix.readUInt32BE(1);
        if (length > MAX_MESSAGE_BYTES) {
          this.fail(callStatus(status.RESOURCE_EXHAUSTED, `Received message larger than max (${length} vs ${MAX_MESSAGE_BYTES})`));
          return;
        }
        this.#inMessage = true;
        this.#messageLength = length;
        this.#headLength = Math.min(length, CHUNK_HEAD_BYTES);
        this.#headFill = 0;
        if (length === 0 && !this.#completeBody(Buffer.alloc(0))) return;
        continue;
      }
      if (this.#payloadLeft > 0) {
        const take = Math.min(this.#payloadLeft, data.length - at);
        copyInto(this.#gather!, this.#gatherFill, data, at, at + take);
        this.#gatherFill += take;
        this.#payloadLeft -= take;
        at += take;
        if (this.#payloadLeft === 0) this.#completeChunk();
        continue;
      }
      if (this.#body !== undefined) {
        const take = Math.min(this.#messageLength - this.#bodyFill, data.length - at);
        copyInto(this.#body, this.#bodyFill, data, at, at + take);
        this.#bodyFill += take;
        at += take;
        if (this.#bodyFill === this.#messageLength) {
          const body = this.#body;
          this.#body = undefined;
          if (!this.#completeBody(body)) return;
        }
        continue;
      }
      const take = Math.min(this.#headLength - this.#headFill, data.length - at);
      data.copy(this.#head, this.#headFill, at, at + take);
      this.#headFill += take;
      at += take;
      if (this.#headFill === this.#headLength) {
        const started = this.#startBody();
        if (started === 'stop') return;
        if (started === 'wait') {
          this.#waitForBuffer(data.subarray(at));
          return;
        }
      }
    }
  }

  /**
   * The message's first bytes are in: a chunk whose payload fits a receive buffer gathers
   * there; anything else (the header, an unexpected shape) is read whole and decoded.
   */
  #startBody(): 'go' | 'wait' | 'stop' {
    const payload = this.#chunkPayload();
    if (payload !== undefined) {
      if (this.#gather !== undefined && this.#gatherFill + payload.length > this.#gather.length) this.#flushGathered();
      this.#gather ??= RECEIVE_BUFFERS.take();
      if (this.#gather === undefined) return 'wait';
      copyInto(this.#gather, this.#gatherFill, this.#head, payload.start, this.#headLength);
      this.#gatherFill += this.#headLength - payload.start;
      this.#payloadLeft = payload.length - (this.#headLength - payload.start);
      if (this.#payloadLeft === 0) this.#completeChunk();
      return 'go';
    }
    // A message larger than a receive buffer (allowed up to MAX_MESSAGE_BYTES) gets one of its own.
    this.#body = this.#messageLength > RECEIVE_BUFFER_BYTES ? Buffer.from(new SharedArrayBuffer(this.#messageLength)) : RECEIVE_BUFFERS.take();
    if (this.#body === undefined) return 'wait';
    copyInto(this.#body, 0, this.#head, 0, this.#headLength);
    this.#bodyFill = this.#headLength;
    if (this.#bodyFill < this.#messageLength) return 'go';
    const body = this.#body;
    this.#body = undefined;
    return this.#completeBody(body) ? 'go' : 'stop';
  }

  /** Where a chunk message's payload starts and how long it is, if `#head` opens one. */
  #chunkPayload(): { start: number; length: number } | undefined {
    if (this.#head[0] !== CHUNK_TAG) return undefined;
    let length = 0;
    let scale = 1;
    for (let at = 1; at < this.#headLength; at++) {
      const byte = this.#head[at]!;
      length += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        const start = at + 1;
        return start + length === this.#messageLength && length <= RECEIVE_BUFFER_BYTES ? { start, length } : undefined;
      }
      scale *= 128;
    }
    return undefined;
  }

  /** A chunk's payload is complete in `#gather`: hand it on now if the downloader waits. */
  #completeChunk(): void {
    this.#inMessage = false;
    this.#gathered = this.#gatherFill;
    this.received = true;
    // A full buffer goes out when the next payload does not fit (#startBody).
    if (this.#wake !== undefined) this.#flushGathered();
  }

  /**
   * Queues the gathered payloads as one chunk; the buffer returns to the pool once written.
   * Not while a payload is still arriving into the same buffer: it goes out when complete.
   */
  #flushGathered(): void {
    const buffer = this.#gather;
    if (buffer === undefined || this.#gathered === 0 || this.#payloadLeft > 0) return;
    this.#gather = undefined;
    const length = this.#gathered;
    this.#gathered = 0;
    this.#gatherFill = 0;
    this.#queue.push({ type: 'chunk', data: buffer.subarray(0, length), release: giveBack(buffer) });
    if (this.#queue.length >= QUEUE_HIGH_WATER && !this.#stream.isPaused()) this.#stream.pause();
    this.#notify();
  }

  #completeBody(body: Buffer): boolean {
    this.#inMessage = false;
    // Keep the order: payloads gathered so far go before this message.
    this.#flushGathered();
    return this.#deliver(body, this.#messageLength);
  }

  #deliver(body: Buffer, length: number): boolean {
    let decoded;
    try {
      decoded = deserializeDownloadResponse(body.subarray(0, length));
    } catch (error) {
      this.fail(callStatus(status.INTERNAL, `Failed to parse server response: ${error instanceof Error ? error.message : String(error)}`));
      return false;
    }
    this.received = true;
    const payload = decoded.payload;
    if (payload?.$case === 'chunk') {
      this.#queue.push({ type: 'chunk', data: payload.value, release: giveBack(body) });
    } else {
      RECEIVE_BUFFERS.give(body);
      if (payload?.$case === 'header') {
        const { sha256, size, offset, length } = payload.value;
        this.#queue.push({ type: 'header', sha256, size, offset, length: length ?? 0 });
      } else if (payload?.$case === 'sealed') {
        this.#queue.push({ type: 'sealed', ...payload.value });
      }
    }
    if (this.#queue.length >= QUEUE_HIGH_WATER && !this.#stream.isPaused()) this.#stream.pause();
    this.#notify();
    return true;
  }
}

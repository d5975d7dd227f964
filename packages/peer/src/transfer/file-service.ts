import type { KeyObject } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { basename } from 'node:path';
import type { ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import { KompartError, invalidArgument, silentLogger, systemClock, verifyTicket, type Clock, type Lang, type Logger } from '@kompart/core';
import { createServerBoundary, grpcServerMetrics, startGrpcServer, type PinnedServerIdentity, type ServiceHandlers, type TlsMaterial } from '@kompart/grpc';
import type { Registry } from 'prom-client';
import {
  FILE_SERVICE_NAME,
  MAX_MESSAGE_BYTES,
  Reason,
  type DownloadRequest,
  type DownloadResponse,
  type FileServiceDefinition,
  type GetPiecesRequest,
  type GetPiecesResponse,
} from '@kompart/protocol';
import { ChunkBufferPool, fileServiceDefinition } from './download-codec.js';
import type { FileIdentity } from '../file-identity.js';
import type { LocalFile, SharedFiles } from '../local-library.js';
import { openSharedFile } from './open-shared-file.js';
import { SEALED_CONNECT_TIMEOUT_MS, SealedIdleError, sendSealed, type SealedStreamListener } from './sealed-stream.js';

/**
 * Bytes per Download chunk unless the peer is told otherwise: 64 KiB, under glibc's default
 * 128 KiB mmap and trim thresholds. grpc-js frames every message it sends into a fresh
 * buffer of its own; from 128 KiB up, under those defaults, each one is a fresh mapping
 * faulted in and zeroed. A process that keeps freed memory (the `kompart` launcher sets
 * glibc up that way) does better with larger chunks, so the launcher passes 256 KiB as
 * KOMPART_CHUNK_BYTES. Figures: BENCHMARKS.md, item 1, chunk size.
 */
export const DEFAULT_CHUNK_BYTES = 64 * 1024;

/** Bytes of file one Download reads ahead while gRPC writes (its reused chunk buffers). */
const SEND_AHEAD_BYTES = 4 * 1024 * 1024;
/** Chunk buffers one Download reuses (see ChunkBufferPool): at least 4, about SEND_AHEAD_BYTES in all. */
const sendBuffers = (chunkBytes: number): number => Math.max(4, Math.ceil(SEND_AHEAD_BYTES / chunkBytes));
/** Largest chunk file_service.proto allows. */
export const MAX_CHUNK_BYTES = 1024 * 1024;

/** Downloads one FileService serves at once. */
const DEFAULT_MAX_CONCURRENT_DOWNLOADS = 64;
/** Downloads one FileService serves at once to one requester (an eighth of the slots). */
export const DEFAULT_MAX_DOWNLOADS_PER_REQUESTER = 8;
/** How long a download waits for a reader that takes nothing before it ends, ms. */
export const DEFAULT_SERVE_IDLE_TIMEOUT_MS = 30_000;

/** HTTP/2 flow-control window of the FileService and of the downloader's HTTP/2 connection
 * (grpc-download-source.ts). grpc-js's default 64 KiB window caps a stream whatever the
 * chunk size (BENCHMARKS.md, "Tuning constants"). */
export const FLOW_CONTROL_WINDOW_BYTES = 8 * 1024 * 1024;

/** gRPC options shared by the FileService server and the download client channel. */
const TRANSFER_CHANNEL_OPTIONS = {
  'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW_BYTES,
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
} as const;

/** A download this peer served (or began serving) to someone. */
export interface ServedDownload {
  /** The downloader's connection address as gRPC reports it (`ipv4:127.0.0.3:41234`). */
  readonly client: string;
  /** The downloading peer's identity, from its registry ticket (undefined without tickets). */
  readonly requester: string | undefined;
  readonly name: string;
  readonly path: string;
  readonly sha256: string;
  readonly offset: number;
  /** Bytes asked for from `offset` (the rest of the file when the request said 0). */
  readonly length: number;
  /** Bytes of file content sent. */
  readonly bytes: number;
  /** True when the bytes went on a sealed stream (DownloadRequest.sealed_stream) rather than in chunks. */
  readonly sealed: boolean;
  /** False when the downloader cancelled or the stream broke. */
  readonly complete: boolean;
}

export interface FileServiceDeps {
  /** The registered files: the only ones this service serves. */
  readonly files: SharedFiles;
  /** This peer's identity (error params). */
  readonly self: () => string;
  readonly lang?: Lang;
  readonly logger?: Logger;
  readonly chunkBytes?: number;
  /** Told when a download ends (complete or not). */
  readonly onServed?: (download: ServedDownload) => void;
  /**
   * When set, every Download must carry a ticket signed with this registry key, issued for
   * this peer and this file (see download-ticket.ts); a peer that knows no key (not
   * registered) then serves nothing. Unset: no ticket is asked for.
   */
  readonly ticketKey?: () => KeyObject | undefined;
  /**
   * Set when this FileService serves over TLS with its own identity (startFileServer's
   * `pinned`): the fingerprint of the client certificate of the connection of a call, by the
   * call's `getPeer()`. A ticket that names a requester certificate is then served only on a
   * connection with that certificate (TICKET_INVALID otherwise).
   */
  readonly clientCertificate?: (peer: string) => Buffer | undefined;
  /** Downloads served at once; more get RESOURCE_EXHAUSTED (default 64). */
  readonly maxConcurrentDownloads?: number;
  /**
   * Downloads served at once to one requester (its ticket's requester; its source IP
   * without tickets); more get RESOURCE_EXHAUSTED / REQUESTER_DOWNLOADS_EXCEEDED (default 8),
   * so one peer cannot take every slot.
   */
  readonly maxDownloadsPerRequester?: number;
  /**
   * How long a download may wait for its reader to take anything, ms: past it the download
   * ends with RESOURCE_EXHAUSTED / DOWNLOAD_IDLE and its slot and file handle are freed
   * (default 30 000).
   */
  readonly idleTimeoutMs?: number;
  /** Told when a file that changed metadata still hashed to its registered hash. */
  readonly onRehashed?: (path: string, identity: FileIdentity, sha256: string) => void;
  /** Time tickets are checked against, and of the idle timeout (default: the system clock). */
  readonly clock?: Clock;
  /** Told when a registered file was found gone or changed at the check before serving, or shrank while being sent. */
  readonly onStale?: (file: LocalFile) => void;
  /**
   * Where sealed streams are offered, when there is such a listener (only a FileService
   * serving over TLS has one): a request with `sealed_stream` then gets its bytes there
   * (file_service.proto, SealedStream); without one, in chunks.
   */
  readonly sealed?: () => SealedStreamListener | undefined;
}

/**
 * The FileService implementation: `Download` streams a header and then the file in
 * chunks, honouring backpressure (waits for `drain` whenever `write` returns false) and
 * stopping as soon as the client cancels. Only registered files can be reached; see
 * openSharedFile for the checks made before the first byte is sent.
 */
export function createFileService(deps: FileServiceDeps): ServiceHandlers<typeof FileServiceDefinition> {
  const logger = deps.logger ?? silentLogger;
  const lang = deps.lang ?? 'pt';
  const chunkBytes = deps.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1 || chunkBytes > MAX_CHUNK_BYTES) {
    throw new RangeError(`chunkBytes must be an integer between 1 and ${MAX_CHUNK_BYTES} (the contract's "at most 1 MiB")`);
  }

  const maxConcurrent = deps.maxConcurrentDownloads ?? DEFAULT_MAX_CONCURRENT_DOWNLOADS;
  const maxPerRequester = deps.maxDownloadsPerRequester ?? DEFAULT_MAX_DOWNLOADS_PER_REQUESTER;
  const idleTimeoutMs = deps.idleTimeoutMs ?? DEFAULT_SERVE_IDLE_TIMEOUT_MS;
  const clock = deps.clock ?? systemClock;
  const boundary = createServerBoundary({ lang, logger });
  let active = 0;
  /** Downloads in progress per requester (see maxDownloadsPerRequester). */
  const perRequester = new Map<string, number>();
  const drained = (call: ServerWritableStream<DownloadRequest, DownloadResponse>): Promise<void> =>
    drainedWithin(call, idleTimeoutMs, clock, () => new KompartError(Reason.DOWNLOAD_IDLE, { peer: deps.self(), seconds: String(idleTimeoutMs / 1000) }));

  async function serve(request: DownloadRequest, call: ServerWritableStream<DownloadRequest, DownloadResponse>, held: { requester?: string }): Promise<void> {
    let stopped = false;
    const stop = (): void => {
      stopped = true;
    };
    call.once('cancelled', stop);
    call.once('close', stop);
    const client = call.getPeer();
    if (!isDownloadRequest(request)) throw invalidArgument('request', 'not a DownloadRequest');
    const requester = admit(request, client);
    const key = requester ?? sourceHost(client);
    const taken = perRequester.get(key) ?? 0;
    if (taken >= maxPerRequester) {
      throw new KompartError(Reason.REQUESTER_DOWNLOADS_EXCEEDED, { peer: deps.self(), requester: key, limit: String(maxPerRequester) });
    }
    perRequester.set(key, taken + 1);
    held.requester = key;
    const { file, handle } = await open(request);
    const pool = new ChunkBufferPool(chunkBytes, sendBuffers(chunkBytes));
    call.once('cancelled', () => pool.close());
    call.once('close', () => pool.close());
    let sent = 0;
    let complete = false;
    let sealed = false;
    let end = file.size;
    try {
      const offset = request.offset;
      if (!Number.isSafeInteger(offset) || offset < 0 || offset > file.size) {
        throw invalidArgument('offset', `must be between 0 and the file size (${file.size})`);
      }
      const asked = request.length ?? 0;
      if (!Number.isSafeInteger(asked) || asked < 0 || offset + asked > file.size) {
        throw invalidArgument('length', `offset + length must not pass the file size (${file.size})`);
      }
      if (asked > 0) end = offset + asked;
      if (stopped) return;
      const header = { name: basename(file.path), path: file.path, size: file.size, sha256: file.sha256, offset, length: end - offset };
      if (!call.write({ payload: { $case: 'header', value: header } })) await drained(call);
      const listener = request.sealedStream ? deps.sealed?.() : undefined;
      if (listener !== undefined) {
        sealed = true;
        sent = await serveSealed(
          listener,
          call,
          handle,
          { offset, end },
          () => stopped,
          (position) => {
            logger.info({ path: file.path, position }, 'registered file shrank while being sent');
            deps.onStale?.(file);
            return new KompartError(Reason.FILE_UNAVAILABLE, { peer: deps.self(), file: file.path });
          },
        );
        if (stopped) return;
        complete = true;
        call.end();
        return;
      }
      let position = offset;
      while (position < end && !stopped) {
        // Read straight into a reused buffer with room for the chunk's protobuf framing;
        // it returns to the pool when gRPC has finished writing it.
        const buffer = await pool.acquire();
        if (buffer === undefined) break;
        const length = Math.min(chunkBytes, end - position);
        const { bytesRead } = await handle.read(buffer, ChunkBufferPool.payloadOffset, length, position);
        if (bytesRead !== length) {
          // Shrunk while being sent: the file is no longer the one registered.
          logger.info({ path: file.path, position }, 'registered file shrank while being sent');
          deps.onStale?.(file);
          throw new KompartError(Reason.FILE_UNAVAILABLE, { peer: deps.self(), file: file.path });
        }
        position += bytesRead;
        sent += bytesRead;
        if (stopped) break;
        const message = ChunkBufferPool.frame(buffer, length) as unknown as DownloadResponse;
        if (!call.write(message, () => pool.release(buffer))) await drained(call);
      }
      if (stopped) return;
      complete = true;
      call.end();
    } finally {
      pool.close();
      await handle.close().catch(() => undefined);
      logger.debug({ client, path: file.path, bytes: sent, complete }, 'download served');
      deps.onServed?.({
        client,
        requester,
        name: basename(file.path),
        path: file.path,
        sha256: file.sha256,
        offset: request.offset,
        length: end - request.offset,
        bytes: sent,
        complete,
        sealed,
      });
    }
  }

  /**
   * Offers a sealed stream on `call` and sends the range on it once the downloader
   * connected; resolves with the bytes sent. The downloader's connection must come within
   * the listener's connect timeout (DOWNLOAD_IDLE otherwise) and take bytes as the idle
   * timeout asks of a chunk stream. The call ending first withdraws the offer and closes
   * the connection.
   */
  async function serveSealed(
    listener: SealedStreamListener,
    call: ServerWritableStream<DownloadRequest, DownloadResponse>,
    handle: FileHandle,
    range: { readonly offset: number; readonly end: number },
    stopped: () => boolean,
    shrunk: (position: number) => Error,
  ): Promise<number> {
    const offer = listener.offer(sourceHost(call.getPeer()));
    const withdraw = (): void => offer.cancel();
    call.once('cancelled', withdraw);
    call.once('close', withdraw);
    let socket: Socket | undefined;
    const cut = (): void => {
      socket?.destroy();
    };
    try {
      if (!call.write({ payload: { $case: 'sealed', value: { port: offer.port, key: offer.key, token: offer.token } } })) await drained(call);
      try {
        socket = await offer.connection;
      } catch (error) {
        if (stopped()) return 0;
        throw idleError(error, SEALED_CONNECT_TIMEOUT_MS);
      }
      call.once('cancelled', cut);
      call.once('close', cut);
      return await sendSealed(socket, handle, offer.key, range, { stopped, idleMs: idleTimeoutMs, clock, shrunk }).catch((error: unknown) => {
        throw error instanceof SealedIdleError ? idleError(error) : error;
      });
    } finally {
      offer.cancel();
      call.off('cancelled', withdraw);
      call.off('close', withdraw);
      call.off('cancelled', cut);
      call.off('close', cut);
      // Sent in full, everything is with the kernel and goes out before the close; otherwise
      // the reader learns at once. Either way no descriptor waits for the reader's FIN.
      socket?.destroy();
    }
  }

  function idleError(cause: unknown, ms = idleTimeoutMs): KompartError {
    return new KompartError(Reason.DOWNLOAD_IDLE, { peer: deps.self(), seconds: String(ms / 1000) }, { cause });
  }

  /**
   * The ticket's requester, when tickets are asked for (UNAUTHENTICATED/TICKET_INVALID
   * otherwise); on a pinned server, a ticket bound to a certificate only on a connection
   * with that certificate (`client` is the call's `getPeer()`).
   */
  function admit(request: { readonly sha256: string; readonly path: string; readonly ticket: Uint8Array }, client: string): string | undefined {
    if (deps.ticketKey === undefined) return undefined;
    return verifyTicket(request.ticket, deps.ticketKey(), {
      holder: deps.self(),
      sha256: request.sha256,
      path: request.path,
      now: clock.now(),
      ...(deps.clientCertificate === undefined ? {} : { checksRequester: true, clientCertificate: deps.clientCertificate(client) }),
    }).requester;
  }

  /** The registered file a request names, checked and opened (see openSharedFile). */
  function open(request: { readonly sha256: string; readonly path: string }): ReturnType<typeof openSharedFile> {
    return openSharedFile(
      deps.files,
      { sha256: request.sha256, path: request.path },
      {
        self: deps.self(),
        logger,
        ...(deps.onRehashed === undefined ? {} : { onRehashed: deps.onRehashed }),
        ...(deps.onStale === undefined ? {} : { onStale: deps.onStale }),
      },
    );
  }

  /** GetPieces: the piece list the file was registered with, after the same checks as Download. */
  async function pieces(request: GetPiecesRequest, call: ServerUnaryCall<GetPiecesRequest, GetPiecesResponse>): Promise<GetPiecesResponse> {
    if (!isFileRequest(request)) throw invalidArgument('request', 'not a GetPiecesRequest');
    admit(request, call.getPeer());
    const { file, handle } = await open(request);
    await handle.close().catch(() => undefined);
    // The entry as it is now (a check before serving may have found it re-hashed).
    const current = deps.files.get(file.path) ?? file;
    if (current.pieces === undefined || current.sha256 !== file.sha256) {
      throw new KompartError(Reason.FILE_UNAVAILABLE, { peer: deps.self(), file: file.path });
    }
    return { sha256: file.sha256, size: file.size, pieceSize: current.pieces.pieceSize, hashes: current.pieces.hashes };
  }

  return {
    getPieces: boundary.unary('GetPieces', pieces),
    download: boundary.serverStream('Download', async (request: DownloadRequest, call) => {
      if (active >= maxConcurrent) throw new KompartError(Reason.LIMIT_EXCEEDED, { peer: deps.self(), limit: `${maxConcurrent} downloads at once` });
      active++;
      const held: { requester?: string } = {};
      try {
        await serve(request, call, held);
      } finally {
        active--;
        if (held.requester !== undefined) {
          const left = (perRequester.get(held.requester) ?? 1) - 1;
          if (left > 0) perRequester.set(held.requester, left);
          else perRequester.delete(held.requester);
        }
      }
    }),
  };
}

function isFileRequest(value: unknown): value is GetPiecesRequest {
  const request = value as Partial<GetPiecesRequest> | null;
  return typeof request?.sha256 === 'string' && typeof request.path === 'string' && request.ticket instanceof Uint8Array;
}

function isDownloadRequest(value: unknown): value is DownloadRequest {
  const request = value as Partial<DownloadRequest> | null;
  return typeof request?.sha256 === 'string' && typeof request.path === 'string' && typeof request.offset === 'number';
}

/** The host of a grpc-js peer string (`ipv4:127.0.0.3:41234` → `127.0.0.3`, `ipv6:[::1]:5` → `::1`). */
function sourceHost(client: string): string {
  const text = client.replace(/^ipv[46]:/, '');
  if (text.startsWith('[')) return text.slice(1, text.indexOf(']'));
  const colon = text.lastIndexOf(':');
  return colon < 0 ? text : text.slice(0, colon);
}

/**
 * Resolves when the stream can take more, or when it is cancelled, closed or failed;
 * rejects with `idle()` when the reader has taken nothing for `idleMs` (its download then
 * ends and frees its slot and file handle).
 */
function drainedWithin(call: ServerWritableStream<DownloadRequest, DownloadResponse>, idleMs: number, clock: Clock, idle: () => KompartError): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = clock.setTimeout(() => {
      off();
      reject(idle());
    }, idleMs);
    const off = (): void => {
      clock.clearTimeout(timer);
      call.off('drain', done);
      call.off('cancelled', done);
      call.off('close', done);
      call.off('error', done);
    };
    const done = (): void => {
      off();
      resolve();
    };
    call.on('drain', done);
    call.on('cancelled', done);
    call.on('close', done);
    call.on('error', done);
  });
}

/** A running FileService. */
export interface FileServer {
  /** The address actually bound, `host:port`. */
  readonly target: string;
  readonly port: number;
  /** Stops accepting calls, lets running downloads finish for up to `graceMs`, then cuts them. */
  close(graceMs?: number): Promise<void>;
  /** Cuts every connection at once. */
  kill(): void;
}

/**
 * Starts a gRPC server with the FileService on `bindTarget` (`host:port`, port 0 picks a
 * free one), plus the standard health service and server reflection (so a grpcurl-style
 * client can list, describe and call Download). Large flow-control window and message
 * limits per TRANSFER_CHANNEL_OPTIONS. A bind failure is a KompartError ADDRESS_IN_USE or
 * LISTEN_FAILED (see startGrpcServer).
 */
export async function startFileServer(
  bindTarget: string,
  service: ServiceHandlers<typeof FileServiceDefinition>,
  tls?: TlsMaterial,
  metrics?: Registry,
  pinned?: PinnedServerIdentity,
): Promise<FileServer> {
  const server = await startGrpcServer({
    identity: pinned,
    interceptors: metrics === undefined ? [] : [grpcServerMetrics(metrics)],
    address: bindTarget,
    tls,
    options: TRANSFER_CHANNEL_OPTIONS,
    services: [{ name: FILE_SERVICE_NAME, definition: fileServiceDefinition, implementation: service }],
  });
  return {
    target: server.target,
    port: server.port,
    close: (graceMs = 2000) => server.close(graceMs),
    kill: () => server.kill(),
  };
}

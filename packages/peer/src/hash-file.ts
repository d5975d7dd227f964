import { createHash } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { identityOf, sameIdentity, type FileIdentity } from './file-identity.js';
import type { KompartError } from '@kompart/core';
import { PeerErrorCode, peerError } from './peer-error.js';
import { PooledPieceHasher, pieceSizeFor, type PieceList } from './transfer/piece-hashes.js';

/**
 * Read size for hashing: two alternating 2 MiB buffers, the next read running on the
 * thread pool while the current buffer is hashed on the main thread (crypto's SHA-256 uses
 * SHA-NI here). The fastest of the read patterns and sizes measured (BENCHMARKS.md,
 * "Tuning constants").
 */
export const HASH_BUFFER_BYTES = 2 * 1024 * 1024;

/** The two read buffers of hashRange, of `bytes` each (HashOptions.buffers). */
export function readBuffers(bytes: number): [Buffer, Buffer] {
  return [Buffer.allocUnsafe(bytes), Buffer.allocUnsafe(bytes)];
}

/** Called as bytes are hashed: `bytes` done so far out of `total`. */
export type ProgressCallback = (bytes: number, total: number) => void;

export interface HashOptions {
  /** Reports progress after every buffer (the caller throttles drawing). */
  readonly onProgress?: ProgressCallback;
  /** Stops hashing with an AbortError. */
  readonly signal?: AbortSignal;
  /**
   * The two read buffers to use (of HASH_BUFFER_BYTES or less each), for a caller that hashes
   * many ranges (a swarm download catching up): made once instead of for every range.
   */
  readonly buffers?: readonly [Buffer, Buffer];
}

/**
 * What hashRange feeds: a Hash, or anything else that takes the bytes in order. When
 * `update` returns a promise, hashRange waits for it before it feeds the next bytes (the
 * read after them is already running).
 */
export interface ByteSink {
  update(data: Buffer): unknown;
}

/**
 * Feeds `hash` with the bytes of an open file from `start` up to `end` (or the end of
 * the file when it is shorter). Returns how many bytes were read. Memory: two buffers.
 */
export async function hashRange(handle: FileHandle, hash: ByteSink, start: number, end: number, options: HashOptions = {}): Promise<number> {
  const span = end - start;
  if (span <= 0) return 0;
  const buffers = options.buffers ?? readBuffers(Math.min(HASH_BUFFER_BYTES, span));
  const size = Math.min(buffers[0].length, buffers[1].length, span);
  let which = 0;
  let position = start;
  options.signal?.throwIfAborted();
  let pending = handle.read(buffers[which]!, 0, Math.min(size, end - position), position);
  for (;;) {
    const { bytesRead, buffer } = await pending;
    if (bytesRead === 0) break;
    position += bytesRead;
    which ^= 1;
    const remaining = end - position;
    if (remaining > 0) pending = handle.read(buffers[which]!, 0, Math.min(size, remaining), position);
    const fed = hash.update(buffer.subarray(0, bytesRead));
    if (fed instanceof Promise) await fed;
    options.onProgress?.(position - start, span);
    if (remaining <= 0) break;
    if (options.signal?.aborted) {
      await pending.catch(() => undefined);
      options.signal.throwIfAborted();
    }
  }
  return position - start;
}

/** The result of hashing one file. */
export interface HashedFile {
  /** 64 lower-case hexadecimal digits, as `sha256sum` prints. */
  readonly sha256: string;
  /** The identity of the version that was hashed (stats of the opened file). */
  readonly identity: FileIdentity;
  /** The piece hashes, computed in the same read (piece size from pieceSizeFor). */
  readonly pieces: PieceList;
}

/** open(2) flags for reading a file we are about to hash or serve: never through a
 * symbolic link as last component, never blocking on a FIFO swapped in. */
export const SAFE_READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Hashes the content of an already opened file and checks it did not change meanwhile
 * (same size, mtime and inode before and after). Throws PeerError FILE_CHANGED otherwise.
 */
export async function hashOpenFile(handle: FileHandle, path: string, options: HashOptions = {}): Promise<HashedFile> {
  const before = identityOf(await handle.stat({ bigint: true }));
  const hash = createHash('sha256');
  // The piece digests run on the thread pool while this thread hashes the whole file; reads
  // of whole pieces (at least the piece size, a power of two) let every piece go there.
  const pieceSize = pieceSizeFor(before.size);
  const pieces = new PooledPieceHasher(pieceSize);
  const both: ByteSink = {
    update: (data) => {
      const started = pieces.update(data);
      hash.update(data);
      return started;
    },
  };
  const buffers = options.buffers ?? readBuffers(Math.min(Math.max(HASH_BUFFER_BYTES, pieceSize), before.size));
  const read = await hashRange(handle, both, 0, before.size, { ...options, buffers });
  const list = await pieces.finish();
  const after = identityOf(await handle.stat({ bigint: true }));
  if (read !== before.size || !sameIdentity(before, after)) {
    throw peerError(PeerErrorCode.FILE_CHANGED, { path });
  }
  return { sha256: hash.digest('hex'), identity: before, pieces: list };
}

/**
 * Hashes one regular file by path with streaming SHA-256 (the digest `sha256sum` prints).
 * A symbolic link as the last component is refused (ELOOP), as is anything that is not a
 * regular file; errors are PeerErrors (PATH_NOT_FOUND, PATH_UNREADABLE, NOT_A_FILE,
 * FILE_CHANGED) with the system error as cause.
 */
export async function hashFile(path: string, options: HashOptions = {}): Promise<HashedFile> {
  const handle = await openForReading(path);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw peerError(PeerErrorCode.NOT_A_FILE, { path });
    return await hashOpenFile(handle, path, options);
  } finally {
    await handle.close();
  }
}

/** Opens a file with SAFE_READ_FLAGS, turning system errors into PeerErrors. */
export async function openForReading(path: string): Promise<FileHandle> {
  try {
    return await fsp.open(path, SAFE_READ_FLAGS);
  } catch (error) {
    throw fileSystemError(error, path);
  }
}

/** Maps a system error about reading `path` to a PeerError. */
export function fileSystemError(error: unknown, path: string): KompartError<PeerErrorCode> {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return peerError(PeerErrorCode.PATH_NOT_FOUND, { path }, { cause: error });
  if (code === 'ELOOP') return peerError(PeerErrorCode.NOT_A_FILE, { path }, { cause: error });
  const detail = typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
  return peerError(PeerErrorCode.PATH_UNREADABLE, { path, detail }, { cause: error });
}

import { createHash } from 'node:crypto';
import { constants, promises as fsp, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode, silentLogger, type KompartError, type Logger } from '@kompart/core';
import { identityOf } from '../file-identity.js';
import type { HashCache } from '../hash-cache.js';
import { hashRange, type ProgressCallback } from '../hash-file.js';
import { hashLocalFile } from '../local-library.js';
import { PeerErrorCode, isPeerError, peerError } from '../peer-error.js';
import { partWriter, type PartDigest } from './part-writer.js';
import { numberedName, partFileName, safeFileName } from '../safe-file-name.js';
import { PIECE_HASH_BYTES, pieceCount } from './piece-hashes.js';
import { agreeOnPieces, fetchSwarm, readPieceRecord, recordedPrefix, type HolderShare, type SwarmHolder } from './swarm-download.js';

/** What the registry promised: the file to fetch and where it comes from. */
export interface DownloadTarget {
  /** Base name as registered by the holder (reduced to a safe name before use). */
  readonly name: string;
  /** Expected SHA-256, 64 hex digits. */
  readonly sha256: string;
  readonly size: number;
  /** The holder's identity, for messages. */
  readonly holder: string;
}

/** One message of a download stream, as the downloader sees it (transport-neutral). */
export type DownloadMessage =
  | {
      readonly type: 'header';
      readonly sha256: string;
      readonly size: number;
      readonly offset: number;
      /** Bytes the stream will carry (0 from a holder that predates ranges: the rest of the file). */
      readonly length?: number;
    }
  | {
      readonly type: 'chunk';
      readonly data: Uint8Array;
      /** Called once `data` has been hashed and written (or dropped): its buffer may then be reused. */
      readonly release?: () => void;
    };

/**
 * Where the bytes come from. `open` starts a stream at `offset`: a header, then chunks,
 * `length` bytes of them (0 or none: up to the end of the file).
 * It throws KompartErrors/PeerErrors (the gRPC implementation maps statuses; see
 * grpc-download-source.ts) and must stop the transfer when `signal` aborts or when the
 * consumer stops iterating.
 */
export interface DownloadSource {
  open(offset: number, signal: AbortSignal, length?: number): AsyncIterable<DownloadMessage>;
}

/** The part of the file system the downloader writes through (swappable in tests). */
export interface PartFileSystem {
  /** Opens (creating if needed) a part file for reading and writing; never through a symbolic link. */
  openPart(path: string): Promise<FileHandle>;
  /**
   * Writes `data` at `position` of an open part file. The downloader queues a few writes
   * at once, at distinct positions, without waiting for the ones before them. With
   * `digest`, the bytes also go into that running SHA-256, in the order of the calls.
   */
  write(handle: FileHandle, data: Uint8Array, position: number, digest?: PartDigest): Promise<void>;
  /**
   * A running SHA-256 of the part file's first `length` bytes (a resumed download's),
   * continued by the writes given it: how a single-source download, written in file
   * order, is hashed off the main thread.
   */
  digest(handle: FileHandle, length: number): PartDigest;
}

/**
 * Default: real files, O_NOFOLLOW, 0644; written by the process's writer thread (part-writer.ts),
 * in order, in write(2) calls of at most WRITE_PIECE_BYTES.
 */
export const nodePartFileSystem: PartFileSystem = {
  openPart: (path) => fsp.open(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o644),
  write: (handle, data, position, digest) => partWriter.write(handle.fd, data, position, digest),
  digest: (handle, length) => partWriter.digest(handle.fd, length),
};

export interface DownloaderDeps {
  readonly downloadsDir: string;
  /** Used to recognise a file already in the downloads folder without reading it again. */
  readonly hashCache?: HashCache;
  readonly fs?: PartFileSystem;
  readonly logger?: Logger;
}

export interface DownloadOptions {
  /**
   * Folders under the downloads folder to save into (a folder download keeps its tree):
   * each is reduced to a safe name as file names are; none means the downloads folder.
   */
  readonly folder?: readonly string[];
  /** Bytes of the file present so far (resumed bytes included) out of its size. */
  readonly onProgress?: ProgressCallback;
  /** Aborting cancels the transfer and keeps the `.part` file for a later resume. */
  readonly signal?: AbortSignal;
}

/** How a `get file` ended. */
export interface DownloadResult {
  /** `downloaded`: a new file was written; `already-present`: a file with the same content was already there. */
  readonly status: 'downloaded' | 'already-present';
  /** Absolute path of the file in the downloads folder. */
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  readonly holder: string;
  /** Bytes taken from an existing `.part` file (0 for a fresh download). */
  readonly resumedFrom: number;
  /** Bytes received from the holder in this call. */
  readonly transferred: number;
  /**
   * A swarm download (downloadSwarm with a usable piece list): every holder it was given,
   * with the verified bytes each sent and how it ended. Undefined for a single-source download.
   */
  readonly holders?: readonly HolderShare[] | undefined;
}

/** A swarm download's target: the file, and the piece fields the registry gave for its holders. */
export interface SwarmTarget extends DownloadTarget {
  readonly pieceSize: number;
  /** The registry's root over the piece list (32 bytes). */
  readonly piecesRoot: Uint8Array;
}

export interface SwarmDownloadOptions extends DownloadOptions {
  /** A request that brings nothing for this long (ms) drops its holder as stalled (default 10 000). */
  readonly stallTimeoutMs?: number;
  /** Told how many holders are sending whenever that changes. */
  readonly onSending?: (holders: number) => void;
}

/** Default of SwarmDownloadOptions.stallTimeoutMs. */
const DEFAULT_STALL_TIMEOUT_MS = 10_000;
/** The record of verified pieces beside a part file. */
const recordPathOf = (partPath: string): string => `${partPath}.pieces`;

const MAX_NAME_ALTERNATIVES = 10_000;

/**
 * Downloads one file into the downloads folder, verified:
 *
 * 1. The name is reduced to a safe base name. When `name`, `name (1)`, … already holds
 *    the same content (same size and SHA-256), nothing is downloaded (`already-present`).
 * 2. Bytes go to `<name>.<16 hex of the hash>.part`, hashed as they are written. If that
 *    part file exists, its bytes are hashed again and the transfer resumes at its size.
 * 3. At the end the SHA-256 must equal the expected one: the part file then gets the
 *    first free name (`name`, `name (1).ext`, …) by hard link + unlink, so an existing
 *    file is never replaced. On a mismatch the part file is deleted and HASH_MISMATCH
 *    thrown (after one automatic fresh retry when the mismatch may come from resumed bytes).
 *
 * Cancelled or interrupted transfers keep the part file (DOWNLOAD_CANCELLED,
 * TRANSFER_INTERRUPTED); a write failure deletes it (DISK_FULL for a full file system,
 * DISK_ERROR otherwise), so a full disk gets its space back at once.
 */
export function createDownloader(deps: DownloaderDeps) {
  const logger = deps.logger ?? silentLogger;
  const fs = deps.fs ?? nodePartFileSystem;
  const busy = new Map<string, Promise<unknown>>();

  async function download(target: DownloadTarget, source: DownloadSource, options: DownloadOptions = {}): Promise<DownloadResult> {
    return locked(target, options, (sha256, dir, name, partPath) => runDownload(target, sha256, dir, name, partPath, source, options));
  }

  /**
   * Downloads one file from several holders at once, piece by piece (see fetchSwarm): the
   * holders' piece lists are asked for until one matches the registry's root (holders
   * with a list that does not match are `bad-list`); without one, the file comes from
   * `fallback` as `download` does. The same part file, names, `already-present` check and
   * final SHA-256 as `download`; the record of verified pieces (`<part>.pieces`) lets a later
   * call resume without checking them again. A part file left by a single-source download
   * keeps its whole pieces that hash right.
   */
  async function downloadSwarm(
    target: SwarmTarget,
    holders: readonly SwarmHolder[],
    fallback: DownloadSource,
    options: SwarmDownloadOptions = {},
  ): Promise<DownloadResult> {
    return locked(target, options, async (sha256, dir, name, partPath) => {
      const present = await alreadyPresent(target, sha256, dir, name, options);
      if (present !== undefined) return present;
      const signal = options.signal ?? new AbortController().signal;
      const agreed = await agreeOnPieces(holders, { size: target.size, pieceSize: target.pieceSize, root: target.piecesRoot }, signal).catch(
        (error: unknown) => {
          throw peerError(PeerErrorCode.DOWNLOAD_CANCELLED, { file: name }, { cause: error });
        },
      );
      if (agreed.hashes === undefined) {
        logger.info({ file: name }, 'no piece list matches the registry root; downloading from one holder');
        const result = await transfer(target, sha256, dir, name, partPath, fallback, options, true).catch(async (error: unknown) => {
          if (!(error instanceof RetryFromScratch)) throw error;
          return transfer(target, sha256, dir, name, partPath, fallback, options, false);
        });
        return result;
      }
      return swarmTransfer(target, sha256, dir, name, partPath, agreed.hashes, agreed.usable, agreed.shares, options, signal);
    });
  }

  async function locked(
    target: DownloadTarget,
    options: DownloadOptions,
    run: (sha256: string, dir: string, name: string, partPath: string) => Promise<DownloadResult>,
  ): Promise<DownloadResult> {
    const sha256 = target.sha256.toLowerCase();
    const name = safeFileName(target.name, `download-${sha256.slice(0, 12)}`);
    const dir = join(deps.downloadsDir, ...(options.folder ?? []).map((segment, index) => safeFileName(segment, `folder-${index + 1}`)));
    const partPath = join(dir, partFileName(name, sha256));
    // Two downloads of the same file in this process take turns on its part file.
    while (busy.has(partPath)) await busy.get(partPath)!.catch(() => undefined);
    const running = run(sha256, dir, name, partPath);
    busy.set(partPath, running);
    try {
      return await running;
    } finally {
      busy.delete(partPath);
    }
  }

  async function swarmTransfer(
    target: SwarmTarget,
    sha256: string,
    dir: string,
    name: string,
    partPath: string,
    hashes: Buffer,
    holders: readonly SwarmHolder[],
    listShares: readonly HolderShare[],
    options: SwarmDownloadOptions,
    signal: AbortSignal,
  ): Promise<DownloadResult> {
    if (signal.aborted) throw peerError(PeerErrorCode.DOWNLOAD_CANCELLED, { file: name }, { cause: signal.reason });
    const recordPath = recordPathOf(partPath);
    const count = pieceCount(target.size, target.pieceSize);
    const handle = await openPart(partPath);
    let keepPart = true;
    try {
      const stats = await regularFile(handle, partPath);
      let done = stats.size > target.size ? undefined : await readPieceRecord(recordPath, sha256, target.pieceSize, target.piecesRoot, count);
      if (stats.size > target.size) {
        await handle.truncate(0);
      } else if (done === undefined && stats.size > 0) {
        // A part file without a record (a single-source download's): keep its whole pieces that verify.
        done = new Uint8Array(count);
        const whole = stats.size === target.size ? count : Math.floor(stats.size / target.pieceSize);
        for (let p = 0; p < whole; p++) {
          const hash = createHash('sha256');
          await hashRange(handle, hash, p * target.pieceSize, Math.min(target.size, (p + 1) * target.pieceSize));
          if (hash.digest().equals(hashes.subarray(p * PIECE_HASH_BYTES, (p + 1) * PIECE_HASH_BYTES))) done[p] = 1;
        }
      }
      let outcome;
      try {
        outcome = await fetchSwarm(
          {
            size: target.size,
            sha256,
            name,
            pieceSize: target.pieceSize,
            root: target.piecesRoot,
            pieceHashes: hashes,
            holders,
            handle,
            fs,
            recordPath,
            signal,
            stallTimeoutMs: options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS,
            onProgress: options.onProgress,
            onSending: options.onSending,
          },
          done,
        );
      } catch (error) {
        if (isPeerError(error, PeerErrorCode.DISK_ERROR, PeerErrorCode.DISK_FULL)) keepPart = false;
        else if (signal.aborted) throw peerError(PeerErrorCode.DOWNLOAD_CANCELLED, { file: name }, { cause: error });
        throw error;
      }
      if (outcome.actual !== sha256) {
        keepPart = false;
        throw peerError(PeerErrorCode.HASH_MISMATCH, { file: name, expected: sha256, actual: outcome.actual });
      }
      await handle.close();
      const path = await placeFinal(dir, partPath, name);
      keepPart = false;
      await rememberHash(path, sha256);
      return {
        status: 'downloaded',
        path,
        sha256,
        size: target.size,
        holder: target.holder,
        resumedFrom: outcome.resumedFrom,
        transferred: outcome.transferred,
        holders: [...outcome.holders, ...listShares],
      };
    } finally {
      await handle.close().catch(() => undefined);
      if (!keepPart) {
        await fsp.rm(partPath, { force: true }).catch(() => undefined);
        await fsp.rm(recordPath, { force: true }).catch(() => undefined);
      }
    }
  }

  /** Opens (or creates) the part file; failing to is a disk error. */
  async function openPart(partPath: string): Promise<FileHandle> {
    try {
      return await fs.openPart(partPath);
    } catch (error) {
      throw diskError(error, partPath);
    }
  }

  async function runDownload(
    target: DownloadTarget,
    sha256: string,
    dir: string,
    name: string,
    partPath: string,
    source: DownloadSource,
    options: DownloadOptions,
  ): Promise<DownloadResult> {
    const present = await alreadyPresent(target, sha256, dir, name, options);
    if (present !== undefined) return present;
    try {
      return await transfer(target, sha256, dir, name, partPath, source, options, true);
    } catch (error) {
      if (error instanceof RetryFromScratch) {
        logger.info({ path: partPath }, 'resumed download did not verify; retrying from the start');
        return await transfer(target, sha256, dir, name, partPath, source, options, false);
      }
      throw error;
    }
  }

  async function transfer(
    target: DownloadTarget,
    sha256: string,
    dir: string,
    name: string,
    partPath: string,
    source: DownloadSource,
    options: DownloadOptions,
    mayRetry: boolean,
  ): Promise<DownloadResult> {
    const signal = options.signal ?? new AbortController().signal;
    if (signal.aborted) throw peerError(PeerErrorCode.DOWNLOAD_CANCELLED, { file: name }, { cause: signal.reason });
    const handle = await openPart(partPath);
    let keepPart = true;
    let position = 0;
    let digest: PartDigest | undefined;
    try {
      const stats = await regularFile(handle, partPath);
      position = stats.size;
      // A swarm download's part file may have holes: keep only its verified prefix.
      const recorded = await recordedPrefix(recordPathOf(partPath), sha256, target.size);
      if (recorded !== undefined || position > target.size) {
        position = Math.min(recorded ?? 0, position);
        await handle.truncate(position);
        await fsp.rm(recordPathOf(partPath), { force: true });
      }
      const resumedFrom = position;
      // Hashed by the writer thread: the resumed bytes, then each write in file order.
      digest = fs.digest(handle, position);
      options.onProgress?.(position, target.size);
      let transferred = 0;
      if (position < target.size || target.size === 0) {
        // Chunks are written at their offsets as they arrive, with up to WRITE_DEPTH writes
        // queued, and hashed meanwhile; `position` only moves past bytes on disk.
        const pending: PendingWrite[] = [];
        let queued = position;
        const settleOldest = async (): Promise<void> => {
          const oldest = pending.shift()!;
          const failure = await oldest.failure;
          if (failure !== undefined) {
            keepPart = false;
            throw diskError(failure, partPath);
          }
          position += oldest.length;
          transferred += oldest.length;
        };
        // Progress counts bytes on disk as each write completes.
        let onDisk = position;
        const wrote = (length: number) => (): undefined => {
          onDisk += length;
          options.onProgress?.(onDisk, target.size);
          return undefined;
        };
        let headerSeen = false;
        try {
          for await (const message of source.open(position, signal)) {
            if (message.type === 'header') {
              if (headerSeen) throw violation(target, 'second header');
              headerSeen = true;
              if (message.sha256.toLowerCase() !== sha256 || message.size !== target.size || message.offset !== position) {
                throw violation(target, `header does not match (sha256 ${message.sha256}, size ${message.size}, offset ${message.offset})`);
              }
              continue;
            }
            const { data, release } = message;
            if (!headerSeen) {
              release?.();
              throw violation(target, 'data before the header');
            }
            if (queued + data.length > target.size) {
              release?.();
              keepPart = false;
              throw violation(target, 'more bytes than the file size');
            }
            if (data.length === 0) {
              release?.();
              continue;
            }
            // Written and hashed on the writer thread; `release` runs once it is done with the bytes.
            const written = fs.write(handle, data, queued, digest).then(wrote(data.length), failureOf);
            pending.push({ failure: release === undefined ? written : written.finally(release), length: data.length });
            queued += data.length;
            if (pending.length >= WRITE_DEPTH) await settleOldest();
          }
          while (pending.length > 0) await settleOldest();
        } catch (error) {
          // Let every write started finish before the part file is closed (or kept): a
          // failed one leaves a hole, so such a part file is not worth keeping.
          for (const write of pending.splice(0)) {
            if ((await write.failure) === undefined && keepPart) {
              position += write.length;
              transferred += write.length;
            } else {
              keepPart = false;
            }
          }
          if (signal.aborted && !isPeerError(error, PeerErrorCode.DISK_ERROR, PeerErrorCode.DISK_FULL)) {
            throw peerError(PeerErrorCode.DOWNLOAD_CANCELLED, { file: name }, { cause: error });
          }
          throw error;
        }
        if (!headerSeen) throw violation(target, 'empty stream');
        if (position < target.size) {
          throw peerError(PeerErrorCode.TRANSFER_INTERRUPTED, { file: name, peer: target.holder });
        }
      }
      let actual: string;
      try {
        actual = await digest.finish();
      } catch (error) {
        keepPart = false;
        throw diskError(error, partPath);
      }
      if (actual !== sha256) {
        keepPart = false;
        if (mayRetry && resumedFrom > 0) throw new RetryFromScratch();
        throw peerError(PeerErrorCode.HASH_MISMATCH, { file: name, expected: sha256, actual });
      }
      await handle.close();
      const path = await placeFinal(dir, partPath, name);
      keepPart = false;
      await rememberHash(path, sha256);
      return { status: 'downloaded', path, sha256, size: target.size, holder: target.holder, resumedFrom, transferred };
    } finally {
      // Before the file is closed: the thread may still be reading its resumed bytes.
      await digest?.drop();
      await handle.close().catch(() => undefined);
      // An empty part file is worth nothing for a resume.
      if (!keepPart || position === 0) await fsp.rm(partPath, { force: true }).catch(() => undefined);
    }
  }

  /** Puts a finished download in the hash cache, so "already there" costs a stat next time. */
  async function rememberHash(path: string, sha256: string): Promise<void> {
    if (deps.hashCache === undefined) return;
    try {
      const stats = await fsp.lstat(path, { bigint: true });
      deps.hashCache.store(path, identityOf(stats), sha256);
      await deps.hashCache.flush();
    } catch (error) {
      logger.debug({ path, error: String(error) }, 'download not cached');
    }
  }

  /**
   * Makes the downloads folder, then looks there for the same content under `name` or a
   * numbered variant: the `already-present` result when it is there (nothing is fetched).
   */
  async function alreadyPresent(
    target: DownloadTarget,
    sha256: string,
    dir: string,
    name: string,
    options: DownloadOptions,
  ): Promise<DownloadResult | undefined> {
    try {
      await fsp.mkdir(dir, { recursive: true });
    } catch (error) {
      throw diskError(error, dir);
    }
    const present = await findSameContent(dir, name, target.size, sha256);
    if (present === undefined) return undefined;
    options.onProgress?.(target.size, target.size);
    return { status: 'already-present', path: present, sha256, size: target.size, holder: target.holder, resumedFrom: 0, transferred: 0 };
  }

  /** The first of `name`, `name (1)`, … that holds exactly this content, if any. */
  async function findSameContent(dir: string, name: string, size: number, sha256: string): Promise<string | undefined> {
    for (let n = 0; n < MAX_NAME_ALTERNATIVES; n++) {
      const path = join(dir, numberedName(name, n));
      let stats;
      try {
        stats = await fsp.lstat(path);
      } catch {
        return undefined;
      }
      if (!stats.isFile() || stats.size !== size) continue;
      try {
        const cache = deps.hashCache ?? NO_CACHE;
        const hashed = await hashLocalFile(path, cache, { needPieces: false });
        if (hashed.sha256 === sha256) return path;
      } catch (error) {
        logger.debug({ path, error: String(error) }, 'existing download not comparable');
      }
    }
    return undefined;
  }

  /** Gives the verified part file the first free name; never replaces an existing file. */
  async function placeFinal(dir: string, partPath: string, name: string): Promise<string> {
    for (let n = 0; n < MAX_NAME_ALTERNATIVES; n++) {
      const path = join(dir, numberedName(name, n));
      try {
        await fsp.link(partPath, path);
        await fsp.unlink(partPath);
        return path;
      } catch (error) {
        const code = errnoCode(error);
        if (code === 'EEXIST') continue;
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EMLINK') throw diskError(error, path);
      }
      // No hard links here: reserve the name exclusively, then move the part file onto it.
      try {
        const placeholder = await fsp.open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
        await placeholder.close();
      } catch (error) {
        if (errnoCode(error) === 'EEXIST') continue;
        throw diskError(error, path);
      }
      try {
        await fsp.rename(partPath, path);
      } catch (error) {
        await fsp.rm(path, { force: true }).catch(() => undefined);
        throw diskError(error, path);
      }
      return path;
    }
    throw peerError(PeerErrorCode.DISK_ERROR, { path: join(dir, name), detail: 'no free name' });
  }

  return { download, downloadSwarm };
}

/** A downloader (see {@link createDownloader}). */
export type Downloader = ReturnType<typeof createDownloader>;

class RetryFromScratch extends Error {}

/**
 * Writes of received chunks queued at once (each up to 1 MiB, see grpc-download-source.ts):
 * hashing on arrival while up to 4 writes run was faster than awaiting each write, or
 * hashing while one runs (BENCHMARKS.md, "Tuning constants"). The writes themselves are
 * made one after the other, by the writer thread: concurrent ones spun on the file's inode
 * lock in the kernel.
 */
const WRITE_DEPTH = 4;

/** A write started and not yet awaited; `failure` resolves to its error, if any. */
interface PendingWrite {
  readonly failure: Promise<unknown>;
  readonly length: number;
}

const failureOf = (error: unknown): unknown => error ?? new Error('write failed');

const NO_CACHE: HashCache = {
  lookup: () => Promise.resolve(undefined),
  store: () => undefined,
  flush: () => Promise.resolve(),
};

function violation(target: DownloadTarget, detail: string): KompartError<PeerErrorCode> {
  return peerError(PeerErrorCode.PROTOCOL_VIOLATION, { peer: target.holder, detail });
}

function diskError(error: unknown, path: string): KompartError<PeerErrorCode> {
  if (isPeerError(error)) return error;
  const code = errnoCode(error);
  if (code === 'ENOSPC' || code === 'EDQUOT') return peerError(PeerErrorCode.DISK_FULL, { path }, { cause: error });
  const detail = code ?? (error instanceof Error ? error.message : String(error));
  return peerError(PeerErrorCode.DISK_ERROR, { path, detail }, { cause: error });
}

/** The open part file's stats; DISK_ERROR when it is not a regular file. */
async function regularFile(handle: FileHandle, partPath: string): Promise<Stats> {
  const stats = await handle.stat();
  if (!stats.isFile()) throw peerError(PeerErrorCode.DISK_ERROR, { path: partPath, detail: 'not a regular file' });
  return stats;
}

import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { MAX_PATH_BYTES, Reason } from '@kompart/protocol';
import { KompartError, invalidArgument, isSha256, quoteInput, silentLogger, type Logger } from '@kompart/core';
import { identityOf, sameIdentity, type FileIdentity } from '../file-identity.js';
import { hashOpenFile, SAFE_READ_FLAGS } from '../hash-file.js';
import type { LocalFile, SharedFiles } from '../local-library.js';

/** What a download request names: a hash, an exact registered path, or both. */
export interface ShareRequest {
  readonly sha256: string;
  readonly path: string;
}

/** A registered file, opened and checked, ready to stream. */
export interface OpenedShare {
  readonly file: LocalFile;
  readonly handle: FileHandle;
}

export interface OpenSharedFileDeps {
  /** This peer's identity, for the `peer` param of FILE_UNAVAILABLE. */
  readonly self: string;
  readonly logger?: Logger;
  /** Told when a registered file had to be hashed again and still matched. */
  readonly onRehashed?: (path: string, identity: FileIdentity, sha256: string) => void;
  /** Told when a registered file was refused: gone, changed, no longer a regular file or readable (the index should follow). */
  readonly onStale?: (file: LocalFile) => void;
}

/**
 * Checks a download request and opens the file it names, **only** when it is one this
 * peer registered and is still the registered content:
 *
 * - a malformed request (neither hash nor path, a hash that is not 64 hex digits, a
 *   path that is relative, holds a NUL byte, `.` or `..` components or is too long) is
 *   INVALID_ARGUMENT; nothing is looked up;
 * - the path is looked up in the registered set, never opened as given; a path or hash
 *   not registered is NOT_FOUND / FILE_UNAVAILABLE;
 * - the registered path must still be a regular file, not a symbolic link (lstat); it is
 *   opened with O_NOFOLLOW|O_NONBLOCK and the opened file must be the same inode as the
 *   one checked (so a swap between check and open is caught);
 * - a file whose read permissions were all removed (`chmod a-r`) is no longer shared, even
 *   by a peer running as root, which the kernel would let read it;
 * - same size, mtime, inode and device as when registered: served as is; otherwise the
 *   opened file is hashed again and served only when the hash still matches.
 *
 * A registered file refused by these checks is reported to `onStale`.
 */
export async function openSharedFile(files: SharedFiles, request: ShareRequest, deps: OpenSharedFileDeps): Promise<OpenedShare> {
  validateShareRequest(request);
  const logger = deps.logger ?? silentLogger;
  const sha256 = request.sha256.toLowerCase();
  let candidates: LocalFile[];
  if (request.path.length > 0) {
    const file = files.get(request.path);
    candidates = file !== undefined && (sha256.length === 0 || file.sha256 === sha256) ? [file] : [];
  } else {
    candidates = files.findByHash(sha256);
  }
  for (const file of candidates) {
    const handle = await openIfUnchanged(file, deps, logger);
    if (handle !== undefined) return { file, handle };
    deps.onStale?.(file);
  }
  throw new KompartError(Reason.FILE_UNAVAILABLE, { peer: deps.self, file: quoteInput(request.path || request.sha256) });
}

/** Throws INVALID_ARGUMENT for a malformed request (see {@link openSharedFile}). */
function validateShareRequest(request: ShareRequest): void {
  const { sha256, path } = request;
  if (sha256.length === 0 && path.length === 0) throw invalidArgument('sha256', 'either sha256 or path is required');
  if (sha256.length > 0 && !isSha256(sha256)) throw invalidArgument('sha256', 'must be 64 hexadecimal digits');
  if (path.length === 0) return;
  if (path.includes('\0')) throw invalidArgument('path', 'must not contain a NUL byte');
  if (!path.startsWith('/')) throw invalidArgument('path', 'must be an absolute path');
  if (Buffer.byteLength(path, 'utf8') > MAX_PATH_BYTES) throw invalidArgument('path', `longer than ${MAX_PATH_BYTES} bytes`);
  if (path.split('/').some((part) => part === '.' || part === '..')) throw invalidArgument('path', 'must not contain . or .. components');
}

async function openIfUnchanged(file: LocalFile, deps: OpenSharedFileDeps, logger: Logger): Promise<FileHandle | undefined> {
  let checked;
  try {
    checked = await fsp.lstat(file.path, { bigint: true });
  } catch (error) {
    logger.info({ path: file.path, error: String(error) }, 'registered file gone');
    return undefined;
  }
  if (!checked.isFile()) {
    logger.warn({ path: file.path }, 'registered path is no longer a regular file; refused');
    return undefined;
  }
  let handle: FileHandle;
  try {
    handle = await fsp.open(file.path, SAFE_READ_FLAGS);
  } catch (error) {
    logger.warn({ path: file.path, error: String(error) }, 'registered file cannot be opened');
    return undefined;
  }
  let keep = false;
  try {
    const opened = await handle.stat({ bigint: true });
    const identity = identityOf(opened);
    if (!opened.isFile() || opened.ino !== checked.ino || opened.dev !== checked.dev) {
      logger.warn({ path: file.path }, 'registered file was swapped while being opened; refused');
      return undefined;
    }
    if ((opened.mode & 0o444n) === 0n) {
      logger.info({ path: file.path }, 'registered file is readable by nobody any more; refused');
      return undefined;
    }
    if (sameIdentity(identity, file.identity)) {
      keep = true;
      return handle;
    }
    if (identity.size !== file.size) {
      logger.info({ path: file.path, size: identity.size, registered: file.size }, 'registered file changed size');
      return undefined;
    }
    const hashed = await hashOpenFile(handle, file.path);
    if (hashed.sha256 !== file.sha256) {
      logger.info({ path: file.path }, 'registered file changed content');
      return undefined;
    }
    deps.onRehashed?.(file.path, hashed.identity, hashed.sha256);
    keep = true;
    return handle;
  } catch (error) {
    logger.warn({ path: file.path, error: String(error) }, 'registered file could not be checked');
    return undefined;
  } finally {
    if (!keep) await handle.close().catch(() => undefined);
  }
}

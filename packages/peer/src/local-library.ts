import { promises as fsp } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { HashCache } from './hash-cache.js';
import { identityOf, type FileIdentity } from './file-identity.js';
import { fileSystemError, hashOpenFile, openForReading, type HashOptions } from './hash-file.js';
import { PeerErrorCode, isPeerError, peerError } from './peer-error.js';
import type { PieceList } from './transfer/piece-hashes.js';

/** One file this peer shares: what it registered and the version it hashed. */
export interface LocalFile {
  /** Full absolute path, as registered (symbolic links in it resolved). */
  readonly path: string;
  /** Base name of the path. */
  readonly name: string;
  /** 64 lower-case hex digits. */
  readonly sha256: string;
  readonly size: number;
  /** Size, mtime, inode and device of the version that was hashed. */
  readonly identity: FileIdentity;
  /** Its piece hashes (registered as piece_size and pieces_root); undefined when not computed. */
  readonly pieces?: PieceList | undefined;
}

/**
 * The set of files this peer registered: the only files its FileService will ever open.
 * Keyed by exact path, indexed by hash.
 */
export class SharedFiles {
  readonly #byPath = new Map<string, LocalFile>();
  readonly #byHash = new Map<string, Set<string>>();
  /** Every folder above an entry, with how many entries it holds (so that `under` a plain file costs nothing). */
  readonly #folders = new Map<string, number>();

  /** Adds or replaces the entry of `file.path`. */
  add(file: LocalFile): void {
    this.delete(file.path);
    this.#byPath.set(file.path, file);
    for (let folder = dirname(file.path); ; folder = dirname(folder)) {
      this.#folders.set(folder, (this.#folders.get(folder) ?? 0) + 1);
      if (folder === dirname(folder)) break;
    }
    let paths = this.#byHash.get(file.sha256);
    if (paths === undefined) {
      paths = new Set();
      this.#byHash.set(file.sha256, paths);
    }
    paths.add(file.path);
  }

  /** The entry registered under exactly this path. */
  get(path: string): LocalFile | undefined {
    return this.#byPath.get(path);
  }

  /** Every entry with this hash (the same content may be registered under several paths). */
  findByHash(sha256: string): LocalFile[] {
    const paths = this.#byHash.get(sha256.toLowerCase());
    if (paths === undefined) return [];
    return [...paths].map((path) => this.#byPath.get(path)).filter((file): file is LocalFile => file !== undefined);
  }

  /** Records that the file at `path` now has this identity (same content, e.g. touched). */
  updateIdentity(path: string, identity: FileIdentity): void {
    const file = this.#byPath.get(path);
    if (file !== undefined) this.#byPath.set(path, { ...file, identity });
  }

  /** The entries at `path` and under it (`path` taken as a folder), in path order. */
  under(given: string): LocalFile[] {
    const path = given.length > 1 && given.endsWith('/') ? given.slice(0, -1) : given;
    const exact = this.#byPath.get(path);
    if (!this.#folders.has(path)) return exact === undefined ? [] : [exact];
    const prefix = path === '/' ? path : `${path}/`;
    const found: LocalFile[] = [];
    for (const file of this.#byPath.values()) if (file.path === path || file.path.startsWith(prefix)) found.push(file);
    return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  delete(path: string): boolean {
    const file = this.#byPath.get(path);
    if (file === undefined) return false;
    this.#byPath.delete(path);
    for (let folder = dirname(path); ; folder = dirname(folder)) {
      const left = (this.#folders.get(folder) ?? 1) - 1;
      if (left === 0) this.#folders.delete(folder);
      else this.#folders.set(folder, left);
      if (folder === dirname(folder)) break;
    }
    const paths = this.#byHash.get(file.sha256);
    paths?.delete(path);
    if (paths?.size === 0) this.#byHash.delete(file.sha256);
    return true;
  }

  clear(): void {
    this.#byPath.clear();
    this.#byHash.clear();
    this.#folders.clear();
  }

  all(): LocalFile[] {
    return [...this.#byPath.values()];
  }

  get size(): number {
    return this.#byPath.size;
  }
}

/** A regular file found by {@link scanPath}, to be hashed and registered. */
interface ScannedFile {
  readonly path: string;
  readonly size: number;
}

/** Something under a scanned folder that is not registered, and why. */
export interface SkippedEntry {
  readonly path: string;
  /** `symlink`: not followed; `special`: socket, FIFO or device; `unreadable`: a folder that could not be listed. */
  readonly reason: 'symlink' | 'special' | 'unreadable';
  readonly detail?: string;
}

/** What `register file <path>` would register. */
export interface ScanResult {
  /** The absolute real path of what was named. */
  readonly root: string;
  readonly kind: 'file' | 'directory';
  /** Regular files, in a stable (sorted) order. */
  readonly files: ScannedFile[];
  readonly skipped: SkippedEntry[];
  /** Sum of the files' sizes. */
  readonly totalBytes: number;
}

/**
 * Finds the regular files a path names: the file itself, or every regular file under a
 * folder (recursively). The path is made absolute against `cwd` and its symbolic links are
 * resolved once, at the root; below it symbolic links are never followed (they are
 * reported as skipped), so nothing outside the folder is reached. A missing or unreadable
 * root throws a PeerError and nothing is returned.
 */
export async function scanPath(input: string, cwd: string = process.cwd()): Promise<ScanResult> {
  const named = resolve(cwd, input);
  let root: string;
  try {
    root = await fsp.realpath(named);
  } catch (error) {
    throw fileSystemError(error, named);
  }
  let stats;
  try {
    stats = await fsp.lstat(root);
  } catch (error) {
    throw fileSystemError(error, root);
  }
  if (stats.isFile()) {
    return { root, kind: 'file', files: [{ path: root, size: stats.size }], skipped: [], totalBytes: stats.size };
  }
  if (!stats.isDirectory()) throw peerError(PeerErrorCode.NOT_A_FILE, { path: root });
  const files: ScannedFile[] = [];
  const skipped: SkippedEntry[] = [];
  try {
    await fsp.access(root, fsp.constants.R_OK | fsp.constants.X_OK);
  } catch (error) {
    throw fileSystemError(error, root);
  }
  await walk(root, files, skipped, true);
  const totalBytes = files.reduce((sum, file) => sum + file.size, 0);
  return { root, kind: 'directory', files, skipped, totalBytes };
}

async function walk(dir: string, files: ScannedFile[], skipped: SkippedEntry[], isRoot: boolean): Promise<void> {
  let names: string[];
  try {
    names = (await fsp.readdir(dir)).sort();
  } catch (error) {
    if (isRoot) throw fileSystemError(error, dir);
    skipped.push({ path: dir, reason: 'unreadable', detail: fileSystemError(error, dir).params.detail ?? 'ENOENT' });
    return;
  }
  for (const name of names) {
    const path = join(dir, name);
    let stats;
    try {
      stats = await fsp.lstat(path);
    } catch {
      continue; // vanished between readdir and lstat
    }
    if (stats.isSymbolicLink()) skipped.push({ path, reason: 'symlink' });
    else if (stats.isDirectory()) await walk(path, files, skipped, false);
    else if (stats.isFile()) files.push({ path, size: stats.size });
    else skipped.push({ path, reason: 'special' });
  }
}

/** A hashed file ready to register, and whether the hash came from the cache. */
export interface HashedLocalFile extends LocalFile {
  readonly cached: boolean;
}

/**
 * Hashes one regular file (SHA-256 and piece hashes in one read), or takes its hashes from
 * the cache when size, mtime, inode and device are unchanged. Opens without following a
 * final symbolic link; the identity is read from the opened file, so the hash and the
 * identity always describe the same file. A cache entry without piece hashes is a miss
 * unless `needPieces` is false (the downloader only compares whole-file hashes).
 */
export async function hashLocalFile(path: string, cache: HashCache, options: HashOptions & { readonly needPieces?: boolean } = {}): Promise<HashedLocalFile> {
  const handle = await openForReading(path);
  try {
    const stats = await handle.stat({ bigint: true });
    if (!stats.isFile()) throw peerError(PeerErrorCode.NOT_A_FILE, { path });
    const identity = identityOf(stats);
    const known = await cache.lookup(path, identity);
    if (known !== undefined && (known.pieces !== undefined || options.needPieces === false)) {
      options.onProgress?.(identity.size, identity.size);
      return { path, name: basename(path), sha256: known.sha256, size: identity.size, identity, pieces: known.pieces, cached: true };
    }
    let hashed;
    try {
      hashed = await hashOpenFile(handle, path, options);
    } catch (error) {
      if (isPeerError(error) || (error as { name?: unknown }).name === 'AbortError') throw error;
      throw fileSystemError(error, path);
    }
    cache.store(path, hashed.identity, hashed.sha256, hashed.pieces);
    return {
      path,
      name: basename(path),
      sha256: hashed.sha256,
      size: hashed.identity.size,
      identity: hashed.identity,
      pieces: hashed.pieces,
      cached: false,
    };
  } finally {
    await handle.close();
  }
}

import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { silentLogger, type Logger } from '@kompart/core';
import type { FileIdentity } from './file-identity.js';
import { isValidPieceSize, PIECE_HASH_BYTES, type PieceList } from './transfer/piece-hashes.js';

/**
 * Remembers the SHA-256 of files, and their piece hashes (piece-hashes.ts), by path, size,
 * mtime (ns), inode and device, so that registering an unchanged file again costs one stat
 * instead of a full read. A file whose identity changed misses the cache and is hashed again.
 *
 * Persisted as one JSON file (`hash-cache.json` in the configured cache folder; the peer's
 * default folder is `~/.cache/kompart`), written atomically (temporary file + rename) by
 * flush(). A missing or corrupt file starts an empty cache; a cache that cannot be written
 * is logged and otherwise ignored: the cache only ever saves time.
 */
export interface HashCache {
  /** The cached hash of this version of the file (and its piece hashes, when known), if any. */
  lookup(path: string, identity: FileIdentity): Promise<CachedHash | undefined>;
  /**
   * Records the hash of this version of the file, with its piece hashes when given; without
   * them, the piece hashes already cached for the same content are kept.
   */
  store(path: string, identity: FileIdentity, sha256: string, pieces?: PieceList): void;
  /** Writes the cache to disk when it changed since the last flush. */
  flush(): Promise<void>;
}

/** A cache hit. */
export interface CachedHash {
  readonly sha256: string;
  /** Undefined for an entry recorded without them (by a download, or a cache file of version 1). */
  readonly pieces: PieceList | undefined;
}

export const HASH_CACHE_FILE_NAME = 'hash-cache.json';
/** Entries kept at most; the oldest are dropped beyond it. */
const MAX_HASH_CACHE_ENTRIES = 200_000;

/**
 * On-disk form: one tuple per path. Version 2 adds the piece hashes (piece size and the
 * digests in base64, or null); a version 1 file is read as entries without them.
 */
interface CacheFile {
  readonly version: 1 | 2;
  readonly entries: Record<string, [size: number, mtimeNs: string, ino: string, dev: string, sha256: string, pieces?: [number, string] | null]>;
}

interface Entry {
  readonly size: number;
  readonly mtimeNs: string;
  readonly ino: string;
  readonly dev: string;
  readonly sha256: string;
  readonly pieces: PieceList | undefined;
}

export interface HashCacheOptions {
  /** Folder of `hash-cache.json`; undefined keeps the cache in memory only. */
  readonly dir?: string;
  readonly logger?: Logger;
  readonly maxEntries?: number;
}

/** Creates a hash cache (see {@link HashCache}). Nothing is read until the first lookup. */
export function createHashCache(options: HashCacheOptions = {}): HashCache {
  const logger = options.logger ?? silentLogger;
  const maxEntries = options.maxEntries ?? MAX_HASH_CACHE_ENTRIES;
  const file = options.dir === undefined ? undefined : join(options.dir, HASH_CACHE_FILE_NAME);
  const entries = new Map<string, Entry>();
  let loading: Promise<void> | undefined;
  let dirty = false;

  async function load(): Promise<void> {
    if (file === undefined) return;
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ENOENT') logger.warn({ file, error: String(error) }, 'hash cache unreadable; starting empty');
      return;
    }
    try {
      const parsed = JSON.parse(text) as Partial<CacheFile>;
      if ((parsed.version !== 1 && parsed.version !== 2) || typeof parsed.entries !== 'object' || parsed.entries === null) throw new Error('unknown format');
      for (const [path, tuple] of Object.entries(parsed.entries)) {
        if (!Array.isArray(tuple) || tuple.length < 5 || tuple.length > 6) continue;
        const [size, mtimeNs, ino, dev, sha256, saved] = tuple;
        if (typeof size !== 'number' || typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) continue;
        const pieces = piecesOf(saved, size);
        // Entries read from disk must not replace ones stored while loading.
        if (!entries.has(path)) entries.set(path, { size, mtimeNs: String(mtimeNs), ino: String(ino), dev: String(dev), sha256, pieces });
      }
    } catch (error) {
      logger.warn({ file, error: String(error) }, 'hash cache corrupt; starting empty');
    }
  }

  function ensureLoaded(): Promise<void> {
    loading ??= load();
    return loading;
  }

  return {
    async lookup(path, identity) {
      await ensureLoaded();
      const entry = entries.get(path);
      if (entry === undefined) return undefined;
      const same =
        entry.size === identity.size &&
        entry.mtimeNs === identity.mtimeNs.toString() &&
        entry.ino === identity.ino.toString() &&
        entry.dev === identity.dev.toString();
      if (same) return { sha256: entry.sha256, pieces: entry.pieces };
      entries.delete(path);
      dirty = true;
      return undefined;
    },

    store(path, identity, sha256, pieces) {
      const previous = entries.get(path);
      const kept = pieces ?? (previous?.sha256 === sha256 && previous.size === identity.size ? previous.pieces : undefined);
      entries.delete(path);
      entries.set(path, {
        size: identity.size,
        mtimeNs: identity.mtimeNs.toString(),
        ino: identity.ino.toString(),
        dev: identity.dev.toString(),
        sha256,
        pieces: kept,
      });
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest === undefined) break;
        entries.delete(oldest);
      }
      dirty = true;
    },

    async flush() {
      await ensureLoaded();
      if (file === undefined || !dirty) return;
      dirty = false;
      const body: CacheFile = { version: 2, entries: {} };
      for (const [path, e] of entries) {
        const pieces: [number, string] | null = e.pieces === undefined ? null : [e.pieces.pieceSize, e.pieces.hashes.toString('base64')];
        body.entries[path] = [e.size, e.mtimeNs, e.ino, e.dev, e.sha256, pieces];
      }
      const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
      try {
        await fsp.mkdir(dirname(file), { recursive: true });
        await fsp.writeFile(temporary, JSON.stringify(body), { mode: 0o600 });
        await fsp.rename(temporary, file);
      } catch (error) {
        dirty = true;
        logger.warn({ file, error: String(error) }, 'hash cache not saved');
        await fsp.rm(temporary, { force: true }).catch(() => undefined);
      }
    },
  };
}

/** Piece hashes read from a cache file, if well-formed for a file of `size` bytes. */
function piecesOf(saved: unknown, size: number): PieceList | undefined {
  if (!Array.isArray(saved) || saved.length !== 2) return undefined;
  const [pieceSize, base64] = saved as unknown[];
  if (typeof pieceSize !== 'number' || !isValidPieceSize(pieceSize) || typeof base64 !== 'string') return undefined;
  const hashes = Buffer.from(base64, 'base64');
  if (hashes.length !== Math.ceil(size / pieceSize) * PIECE_HASH_BYTES) return undefined;
  return { pieceSize, hashes };
}

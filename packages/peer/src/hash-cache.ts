import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { silentLogger, type Logger } from '@kompart/core';
import type { FileIdentity } from './file-identity.js';

/**
 * Remembers the SHA-256 of files by path, size, mtime (ns), inode and device, so that
 * registering an unchanged file again costs one stat instead of a full read. A file whose
 * identity changed misses the cache and is hashed again.
 *
 * Persisted as one JSON file (`hash-cache.json` in the configured cache folder; the peer's
 * default folder is `~/.cache/kompart`), written atomically (temporary file + rename) by
 * flush(). A missing or corrupt file starts an empty cache; a cache that cannot be written
 * is logged and otherwise ignored: the cache only ever saves time.
 */
export interface HashCache {
  /** The cached hash of this version of the file, if any. */
  lookup(path: string, identity: FileIdentity): Promise<string | undefined>;
  /** Records the hash of this version of the file. */
  store(path: string, identity: FileIdentity, sha256: string): void;
  /** Writes the cache to disk when it changed since the last flush. */
  flush(): Promise<void>;
}

export const HASH_CACHE_FILE_NAME = 'hash-cache.json';
/** Entries kept at most; the oldest are dropped beyond it. */
const MAX_HASH_CACHE_ENTRIES = 200_000;

/** On-disk form: one tuple per path. */
interface CacheFile {
  readonly version: 1;
  readonly entries: Record<string, [size: number, mtimeNs: string, ino: string, dev: string, sha256: string]>;
}

interface Entry {
  readonly size: number;
  readonly mtimeNs: string;
  readonly ino: string;
  readonly dev: string;
  readonly sha256: string;
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
      if (parsed.version !== 1 || typeof parsed.entries !== 'object' || parsed.entries === null) throw new Error('unknown format');
      for (const [path, tuple] of Object.entries(parsed.entries)) {
        if (!Array.isArray(tuple) || tuple.length !== 5) continue;
        const [size, mtimeNs, ino, dev, sha256] = tuple;
        if (typeof size !== 'number' || typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) continue;
        // Entries read from disk must not replace ones stored while loading.
        if (!entries.has(path)) entries.set(path, { size, mtimeNs: String(mtimeNs), ino: String(ino), dev: String(dev), sha256 });
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
      if (same) return entry.sha256;
      entries.delete(path);
      dirty = true;
      return undefined;
    },

    store(path, identity, sha256) {
      entries.delete(path);
      entries.set(path, {
        size: identity.size,
        mtimeNs: identity.mtimeNs.toString(),
        ino: identity.ino.toString(),
        dev: identity.dev.toString(),
        sha256,
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
      const body: CacheFile = { version: 1, entries: {} };
      for (const [path, e] of entries) body.entries[path] = [e.size, e.mtimeNs, e.ino, e.dev, e.sha256];
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

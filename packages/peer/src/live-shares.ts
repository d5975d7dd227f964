import { promises as fsp, type BigIntStats } from 'node:fs';
import { dirname } from 'node:path';
import { KompartError, silentLogger, systemClock, type Clock, type Logger, type TimerHandle } from '@kompart/core';
import { Reason } from '@kompart/protocol';
import { identityOf, sameIdentity } from './file-identity.js';
import type { HashCache } from './hash-cache.js';
import { hashLocalFile, scanPath, type HashedLocalFile, type LocalFile, type SharedFiles } from './local-library.js';
import { PeerErrorCode, isPeerError } from './peer-error.js';
import type { PeerEventEmitter, ShareRemovedCause } from './peer-events.js';
import type { FileRegistration } from './registry-session.js';
import type { WatchFunction, WatchHandle } from './share-watcher.js';

/** Paths brought in line at once (each hashes at most one file and makes one registry call). */
const RECONCILE_CONCURRENCY = 4;

/** The registry calls that keep the index in line with the shared files. */
export interface ShareIndex {
  /** RegisterFile: a new file, or new content under a registered path (updated in place). */
  register(file: FileRegistration): Promise<unknown>;
  /** UnregisterFile. */
  unregister(path: string): Promise<unknown>;
}

export interface LiveSharesOptions {
  /** The registered files (what the FileService serves); changed here as the files change. */
  readonly files: SharedFiles;
  readonly cache: HashCache;
  readonly index: ShareIndex;
  readonly events: PeerEventEmitter;
  /** A path is looked at once nothing happened to it for this long, ms (a file being written is left alone until then). */
  readonly quietMs: number;
  /** Registry calls that failed in passing (registry unreachable, store away) are tried again this often, ms. */
  readonly retryMs: number;
  /** How registered files and folders are watched; undefined: they are not (only `nudge` brings a path in line). */
  readonly watch?: WatchFunction | undefined;
  /** Paths never registered when they appear (the peer's own partial downloads). */
  readonly ignore?: (path: string) => boolean;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** A change of the index still to be made (or made again). */
type Sync =
  | { readonly action: 'remove'; readonly file: LocalFile; readonly cause: ShareRemovedCause }
  | { readonly action: 'add'; readonly file: HashedLocalFile }
  | { readonly action: 'update'; readonly file: HashedLocalFile; readonly previous: LocalFile };

/** A path named to `register file`, and its watch (none when a folder root above it already watches it). */
interface Root {
  readonly kind: 'file' | 'directory';
  watch: Promise<WatchHandle | undefined> | undefined;
}

/**
 * Keeps this peer's shared files and the registry's index in line with the file system:
 * "live shares" (DESIGN.md §7).
 *
 * What is watched: every path given to `register file` (a root), a file or a folder with
 * everything under it. A path something happened to (a watch event, or `nudge` from the
 * FileService's check before serving) is looked at once it has been quiet for `quietMs`
 * (every new event starts the wait again), then:
 *
 * - a registered file that is gone, no longer a regular file, or readable by nobody leaves
 *   the index (UnregisterFile) and is no longer served: `share-removed`;
 * - a registered file whose size, mtime, inode or device changed is hashed again (the hash
 *   cache answers for a mere touch); new content updates its entry in place (RegisterFile,
 *   same path, new hash): `share-updated`; a file that changes while it is hashed is looked
 *   at again later;
 * - a regular file that appears under a registered folder is registered, by the rules of
 *   `register file` for a folder (symbolic links and special files are not; a file or
 *   folder unregistered by hand stays out): `share-added`.
 *
 * A file root ends with its file (deleted, it is not watched for again); a folder root
 * lasts until it is unregistered by hand or the peer disconnects. The local set changes
 * first (nothing gone or changed is served meanwhile), then the index; a registry call that
 * fails in passing is kept and made again every `retryMs` and at once when the session is
 * resumed or re-registered; the event comes when the index has the change.
 */
export class LiveShares {
  readonly #files: SharedFiles;
  readonly #cache: HashCache;
  readonly #index: ShareIndex;
  readonly #events: PeerEventEmitter;
  readonly #quietMs: number;
  readonly #retryMs: number;
  readonly #watch: WatchFunction | undefined;
  readonly #ignore: (path: string) => boolean;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #roots = new Map<string, Root>();
  /** Paths under a folder root that were unregistered by hand: what appears there stays out. */
  readonly #excluded = new Set<string>();
  readonly #timers = new Map<string, TimerHandle>();
  readonly #locks = new Map<string, Promise<void>>();
  readonly #pending = new Map<string, Sync>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #waiting: (() => void)[] = [];
  #running = 0;
  #retry: TimerHandle | undefined;
  #closed = false;
  /** Counts `clear` calls: work begun before one changes nothing after it. */
  #epoch = 0;
  /**
   * Paths whose entry changed since the session was lost (undefined while it is not): a
   * session registered again is given every shared file from a list taken when it began,
   * so these are set right once that is over.
   */
  #sinceLoss: Set<string> | undefined;

  constructor(options: LiveSharesOptions) {
    this.#files = options.files;
    this.#cache = options.cache;
    this.#index = options.index;
    this.#events = options.events;
    this.#quietMs = options.quietMs;
    this.#retryMs = options.retryMs;
    this.#watch = options.watch;
    this.#ignore = options.ignore ?? (() => false);
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    // The registry has the session again: what it missed meanwhile goes now.
    this.#events.on('connection-lost', () => {
      this.#sinceLoss = new Set();
    });
    this.#events.on('resumed', () => {
      this.#sinceLoss = undefined;
      this.retryNow();
    });
    this.#events.on('reconnected', () => this.#afterRestore());
  }

  /**
   * Watches a path just registered (`kind` as `register file` found it); resolves once the
   * watch is in place. Paths under it unregistered by hand before are wanted again.
   */
  async watchRoot(root: string, kind: 'file' | 'directory'): Promise<void> {
    if (this.#closed) return;
    for (const excluded of [...this.#excluded]) if (isAtOrUnder(excluded, root)) this.#excluded.delete(excluded);
    const known = this.#roots.get(root);
    if (known?.kind === kind) {
      await known.watch;
      return;
    }
    if (known !== undefined) void this.#dropRoot(root);
    const entry: Root = { kind, watch: undefined };
    this.#roots.set(root, entry);
    if (kind === 'directory') {
      // Roots under a folder root are watched by its watch.
      for (const [path, other] of this.#roots) {
        if (other === entry || !isAtOrUnder(path, root) || other.watch === undefined) continue;
        void closeWatch(other.watch);
        other.watch = undefined;
      }
    }
    if (this.#watch !== undefined && this.#folderAbove(root) === undefined) entry.watch = this.#startWatch(root, entry, this.#watch);
    await entry.watch;
  }

  /** Stops watching a root whose registration came to nothing (roots under it that it watched get their own watch back). */
  unwatchRoot(root: string): void {
    void this.#dropRoot(root);
    const watch = this.#watch;
    if (watch === undefined || this.#closed) return;
    for (const [path, entry] of this.#roots) {
      if (isAtOrUnder(path, root) && entry.watch === undefined && this.#folderAbove(path) === undefined) entry.watch = this.#startWatch(path, entry, watch);
    }
  }

  /** True when `path` was named to `register file` and is still watched for. */
  isRoot(path: string): boolean {
    return this.#roots.has(path);
  }

  /**
   * `path` (a file or a folder) was unregistered by hand: its roots and what waits for it go,
   * and when it lies in a registered folder, nothing that appears at it or under it is
   * registered any more (until it is registered again by hand).
   */
  forget(path: string): void {
    for (const root of [...this.#roots.keys()]) if (isAtOrUnder(root, path)) void this.#dropRoot(root);
    for (const excluded of [...this.#excluded]) if (isAtOrUnder(excluded, path)) this.#excluded.delete(excluded);
    if (this.#folderAbove(path) !== undefined) this.#excluded.add(path);
    for (const [waiting, timer] of [...this.#timers]) {
      if (!isAtOrUnder(waiting, path)) continue;
      this.#clock.clearTimeout(timer);
      this.#timers.delete(waiting);
    }
    // Additions and updates still owed go (the files are being taken out); removals still owed stay.
    for (const [waiting, sync] of [...this.#pending]) if (isAtOrUnder(waiting, path) && sync.action !== 'remove') this.#pending.delete(waiting);
  }

  /** Looks at `path` once it has been quiet (the FileService found it gone or changed). */
  nudge(path: string): void {
    this.#schedule(path);
  }

  /**
   * Runs `task` when nothing else is being done about `path` (changes of one path are made
   * one after the other, whoever makes them), and returns its result.
   */
  withPath<T>(path: string, task: () => Promise<T>): Promise<T> {
    const before = this.#locks.get(path) ?? Promise.resolve();
    const run = before.then(task);
    const done = run.then(
      () => undefined,
      () => undefined,
    );
    this.#locks.set(path, done);
    void done.then(() => {
      if (this.#locks.get(path) === done) this.#locks.delete(path);
    });
    return run;
  }

  /** `path`'s entry is being changed (by hand, or here): see #sinceLoss. */
  changing(path: string): void {
    this.#sinceLoss?.add(path);
  }

  /** Makes the registry calls still owed now (the session is back). */
  retryNow(): void {
    if (this.#closed) return;
    this.#clock.clearTimeout(this.#retry);
    this.#retry = undefined;
    for (const [path, sync] of [...this.#pending]) {
      this.#track(
        this.withPath(path, async () => {
          if (this.#pending.get(path) === sync) await this.#limited(() => this.#sync(sync));
        }),
      );
    }
  }

  /**
   * Stops watching anything and forgets every root and what was owed (the peer disconnected:
   * nothing is shared). Returns the watches' closing, for who wants to wait for it.
   */
  clear(): Promise<void>[] {
    this.#epoch++;
    this.#sinceLoss = undefined;
    const closing = [...this.#roots.keys()].map((root) => this.#dropRoot(root));
    this.#excluded.clear();
    for (const timer of this.#timers.values()) this.#clock.clearTimeout(timer);
    this.#timers.clear();
    this.#pending.clear();
    this.#clock.clearTimeout(this.#retry);
    this.#retry = undefined;
    return closing;
  }

  /** Stops everything and waits for what is running to end. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.clear());
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  /**
   * The session was registered again and every shared file registered from a list taken
   * before: the calls still owed are made, and each path changed meanwhile is made to match
   * the shared set again (registered when shared, unregistered when not), whichever call
   * reached the registry last.
   */
  #afterRestore(): void {
    const changed = this.#sinceLoss ?? new Set<string>();
    this.#sinceLoss = undefined;
    this.retryNow();
    for (const path of changed) {
      if (this.#pending.has(path)) continue;
      this.#track(
        this.withPath(path, () =>
          this.#limited(async () => {
            const file = this.#files.get(path);
            try {
              if (file === undefined) await this.#index.unregister(path).catch(unless(Reason.FILE_NOT_REGISTERED));
              else await this.#index.register(file).catch(unless(Reason.FILE_ALREADY_REGISTERED));
            } catch (error) {
              this.#logger.warn({ path, error: String(error) }, 'shared file not set right after the session was registered again');
            }
          }),
        ),
      );
    }
  }

  #startWatch(root: string, entry: Root, watch: WatchFunction): Promise<WatchHandle | undefined> {
    const told = new Set<string>();
    const started: Promise<WatchHandle | undefined> = watch(root, entry.kind, {
      change: (path) => this.#onChange(path),
      error: (detail) => {
        // Once per root and kind of failure (a full inotify table fails every folder after it).
        if (told.has(detail)) return;
        told.add(detail);
        this.#logger.warn({ path: root, detail }, 'watch failed');
        this.#events.emit({ type: 'watch-error', path: root, detail });
      },
    }).then(
      async (handle) => {
        // Dropped (or everything closed) while the watch was being set up.
        if (this.#closed || this.#roots.get(root) !== entry || entry.watch !== started) {
          await handle.close();
          return undefined;
        }
        return handle;
      },
      (error: unknown) => {
        const detail = error instanceof Error ? error.message : String(error);
        this.#logger.warn({ path: root, detail }, 'watch not started');
        this.#events.emit({ type: 'watch-error', path: root, detail });
        return undefined;
      },
    );
    return started;
  }

  /** Forgets a root and closes its watch; resolves once the watch is closed. */
  #dropRoot(root: string): Promise<void> {
    const entry = this.#roots.get(root);
    if (entry === undefined) return Promise.resolve();
    this.#roots.delete(root);
    return entry.watch === undefined ? Promise.resolve() : closeWatch(entry.watch);
  }

  /** The folder root strictly above `path`, the nearest one. */
  #folderAbove(path: string): string | undefined {
    for (let dir = dirname(path); ; dir = dirname(dir)) {
      if (dir !== path && this.#roots.get(dir)?.kind === 'directory') return dir;
      if (dir === dirname(dir)) return undefined;
    }
  }

  /**
   * Whether a file appearing at `path` is registered: it lies in a registered folder, and
   * the nearest of those folders and the paths unregistered by hand above it is a folder.
   */
  #wantsAppearance(path: string): boolean {
    if (this.#excluded.has(path) || this.#ignore(path)) return false;
    for (let dir = dirname(path); ; dir = dirname(dir)) {
      if (this.#excluded.has(dir)) return false;
      if (this.#roots.get(dir)?.kind === 'directory') return true;
      if (dir === dirname(dir)) return false;
    }
  }

  #onChange(path: string): void {
    if (this.#closed) return;
    this.#schedule(path);
    // A folder that went or came (moved away, replaced): every registered file under it too.
    for (const file of this.#files.under(path)) if (file.path !== path) this.#schedule(file.path);
  }

  /** Looks at `path` after `quietMs` without news of it (a later call starts the wait again). */
  #schedule(path: string): void {
    if (this.#closed || (this.#files.get(path) === undefined && !this.#wantsAppearance(path))) return;
    const waiting = this.#timers.get(path);
    if (waiting !== undefined) {
      waiting.refresh();
      return;
    }
    const timer = this.#clock.setTimeout(() => {
      this.#timers.delete(path);
      this.#track(this.withPath(path, () => this.#limited(() => this.#reconcile(path))));
    }, this.#quietMs);
    timer.unref();
    this.#timers.set(path, timer);
  }

  /** Brings one path in line (see the class comment). */
  async #reconcile(path: string): Promise<void> {
    if (this.#closed) return;
    const epoch = this.#epoch;
    const registered = this.#files.get(path);
    if (registered === undefined && !this.#wantsAppearance(path)) return;
    const seen = unshareable(await lstat(path));
    if (this.#closed || this.#epoch !== epoch || this.#files.get(path) !== registered) return;
    if (registered !== undefined && seen.cause !== undefined) {
      await this.#remove(registered, seen.cause);
      // Replaced by a folder: what is in it may be wanted.
      if (seen.folder && this.#wantsAppearance(path)) await this.#appearedFolder(path);
      return;
    }
    if (seen.folder) return this.#appearedFolder(path);
    if (seen.cause !== undefined) return;
    if (registered !== undefined && sameIdentity(identityOf(seen.stats), registered.identity)) return;

    const hashed = await this.#hash(path);
    if (this.#closed || this.#epoch !== epoch || this.#files.get(path) !== registered) return;
    if (hashed === 'again') return this.#schedule(path);
    if (typeof hashed === 'string') return registered === undefined ? undefined : this.#remove(registered, hashed);
    if (registered === undefined) {
      if (!this.#wantsAppearance(path)) return;
      this.#files.add(hashed);
      return this.#sync({ action: 'add', file: hashed });
    }
    if (hashed.sha256 === registered.sha256) {
      // Touched, or written with the same bytes: still the registered content.
      this.#files.updateIdentity(path, hashed.identity);
      return;
    }
    this.#files.add(hashed);
    return this.#sync({ action: 'update', file: hashed, previous: registered });
  }

  /**
   * A folder appeared in a registered folder (made, or moved in with its files, which no
   * watch reports one by one): each regular file in it is looked at, by the rules of
   * `register file` for a folder.
   */
  async #appearedFolder(path: string): Promise<void> {
    let found;
    try {
      found = await scanPath(path);
    } catch {
      return; // gone again, or unreadable: nothing to register
    }
    if (found.root !== path) return; // not the folder it seemed (a symbolic link swapped in)
    for (const file of found.files) this.#schedule(file.path);
  }

  /**
   * Hashes the file at `path` (the hash cache may answer): the file, why it cannot be
   * shared, or `again` when it changed while being hashed (still being written).
   */
  async #hash(path: string): Promise<HashedLocalFile | ShareRemovedCause | 'again'> {
    let hashed: HashedLocalFile;
    try {
      hashed = await hashLocalFile(path, this.#cache);
    } catch (error) {
      if (isPeerError(error, PeerErrorCode.FILE_CHANGED)) return 'again';
      if (isPeerError(error, PeerErrorCode.PATH_NOT_FOUND)) return 'deleted';
      if (isPeerError(error, PeerErrorCode.NOT_A_FILE)) return 'not-a-file';
      if (isPeerError(error, PeerErrorCode.PATH_UNREADABLE)) return 'unreadable';
      throw error;
    }
    // Replaced (renamed over) while being hashed: what is there now is another file.
    const now = await lstat(path);
    if (now === undefined || !now.isFile() || !sameIdentity(identityOf(now), hashed.identity)) return 'again';
    return hashed;
  }

  async #remove(file: LocalFile, cause: ShareRemovedCause): Promise<void> {
    this.#files.delete(file.path);
    if (this.#roots.get(file.path)?.kind === 'file') void this.#dropRoot(file.path);
    return this.#sync({ action: 'remove', file, cause });
  }

  /** Makes one change in the index; on success, tells. */
  async #sync(sync: Sync): Promise<void> {
    const { file } = sync;
    const epoch = this.#epoch;
    this.changing(file.path);
    try {
      if (sync.action === 'remove') await this.#index.unregister(file.path).catch(unless(Reason.FILE_NOT_REGISTERED));
      else await this.#index.register(file).catch(unless(Reason.FILE_ALREADY_REGISTERED));
    } catch (error) {
      if (this.#closed || this.#epoch !== epoch) return;
      if (passing(error, sync)) {
        this.#logger.info({ path: file.path, action: sync.action, error: String(error) }, 'index not updated yet; will try again');
        this.#pending.set(file.path, sync);
        this.#retryLater();
        return;
      }
      this.#pending.delete(file.path);
      // Not in the index: not served either, nor registered again after a reconnect.
      if (sync.action !== 'remove' && this.#files.get(file.path) === file) this.#files.delete(file.path);
      this.#logger.warn({ path: file.path, action: sync.action, error: String(error) }, 'index not updated');
      this.#events.emit({ type: 'share-failed', path: file.path, action: sync.action, error });
      return;
    }
    if (this.#epoch !== epoch) return;
    this.#pending.delete(file.path);
    const { path, name, sha256, size } = file;
    switch (sync.action) {
      case 'remove':
        this.#events.emit({ type: 'share-removed', path, name, sha256, size, cause: sync.cause });
        return;
      case 'add':
        this.#events.emit({ type: 'share-added', path, name, sha256, size, cause: 'appeared' });
        return;
      case 'update':
        this.#events.emit({ type: 'share-updated', path, name, sha256, size, previousSha256: sync.previous.sha256, cause: 'changed' });
        return;
    }
  }

  #retryLater(): void {
    if (this.#retry !== undefined || this.#closed) return;
    this.#retry = this.#clock.setTimeout(() => {
      this.#retry = undefined;
      this.retryNow();
    }, this.#retryMs);
    this.#retry.unref();
  }

  /** Runs `task` when fewer than RECONCILE_CONCURRENCY others run. */
  async #limited<T>(task: () => Promise<T>): Promise<T> {
    while (this.#running >= RECONCILE_CONCURRENCY) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#running++;
    try {
      return await task();
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
    }
  }

  /** Keeps a reconcile's promise until it settles (close waits for them); logs what it threw. */
  #track(work: Promise<void>): void {
    const tracked = work
      .catch((error: unknown) => this.#logger.error({ error: String(error) }, 'shared file not brought in line'))
      .finally(() => this.#inFlight.delete(tracked));
    this.#inFlight.add(tracked);
  }
}

/** `path` is `base` or lies under it. */
function isAtOrUnder(path: string, base: string): boolean {
  return path === base || path.startsWith(base.endsWith('/') ? base : `${base}/`);
}

/** Closes a watch once it is in place; never rejects. */
function closeWatch(watch: Promise<WatchHandle | undefined>): Promise<void> {
  return watch.then((handle) => handle?.close()).catch(() => undefined);
}

async function lstat(path: string): Promise<BigIntStats | undefined> {
  try {
    return await fsp.lstat(path, { bigint: true });
  } catch {
    return undefined;
  }
}

/** Why what `lstat` found cannot be shared, if it cannot (as the FileService would refuse it). */
function unshareable(
  stats: BigIntStats | undefined,
): { cause: ShareRemovedCause; folder: boolean; stats?: undefined } | { cause: undefined; folder: false; stats: BigIntStats } {
  if (stats === undefined) return { cause: 'deleted', folder: false };
  if (!stats.isFile()) return { cause: 'not-a-file', folder: stats.isDirectory() };
  if ((stats.mode & 0o444n) === 0n) return { cause: 'unreadable', folder: false };
  return { cause: undefined, folder: false, stats };
}

/** A catch handler that takes `reason` as success (the index already is as wanted). */
function unless(reason: Reason): (error: unknown) => void {
  return (error) => {
    if (!(error instanceof KompartError && error.reason === reason)) throw error;
  };
}

/** Failures that pass: the call is made again later. */
function passing(error: unknown, sync: Sync): boolean {
  if (isPeerError(error, PeerErrorCode.REGISTRY_UNREACHABLE, PeerErrorCode.NOT_RUNNING)) return true;
  if (!(error instanceof KompartError)) return false;
  switch (error.reason) {
    case Reason.STORE_UNAVAILABLE:
    case Reason.SHUTTING_DOWN:
    case Reason.SESSION_INVALID:
    case Reason.PEER_NOT_REGISTERED:
      return true;
    case Reason.LIMIT_EXCEEDED:
      // A new file past the registry's limit of files stays out; otherwise it is the rate limit.
      return sync.action !== 'add';
    default:
      return false;
  }
}

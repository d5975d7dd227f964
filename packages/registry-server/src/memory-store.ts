import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '@kompart/core';
import { MinuteBuckets } from './rate-limiter.js';
import type {
  AddFileResult,
  Beat,
  ClusterIdentity,
  FileRecord,
  LeaveCause,
  ListFilter,
  ListPage,
  ListedFile,
  PeerRecord,
  RegistryStore,
  SessionSource,
  StoreEvent,
} from './store.js';

/**
 * A stored file. A class, so that every record has the same hidden class and its fields
 * sit in the object in a fixed order: a spread (`{ ...file, seq }`) made dictionary-mode
 * objects twice the size and many times slower to read when a page is encoded.
 */
class StoredFile implements ListedFile {
  readonly peer: string;
  readonly path: string;
  readonly name: string;
  readonly sha256: string;
  readonly size: number;
  /** Position in registration order (1, 2, …); listing cursors are these numbers. */
  readonly seq: number;
  readonly pieceSize: number | undefined;
  readonly piecesRoot: string | undefined;

  constructor(file: FileRecord, seq: number) {
    this.peer = file.peer;
    this.path = file.path;
    this.name = file.name;
    this.sha256 = file.sha256;
    this.size = file.size;
    this.seq = seq;
    this.pieceSize = file.pieceSize;
    this.piecesRoot = file.piecesRoot;
  }
}

interface PeerSlot {
  readonly record: PeerRecord;
  /** When the session expires, ms on the store's clock. */
  deadline: number;
  /** The heartbeat stream that holds the session and its attempt (see RegistryStore.claimSession). */
  stream?: string;
  attempt?: number;
  /** The source it counts against (SessionSource.key), when it was opened with one. */
  readonly source: string | undefined;
  readonly byPath: Map<string, StoredFile>;
  /** By base name: the file itself while it is the only one with that name (most are), else an array. */
  readonly byName: Map<string, StoredFile | StoredFile[]>;
}

/** A presence deadline in the heap; stale once the slot's deadline moved on or the slot is gone. */
interface Deadline {
  readonly at: number;
  readonly slot: PeerSlot;
}

/** Events kept for readers that resume from an id (a reader is never more than a few behind). */
const LOG_KEEP = 10_000;

export interface MemoryStoreOptions {
  /** The store's clock: registration times and presence deadlines (default: the system clock). */
  readonly clock?: Clock;
  /** This replica's id on the events it logs (default: random). */
  readonly origin?: string;
}

/**
 * The default store: everything in this process's memory, for one registry process.
 *
 * Listing order is kept in one append-only array of files with their sequence numbers;
 * removing a file leaves a hole that a later compaction (when holes exceed half the array)
 * squeezes out. A cursor is a sequence number, found again by binary search, so a page
 * costs O(log n + page) whatever was added or removed in between; a file's place in the
 * array is found the same way from its own sequence number.
 *
 * Presence deadlines sit in a binary min-heap; a beat pushes a new entry and leaves the
 * old one to be dropped as stale when it comes up, so a beat is O(log n) and a sweep pops
 * only what is due. The event log is an array of the last LOG_KEEP events; readers wait
 * on it without polling.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): RegistryStore {
  const clock = options.clock ?? systemClock;
  const origin = options.origin ?? randomBytes(4).toString('hex');
  const peers = new Map<string, PeerSlot>();
  const byToken = new Map<string, PeerSlot>();
  const order: (StoredFile | undefined)[] = [];
  const orderSeq: number[] = [];
  const heap: Deadline[] = [];
  /** Every online file by hash (for `holders`). */
  const byHash = new Map<string, Set<StoredFile>>();
  const index = (file: StoredFile): void => {
    let same = byHash.get(file.sha256);
    if (same === undefined) byHash.set(file.sha256, (same = new Set()));
    same.add(file);
  };
  const unindex = (file: StoredFile): void => {
    const same = byHash.get(file.sha256);
    same?.delete(file);
    if (same?.size === 0) byHash.delete(file.sha256);
  };
  /** Sessions online per source (SessionSource.key). */
  const bySource = new Map<string, number>();
  const registrations = new MinuteBuckets(clock);
  const log: StoreEvent[] = [];
  let logged = 0;
  const readers = new Set<() => void>();
  let identity: ClusterIdentity | undefined;
  let holes = 0;
  let nextSeq = 1;
  let fileCount = 0;

  const append = (event: DistributiveOmit<StoreEvent, 'id' | 'origin' | 'at'>): void => {
    logged += 1;
    log.push({ ...event, id: String(logged), origin, at: clock.now() });
    if (log.length > LOG_KEEP * 2) log.splice(0, log.length - LOG_KEEP);
    for (const wake of [...readers]) wake();
  };

  const compact = (): void => {
    let write = 0;
    for (let read = 0; read < order.length; read++) {
      const file = order[read];
      if (file === undefined) continue;
      order[write] = file;
      orderSeq[write] = orderSeq[read]!;
      write++;
    }
    order.length = write;
    orderSeq.length = write;
    holes = 0;
  };

  /** Index of the first entry whose seq is greater than `after`. */
  const firstAfter = (after: number): number => {
    let low = 0;
    let high = orderSeq.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (orderSeq[mid]! <= after) low = mid + 1;
      else high = mid;
    }
    return low;
  };

  /** Where a stored file sits in `order`. */
  const positionOf = (file: StoredFile): number => firstAfter(file.seq - 1);

  const matches = (file: StoredFile, filter: ListFilter): boolean =>
    (filter.holder === '' || file.peer === filter.holder) &&
    (filter.sha256Prefix === '' || file.sha256.startsWith(filter.sha256Prefix)) &&
    (filter.nameContains === '' || file.name.toLowerCase().includes(filter.nameContains));

  const pushDeadline = (entry: Deadline): void => {
    heap.push(entry);
    let at = heap.length - 1;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (heap[parent]!.at <= heap[at]!.at) break;
      [heap[parent], heap[at]] = [heap[at]!, heap[parent]!];
      at = parent;
    }
  };

  const popDeadline = (): Deadline | undefined => {
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    heap[0] = last;
    let at = 0;
    for (;;) {
      const left = at * 2 + 1;
      const right = left + 1;
      let least = at;
      if (left < heap.length && heap[left]!.at < heap[least]!.at) least = left;
      if (right < heap.length && heap[right]!.at < heap[least]!.at) least = right;
      if (least === at) break;
      [heap[least], heap[at]] = [heap[at]!, heap[least]!];
      at = least;
    }
    return top;
  };

  /** Removes a session and its files; returns how many files left. */
  const drop = (slot: PeerSlot): number => {
    peers.delete(slot.record.id);
    byToken.delete(slot.record.token);
    if (slot.source !== undefined) {
      const left = (bySource.get(slot.source) ?? 1) - 1;
      if (left > 0) bySource.set(slot.source, left);
      else bySource.delete(slot.source);
    }
    for (const file of slot.byPath.values()) {
      unindex(file);
      order[positionOf(file)] = undefined;
      holes++;
    }
    fileCount -= slot.byPath.size;
    if (holes > 1024 && holes * 2 > order.length) compact();
    return slot.byPath.size;
  };

  const current = (peer: string, token: string): PeerSlot | undefined => {
    const slot = peers.get(peer);
    return slot !== undefined && slot.record.token === token ? slot : undefined;
  };

  const availability: ((available: boolean) => void)[] = [];

  /* eslint-disable @typescript-eslint/require-await -- the RegistryStore contract is asynchronous (the Redis store's is): these methods
     are async with nothing to await so that they keep its semantics (a throw is a rejection, a result arrives as a promise). */
  return {
    name: 'memory',
    beatBatchMs: 0,
    origin,
    available: true,
    onAvailability(listener) {
      availability.push(listener);
    },

    async identity(fresh) {
      // Each part is the first ever made, as with the Redis store's HSETNX.
      const made = await fresh();
      identity ??= made;
      if (identity.tlsIdentity === undefined && made.tlsIdentity !== undefined) identity = { ...identity, tlsIdentity: made.tlsIdentity };
      return identity;
    },

    async openSession(session, expiryMs, maxPeers = 0, source?: SessionSource) {
      if (peers.has(session.id)) return 'taken';
      if (maxPeers > 0 && peers.size >= maxPeers) return 'full';
      const held = source === undefined ? 0 : (bySource.get(source.key) ?? 0);
      if (source !== undefined && source.max > 0 && held >= source.max) return 'source-full';
      const slot: PeerSlot = { record: session, deadline: clock.now() + expiryMs, source: source?.key, byPath: new Map(), byName: new Map() };
      if (source !== undefined) bySource.set(source.key, held + 1);
      peers.set(session.id, slot);
      byToken.set(session.token, slot);
      pushDeadline({ at: slot.deadline, slot });
      append({ type: 'peer-joined', peer: session.id, token: session.token });
      return 'opened';
    },

    async admitRegistration(source, perMinute) {
      return registrations.take(source, perMinute);
    },

    async session(peer) {
      return peers.get(peer)?.record;
    },

    async claimSession(token, stream, attempt = 0) {
      const slot = byToken.get(token);
      if (slot === undefined) return undefined;
      if (attempt > 0 && attempt <= (slot.attempt ?? 0)) return undefined;
      slot.stream = stream;
      slot.attempt = attempt;
      return slot.record;
    },

    async beat(beats: readonly Beat[], expiryMs) {
      const deadline = clock.now() + expiryMs;
      return beats.map((beat) => {
        const slot = current(beat.peer, beat.token);
        if (slot === undefined) return false;
        if (deadline > slot.deadline) {
          slot.deadline = deadline;
          pushDeadline({ at: deadline, slot });
        }
        return true;
      });
    },

    async closeSession(peer, token, cause: LeaveCause, stream?: string) {
      const slot = current(peer, token);
      if (slot === undefined || (stream !== undefined && slot.stream !== stream)) return undefined;
      const files = drop(slot);
      append({ type: 'peer-left', peer, token, files, cause });
      return files;
    },

    async sweep(limit) {
      const now = clock.now();
      let expired = 0;
      while (expired < limit && heap.length > 0 && heap[0]!.at <= now) {
        const { at, slot } = popDeadline()!;
        // Stale: the session beat since (a later entry is in the heap) or is gone.
        if (at !== slot.deadline || peers.get(slot.record.id) !== slot) continue;
        const files = drop(slot);
        append({ type: 'peer-expired', peer: slot.record.id, token: slot.record.token, files });
        expired++;
      }
      return expired;
    },

    async addFile(file, maxFiles, maxTotalFiles = 0): Promise<AddFileResult> {
      const slot = peers.get(file.peer);
      if (slot === undefined) return 'no-peer';
      const previous = slot.byPath.get(file.path);
      if (previous !== undefined) {
        if (
          previous.sha256 === file.sha256 &&
          previous.size === file.size &&
          previous.pieceSize === file.pieceSize &&
          previous.piecesRoot === file.piecesRoot
        ) {
          return 'exists';
        }
        const updated = new StoredFile(file, previous.seq);
        unindex(previous);
        index(updated);
        order[positionOf(previous)] = updated;
        slot.byPath.set(file.path, updated);
        const sameName = slot.byName.get(file.name)!;
        if (Array.isArray(sameName)) sameName[sameName.indexOf(previous)] = updated;
        else slot.byName.set(file.name, updated);
        append({ type: 'file-registered', file: updated, replaced: true });
        return 'replaced';
      }
      if (slot.byPath.size >= maxFiles) return 'limit';
      if (maxTotalFiles > 0 && fileCount >= maxTotalFiles) return 'full';
      const stored = new StoredFile(file, nextSeq++);
      slot.byPath.set(stored.path, stored);
      const sameName = slot.byName.get(stored.name);
      if (sameName === undefined) slot.byName.set(stored.name, stored);
      else if (Array.isArray(sameName)) sameName.push(stored);
      else slot.byName.set(stored.name, [sameName, stored]);
      index(stored);
      order.push(stored);
      orderSeq.push(stored.seq);
      fileCount++;
      append({ type: 'file-registered', file: stored, replaced: false });
      return 'added';
    },

    async removeFile(peer, path) {
      const slot = peers.get(peer);
      const file = slot?.byPath.get(path);
      if (slot === undefined || file === undefined) return undefined;
      slot.byPath.delete(path);
      unindex(file);
      const sameName = slot.byName.get(file.name);
      if (Array.isArray(sameName)) {
        sameName.splice(sameName.indexOf(file), 1);
        if (sameName.length === 1) slot.byName.set(file.name, sameName[0]!);
      } else {
        slot.byName.delete(file.name);
      }
      order[positionOf(file)] = undefined;
      holes++;
      fileCount--;
      if (holes > 1024 && holes * 2 > order.length) compact();
      append({ type: 'file-unregistered', file });
      return file;
    },

    async fileByPath(peer, path) {
      return peers.get(peer)?.byPath.get(path);
    },

    async filesByName(peer, name) {
      const found = peers.get(peer)?.byName.get(name);
      return found === undefined ? [] : Array.isArray(found) ? found : [found];
    },

    async filesByHashPrefix(peer, prefix) {
      const slot = peers.get(peer);
      if (slot === undefined) return [];
      const found: StoredFile[] = [];
      for (const file of slot.byPath.values()) if (file.sha256.startsWith(prefix)) found.push(file);
      return found;
    },

    async holders(prefix, limit) {
      const sets =
        prefix.length === 64 ? [byHash.get(prefix) ?? new Set<StoredFile>()] : [...byHash].filter(([hash]) => hash.startsWith(prefix)).map(([, set]) => set);
      const found = sets
        .map((set) => [...set].sort((x, y) => x.seq - y.seq))
        .sort((x, y) => (x[0]!.sha256 < y[0]!.sha256 ? -1 : 1))
        .flat();
      return found.slice(0, limit);
    },

    async list(after, limit, filter, scanBudget): Promise<ListPage> {
      const files: StoredFile[] = [];
      let index = firstAfter(after);
      let scanned = 0;
      let lastSeq = after;
      for (; index < order.length && files.length < limit && scanned < scanBudget; index++, scanned++) {
        const file = order[index];
        lastSeq = orderSeq[index]!;
        if (file !== undefined && matches(file, filter)) files.push(file);
      }
      // Skip trailing holes so that "no next page" is reported as soon as it is true.
      while (index < order.length && order[index] === undefined) index++;
      return { files, next: index < order.length ? lastSeq : undefined };
    },

    async counts() {
      return { peers: peers.size, files: fileCount };
    },

    async logPosition() {
      return String(logged);
    },

    async *events(after, signal) {
      let position = Number(after);
      while (!signal.aborted) {
        const first = logged - log.length;
        if (position < logged) {
          const event = log[Math.max(0, position - first)]!;
          position = Number(event.id);
          yield event;
          continue;
        }
        await new Promise<void>((resolve) => {
          const wake = (): void => {
            readers.delete(wake);
            signal.removeEventListener('abort', wake);
            resolve();
          };
          readers.add(wake);
          signal.addEventListener('abort', wake, { once: true });
        });
      }
    },

    async close() {
      for (const wake of [...readers]) wake();
    },
  };
  /* eslint-enable @typescript-eslint/require-await */
}

/** Omit over each member of a union. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

import { EntryLog, type EntrySpan } from './entry-log.js';
import { encodeListFilesResponse } from './list-files-encoding.js';
import type { AddFileResult, FileRecord, ListFilter, ListPage, PeerRecord, RegistryStore } from './store.js';

/**
 * A stored file. A class, so that every record has the same hidden class and its fields
 * sit in the object in a fixed order: a spread (`{ ...file, seq }`) made dictionary-mode
 * objects twice the size and many times slower to read when a page is encoded.
 */
class StoredFile implements FileRecord, EntrySpan {
  readonly peer: string;
  readonly path: string;
  readonly name: string;
  readonly sha256: string;
  readonly size: number;
  /** Position in registration order (1, 2, …); listing cursors are these numbers. */
  readonly seq: number;
  /** Where the file's encoded listing entry is in the store's EntryLog. */
  chunk = 0;
  offset = 0;
  length = 0;

  constructor(file: FileRecord, seq: number) {
    this.peer = file.peer;
    this.path = file.path;
    this.name = file.name;
    this.sha256 = file.sha256;
    this.size = file.size;
    this.seq = seq;
  }
}

/** A file's entry as a ListFilesResponse `files` field: tag, length, SharedFile. */
const encodeEntry = (file: FileRecord): Buffer =>
  encodeListFilesResponse({ files: [{ peer: file.peer, path: file.path, name: file.name, sha256: file.sha256, size: file.size }], nextPageToken: '' });

interface PeerSlot {
  readonly record: PeerRecord;
  readonly byPath: Map<string, StoredFile>;
  /** By base name: the file itself while it is the only one with that name (most are), else an array. */
  readonly byName: Map<string, StoredFile | StoredFile[]>;
}

/**
 * The default store: everything in this process's memory.
 *
 * Listing order is kept in one append-only array of files with their sequence numbers;
 * removing a file leaves a hole that a later compaction (when holes exceed half the array)
 * squeezes out. A cursor is a sequence number, found again by binary search, so a page
 * costs O(log n + page) whatever was added or removed in between; a file's place in the
 * array is found the same way from its own sequence number.
 *
 * Each file's listing entry is also kept encoded, as ListFilesResponse sends it, in an
 * EntryLog in registration order (about 140 bytes a file), so that a page is a few large
 * copies rather than the encoding of every entry again (ListPage.encoded). The log is
 * rewritten in listing order when dropped entries outweigh live ones.
 */
export function createMemoryStore(options: { readonly entryChunkBytes?: number } = {}): RegistryStore {
  const newLog = (): EntryLog => new EntryLog(options.entryChunkBytes);
  const peers = new Map<string, PeerSlot>();
  const order: (StoredFile | undefined)[] = [];
  const orderSeq: number[] = [];
  let log = newLog();
  let holes = 0;
  let nextSeq = 1;
  let fileCount = 0;

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

  /** Rewrites the live entries, in listing order, into a fresh log. */
  const rewriteLog = (): void => {
    const fresh = newLog();
    for (const file of order) if (file !== undefined) fresh.append(log.view(file), file);
    log = fresh;
  };

  const tidy = (): void => {
    if (holes > 1024 && holes * 2 > order.length) compact();
    if (log.wasteful) rewriteLog();
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

  return {
    async addPeer(peer) {
      if (peers.has(peer.id)) return false;
      peers.set(peer.id, { record: peer, byPath: new Map(), byName: new Map() });
      return true;
    },

    async getPeer(id) {
      return peers.get(id)?.record;
    },

    async removePeer(id, token) {
      const slot = peers.get(id);
      if (slot === undefined || slot.record.token !== token) return undefined;
      peers.delete(id);
      for (const file of slot.byPath.values()) {
        order[positionOf(file)] = undefined;
        log.drop(file);
        holes++;
      }
      fileCount -= slot.byPath.size;
      tidy();
      return slot.byPath.size;
    },

    async addFile(file, maxFiles): Promise<AddFileResult> {
      const slot = peers.get(file.peer);
      if (slot === undefined) return 'no-peer';
      const previous = slot.byPath.get(file.path);
      if (previous !== undefined) {
        if (previous.sha256 === file.sha256 && previous.size === file.size) return 'exists';
        const updated = new StoredFile(file, previous.seq);
        log.append(encodeEntry(updated), updated);
        log.drop(previous);
        order[positionOf(previous)] = updated;
        slot.byPath.set(file.path, updated);
        const sameName = slot.byName.get(file.name)!;
        if (Array.isArray(sameName)) sameName[sameName.indexOf(previous)] = updated;
        else slot.byName.set(file.name, updated);
        tidy();
        return 'replaced';
      }
      if (slot.byPath.size >= maxFiles) return 'limit';
      const stored = new StoredFile(file, nextSeq++);
      log.append(encodeEntry(stored), stored);
      slot.byPath.set(stored.path, stored);
      const sameName = slot.byName.get(stored.name);
      if (sameName === undefined) slot.byName.set(stored.name, stored);
      else if (Array.isArray(sameName)) sameName.push(stored);
      else slot.byName.set(stored.name, [sameName, stored]);
      order.push(stored);
      orderSeq.push(stored.seq);
      fileCount++;
      return 'added';
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
      return { files, next: index < order.length ? lastSeq : undefined, encoded: log.views(files) };
    },

    async counts() {
      return { peers: peers.size, files: fileCount };
    },

    async peerIds() {
      return [...peers.keys()];
    },
  };
}

import { EntryLog, type EntrySpan } from './entry-log.js';
import { encodeListFilesResponse } from './list-files-encoding.js';
import type { ListedFile } from './store.js';

/** One file's encoded listing entry, and the content it was encoded from. */
class CachedEntry implements EntrySpan {
  chunk = 0;
  offset = 0;
  length = 0;

  constructor(
    readonly seq: number,
    readonly peer: string,
    readonly sha256: string,
    readonly size: number,
  ) {}
}

/** A file's entry as a ListFilesResponse `files` field: tag, length, SharedFile. */
const encodeEntry = (file: ListedFile): Buffer =>
  encodeListFilesResponse({ files: [{ peer: file.peer, path: file.path, name: file.name, sha256: file.sha256, size: file.size }], nextPageToken: '' });

/**
 * The service layer's cache of encoded ListFiles entries (about 140 bytes a file), so
 * that a page is a few large copies rather than the encoding of every entry again: the
 * store hands out plain records, this turns a page of them into the views that
 * `withEncodedFiles` attaches to the response.
 *
 * An entry is known by the file's `seq`, which no other file ever takes, and is checked
 * against the record's hash and size (the only fields that change under one seq), so a
 * stale entry is never sent whatever this replica has heard. Entries of peers that left and
 * of files that were unregistered are dropped (`forgetPeer`, `forgetFile`, from the event log); the log is rewritten in listing order when
 * dropped entries outweigh live ones.
 */
export class ListingCache {
  readonly #chunkBytes: number | undefined;
  #log: EntryLog;
  readonly #bySeq = new Map<number, CachedEntry>();
  readonly #byPeer = new Map<string, Set<CachedEntry>>();

  constructor(options: { readonly chunkBytes?: number } = {}) {
    this.#chunkBytes = options.chunkBytes;
    this.#log = new EntryLog(this.#chunkBytes);
  }

  /** Entries cached (for tests and figures). */
  get size(): number {
    return this.#bySeq.size;
  }

  /** The encoded entries of `files`, in order, adjacent ones merged into one view each. */
  views(files: readonly ListedFile[]): Buffer[] {
    const spans: CachedEntry[] = new Array<CachedEntry>(files.length);
    for (let i = 0; i < files.length; i++) spans[i] = this.#entry(files[i]!);
    return this.#log.views(spans);
  }

  /** Drops the entry of a file that left the index (the store never lists its `seq` again). */
  forgetFile(seq: number): void {
    const entry = this.#bySeq.get(seq);
    if (entry === undefined) return;
    this.#bySeq.delete(seq);
    this.#byPeer.get(entry.peer)?.delete(entry);
    this.#log.drop(entry);
    if (this.#log.wasteful) this.#rewrite();
  }

  /** Drops the entries of a peer that left. */
  forgetPeer(peer: string): void {
    const entries = this.#byPeer.get(peer);
    if (entries === undefined) return;
    this.#byPeer.delete(peer);
    for (const entry of entries) {
      this.#bySeq.delete(entry.seq);
      this.#log.drop(entry);
    }
    if (this.#log.wasteful) this.#rewrite();
  }

  #entry(file: ListedFile): CachedEntry {
    const known = this.#bySeq.get(file.seq);
    if (known !== undefined && known.sha256 === file.sha256 && known.size === file.size) return known;
    const entry = new CachedEntry(file.seq, file.peer, file.sha256, file.size);
    this.#log.append(encodeEntry(file), entry);
    if (known !== undefined) {
      this.#log.drop(known);
      this.#byPeer.get(known.peer)?.delete(known);
    }
    this.#bySeq.set(file.seq, entry);
    let ofPeer = this.#byPeer.get(file.peer);
    if (ofPeer === undefined) this.#byPeer.set(file.peer, (ofPeer = new Set()));
    ofPeer.add(entry);
    return entry;
  }

  /** Rewrites the live entries, in listing order, into a fresh log. */
  #rewrite(): void {
    const fresh = new EntryLog(this.#chunkBytes);
    const live = [...this.#bySeq.values()].sort((a, b) => a.seq - b.seq);
    for (const entry of live) fresh.append(this.#log.view(entry), entry);
    this.#log = fresh;
  }
}

/**
 * The registry's state, behind a narrow asynchronous interface so that a shared store
 * (Redis, say) can replace the in-memory default when several registry replicas serve the
 * same index. Every method is atomic with respect to the others; every one is O(1) or
 * O(page) in the number of peers and files (the documented exception: hash-prefix and
 * base-name lookups scan the files of one holder at most).
 */

/** One online peer. */
export interface PeerRecord {
  /** Normalised address (`ip` or `ip:port`). */
  readonly id: string;
  /** Where its FileService is dialled, `host:port`. */
  readonly target: string;
  /** Session token issued at registration. */
  readonly token: string;
  /** Registration time, ms since the epoch. */
  readonly since: number;
}

/** One shared file. */
export interface FileRecord {
  readonly peer: string;
  readonly path: string;
  readonly name: string;
  readonly sha256: string;
  readonly size: number;
}

/** Filters of a listing; empty strings mean "no filter". */
export interface ListFilter {
  /** Lower-case text the base name must contain. */
  readonly nameContains: string;
  /** Lower-case hex prefix of the hash. */
  readonly sha256Prefix: string;
  /** Normalised holder address. */
  readonly holder: string;
}

export interface ListPage {
  readonly files: readonly FileRecord[];
  /** Cursor for the next page, undefined at the end. */
  readonly next: number | undefined;
  /**
   * Optional: the same files already encoded, as the `files` fields of a
   * ListFilesResponse (each: tag 1, length, SharedFile), in order; concatenated, these
   * views are exactly what encoding `files` would give. A store that keeps files encoded
   * (the memory store) returns them so that a page is copied rather than encoded. The
   * bytes behind the views never change afterwards.
   */
  readonly encoded?: readonly Uint8Array[];
}

/** `replaced`: the path was registered with other content, and now has the new hash and size. */
export type AddFileResult = 'added' | 'replaced' | 'exists' | 'no-peer' | 'limit';

export interface RegistryStore {
  /** Adds a peer unless its id is taken; returns false when taken. */
  addPeer(peer: PeerRecord): Promise<boolean>;
  getPeer(id: string): Promise<PeerRecord | undefined>;
  /**
   * Removes a peer and its files when `token` still names its session (a newer session of
   * the same address is left alone). Returns how many files left, undefined if nothing
   * was removed.
   */
  removePeer(id: string, token: string): Promise<number | undefined>;
  /**
   * Adds a file to an existing peer, unless the peer is at `maxFiles`. A path registered
   * again with the same hash is `exists`; with another hash (the file changed) the entry
   * is updated in place (`replaced`), keeping its place in the listing order.
   */
  addFile(file: FileRecord, maxFiles: number): Promise<AddFileResult>;
  /** The file a peer registered under exactly this path. */
  fileByPath(peer: string, path: string): Promise<FileRecord | undefined>;
  /** A peer's files whose base name is exactly `name`. */
  filesByName(peer: string, name: string): Promise<readonly FileRecord[]>;
  /** A peer's files whose hash starts with the lower-case hex `prefix`. */
  filesByHashPrefix(peer: string, prefix: string): Promise<readonly FileRecord[]>;
  /**
   * One page in registration order, from cursor `after` (0 for the start), at most
   * `limit` entries, looking at no more than `scanBudget` entries (so a selective filter
   * answers with a short page and a cursor rather than walking the whole index).
   */
  list(after: number, limit: number, filter: ListFilter, scanBudget: number): Promise<ListPage>;
  /** How many peers and files are online. */
  counts(): Promise<{ peers: number; files: number }>;
  /** Every peer id (for shutdown and summaries). */
  peerIds(): Promise<readonly string[]>;
}

/**
 * The registry's shared state, behind a narrow asynchronous interface: the sessions (token,
 * address, since), the files, the presence deadlines and the event log. Registry replicas
 * keep nothing else but what is per connection (their open Heartbeat streams) and caches,
 * so several of them on one shared store (RedisStore) are one registry, and the embedded
 * MemoryStore is that same registry in one process.
 *
 * Every method is atomic with respect to the others and returns plain records. Every
 * mutation logs its event in the same atomic step, so every replica, reading the log,
 * learns of every change exactly once and in order. Costs: O(1) or O(page) in the number
 * of peers and files, except removing a peer (O(its files)), hash-prefix and base-name
 * lookups (O(matches); the memory store's `holders` for a prefix shorter than a whole hash:
 * O(distinct hashes)) and removing one file (O(the peer's files of that base name)).
 *
 * One contract test suite (store-contract.ts) runs unchanged against every store.
 */

/** One online peer's session. */
export interface PeerRecord {
  /** Normalised address (`ip` or `ip:port`). */
  readonly id: string;
  /** Where its FileService is dialled, `host:port`. */
  readonly target: string;
  /** Session token issued at registration. */
  readonly token: string;
  /** Registration time, ms since the epoch (the store's clock). */
  readonly since: number;
  /**
   * SHA-256 of the certificate its FileService presents, 64 lower-case hex digits; '' when
   * it registered none (it serves in plaintext). See RegisterPeerRequest.certificate_sha256.
   */
  readonly certificate?: string;
}

/** One shared file. */
export interface FileRecord {
  readonly peer: string;
  readonly path: string;
  readonly name: string;
  readonly sha256: string;
  readonly size: number;
  /**
   * The piece size and root (64 lower-case hex digits) the holder registered
   * (RegisterFileRequest.piece_size, pieces_root); both absent when it sent none. Stores
   * keep them, and answer them from `holders` (other lookups may leave them out).
   */
  readonly pieceSize?: number | undefined;
  readonly piecesRoot?: string | undefined;
}

/** A file as a listing returns it: with its place in the registration order. */
export interface ListedFile extends FileRecord {
  /** Position in registration order (1, 2, …; kept when the file's content is updated). */
  readonly seq: number;
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
  readonly files: readonly ListedFile[];
  /** Cursor for the next page (a `seq`), undefined at the end. Valid on every replica. */
  readonly next: number | undefined;
}

/**
 * `replaced`: the path was registered with other content, and now has the new hash and size.
 * `limit`: the peer is at its files-per-peer limit; `full`: the whole index is at its limit.
 */
export type AddFileResult = 'added' | 'replaced' | 'exists' | 'no-peer' | 'limit' | 'full';

/**
 * `taken`: the address has a session; `full`: the registry holds as many sessions as it may;
 * `source-full`: the session's source has as many sessions online as it may.
 */
export type OpenSessionResult = 'opened' | 'taken' | 'full' | 'source-full';

/**
 * Where a RegisterPeer call came from, counted against a limit over every replica: `key` is
 * the source (its IP, or the /64 of an IPv6 one: see sourceKey), `max` the sessions online it
 * may hold (0: no limit, the session is still counted).
 */
export interface SessionSource {
  readonly key: string;
  readonly max: number;
}

/** Why a session ended before its expiry. */
export type LeaveCause = 'disconnect' | 'stream-closed';

/** What a replica knows of the registry it belongs to, the same on every replica. */
export interface ClusterIdentity {
  /** The registry's identity peers see (RegisterPeerResponse.registry_instance). */
  readonly instance: string;
  /** The Ed25519 private key that signs download tickets, PKCS#8 PEM. */
  readonly ticketKey: string;
  /**
   * The registry's self-signed TLS identity for `--tls auto` (private key and certificate,
   * PEM), so that every replica presents the one certificate peers pinned; made by the
   * first replica that wants it.
   */
  readonly tlsIdentity?: string | undefined;
}

/** An entry of the event log. `origin` names the replica that made the change. */
export type StoreEvent =
  | { readonly id: string; readonly origin: string; readonly at: number; readonly type: 'peer-joined'; readonly peer: string; readonly token: string }
  | {
      readonly id: string;
      readonly origin: string;
      readonly at: number;
      readonly type: 'peer-left';
      readonly peer: string;
      readonly token: string;
      readonly files: number;
      readonly cause: LeaveCause;
    }
  | {
      readonly id: string;
      readonly origin: string;
      readonly at: number;
      readonly type: 'peer-expired';
      readonly peer: string;
      readonly token: string;
      readonly files: number;
    }
  | {
      readonly id: string;
      readonly origin: string;
      readonly at: number;
      readonly type: 'file-registered';
      readonly file: FileRecord;
      readonly replaced: boolean;
    }
  | {
      readonly id: string;
      readonly origin: string;
      readonly at: number;
      readonly type: 'file-unregistered';
      /** The entry that left, with the `seq` it had. */
      readonly file: ListedFile;
    };

/** What a sweep needs to know of the registry's presence settings. */
export interface PresenceTiming {
  /** How long after its last beat a silent peer expires. */
  readonly expiryMs: number;
  /** A gap in sweeping longer than this is an outage (ten sweeps missed, at most one heartbeat interval). */
  readonly outageMs: number;
}

/** A session to keep alive (see RegistryStore.beat). */
export interface Beat {
  readonly peer: string;
  readonly token: string;
}

export interface RegistryStore {
  /** A name for logs: `memory`, `redis://host:port/db`. */
  readonly name: string;
  /** The replica this store object serves, stamped as `origin` on the events it logs. */
  readonly origin: string;
  /**
   * How long beats may wait to be sent to the store together, ms: 0 when a call costs so
   * little that the beats of one turn of the event loop make a batch (in memory); a few
   * milliseconds when every call is a round trip whose fixed cost dwarfs a beat's (Redis).
   */
  readonly beatBatchMs: number;
  /**
   * The registry's identity and ticket key: made by the first replica that asks, the same
   * for every replica after it (for as long as the store keeps its data).
   */
  identity(fresh: () => Promise<ClusterIdentity>): Promise<ClusterIdentity>;

  /**
   * Opens a session unless its address has one, `maxPeers` sessions are online (no limit
   * when absent or 0) or its `source` holds `source.max` of them, with a presence deadline
   * `expiryMs` from now on the store's clock; logs peer-joined. The checks and the opening
   * are one atomic step, over every replica. The session counts against its source until it
   * ends, however it ends (disconnect, closed stream, expiry), on whichever replica.
   */
  openSession(session: PeerRecord, expiryMs: number, maxPeers?: number, source?: SessionSource): Promise<OpenSessionResult>;
  /**
   * Takes one RegisterPeer call of `source` (a sourceKey) from its bucket of `perMinute`
   * calls, refilled over a minute, shared by every replica; false, taking nothing, when the
   * bucket is empty. In Redis a bucket is kept only until it is full again (a minute at
   * most); in memory, full buckets are dropped every few thousand calls (RateLimiter).
   */
  admitRegistration(source: string, perMinute: number): Promise<boolean>;
  /** The online session of an address. */
  session(peer: string): Promise<PeerRecord | undefined>;
  /**
   * The online session a token belongs to, now held by the heartbeat stream `stream` (an id
   * unique across replicas): a later claim, on this replica or another, takes it over.
   *
   * `attempt` is the peer's count of the streams it opened for the session (0 when it sends
   * none). A claim whose attempt is not above the one of the stream holding the session is
   * refused (undefined, the session left as it is): an open that the network delivered late,
   * of a stream the peer gave up on for a newer one (a replica cut off from the network
   * receives it when it is plugged back), must neither take the session over nor, when it
   * then closes, end it. A claim without an attempt always takes it over (clients that do
   * not count, such as grpcurl).
   */
  claimSession(token: string, stream: string, attempt?: number): Promise<PeerRecord | undefined>;
  /**
   * Moves the presence deadline of each session that is still online (same token) to
   * `expiryMs` from now. Returns, for each beat, whether its session is still online.
   */
  beat(beats: readonly Beat[], expiryMs: number): Promise<readonly boolean[]>;
  /**
   * Ends a session (when `token` still names it; a newer session of the address is left
   * alone) with all its files, and logs peer-left. With `stream`, only while that stream
   * holds the session (see claimSession): a stream the peer left for another replica, whose
   * close that replica hears late, ends nothing. The number of files removed, or undefined
   * when there was nothing to end.
   */
  closeSession(peer: string, token: string, cause: LeaveCause, stream?: string): Promise<number | undefined>;
  /**
   * Ends every session whose deadline has passed (at most `limit` of them), each with its
   * files, logging peer-expired. Any replica may call it at any time: each expiry happens
   * exactly once, whoever sweeps. Returns how many sessions expired.
   *
   * A store that may be unreachable for a while (Redis) does not count such an outage
   * against anyone: when nobody could sweep for longer than `presence.outageMs` (beats sent
   * meanwhile may have been lost), every deadline moves out by the outage and as much again,
   * at most `presence.expiryMs` more (see SWEEP in redis-scripts.ts).
   */
  sweep(limit: number, presence: PresenceTiming): Promise<number>;

  /**
   * Adds a file to an online peer, unless the peer is at `maxFiles` (`limit`) or the whole
   * index at `maxTotalFiles` (`full`; no limit when absent or 0), and logs file-registered.
   * A path registered again with the same hash is `exists`; with another hash (the file
   * changed), or with other piece fields, the entry is updated in place (`replaced`,
   * counted by neither limit), keeping its `seq`.
   */
  addFile(file: FileRecord, maxFiles: number, maxTotalFiles?: number): Promise<AddFileResult>;
  /**
   * Removes the file a peer registered under exactly this path, and logs file-unregistered.
   * Returns the entry that left (with its `seq`), or undefined when there was none (nothing
   * changes, nothing is logged).
   */
  removeFile(peer: string, path: string): Promise<ListedFile | undefined>;
  /** The file a peer registered under exactly this path. */
  fileByPath(peer: string, path: string): Promise<FileRecord | undefined>;
  /** A peer's files whose base name is exactly `name`, in registration order. */
  filesByName(peer: string, name: string): Promise<readonly FileRecord[]>;
  /** A peer's files whose hash starts with the lower-case hex `prefix`. */
  filesByHashPrefix(peer: string, prefix: string): Promise<readonly FileRecord[]>;
  /**
   * Every online peer's files whose hash starts with the lower-case hex `prefix` (a whole
   * hash, or a prefix of one), with their piece fields: ordered by hash, then registration
   * order; at most `limit`.
   */
  holders(prefix: string, limit: number): Promise<readonly FileRecord[]>;
  /**
   * One page in registration order, after cursor `after` (0 for the start), at most `limit`
   * entries, looking at no more than `scanBudget` entries (so a selective filter answers
   * with a short page and a cursor rather than walking the whole index).
   */
  list(after: number, limit: number, filter: ListFilter, scanBudget: number): Promise<ListPage>;
  /** How many peers and files are online. */
  counts(): Promise<{ readonly peers: number; readonly files: number }>;

  /** The id of the newest entry of the event log (`0` while it is empty): where a reader starts. */
  logPosition(): Promise<string>;
  /**
   * The event log after entry `after` (from logPosition, or the last event seen), in order,
   * until `signal` aborts. A reader that was cut off (the store was unreachable) goes on
   * from where it was: nothing is skipped while the log keeps the entries.
   */
  events(after: string, signal: AbortSignal): AsyncIterable<StoreEvent>;

  /** True while the store can be reached (the health service reports it). */
  readonly available: boolean;
  /** Called with every change of `available`. */
  onAvailability(listener: (available: boolean) => void): void;

  /** Lets go of the store (connections, timers). */
  close(): Promise<void>;
}

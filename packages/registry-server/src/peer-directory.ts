import { randomBytes, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { posix } from 'node:path';
import { KompartError, isHashReference, quoteInput, silentLogger, systemClock, type Clock, type Endpoint, type Logger, type TimerHandle } from '@kompart/core';
import { Reason } from '@kompart/protocol';
import { sourceKey } from './source-limits.js';
import type { Beat, FileRecord, ListFilter, ListPage, PeerRecord, PresenceTiming, RegistryStore, StoreEvent } from './store.js';

/** Something that happened in the index, on any replica, as the event log tells it. */
export type DirectoryEvent = StoreEvent & {
  /** True when this replica made the change (its own registrations, or an expiry it swept). */
  readonly local: boolean;
};

export interface DirectoryOptions {
  readonly store: RegistryStore;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatMisses: number;
  readonly maxFilesPerPeer: number;
  /** Online peers the whole registry holds at most (0: no limit); REGISTRY_PEERS_FULL beyond. */
  readonly maxPeers?: number;
  /** Files the whole registry holds at most (0: no limit); REGISTRY_FILES_FULL beyond. */
  readonly maxFiles?: number;
  /**
   * RegisterPeer calls one source (an IP, or an IPv6 /64: see sourceKey) may make a minute,
   * over every replica (0: no limit); REGISTRATION_RATE_EXCEEDED beyond.
   */
  readonly maxRegistrationsPerMinute?: number;
  /** Sessions opened from one source that may be online at once, over every replica (0: no limit); SESSIONS_PER_IP_EXCEEDED beyond. */
  readonly maxSessionsPerSource?: number;
  /** Time of the sweeps (default: the system clock); the store keeps its own time for deadlines. */
  readonly clock?: Clock;
  /** How often this replica sweeps for expired sessions, ms (default: a fiftieth of an interval, 10 to 100 ms). */
  readonly sweepIntervalMs?: number;
  readonly logger?: Logger;
}

/** A file registration, already validated. */
export interface NewFile {
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  readonly pieceSize?: number;
  readonly piecesRoot?: string;
}

/** Files looked at at most when answering LocateHolders (so a short prefix costs a bounded read). */
const HOLDERS_SCAN = 1000;

/**
 * How long after its last beat a silent peer is removed: `misses` intervals plus a grace
 * of a tenth of an interval, at most 500 ms (10.5 s with the defaults, 5 s and 2 misses).
 */
export function heartbeatExpiryMs(intervalMs: number, misses: number): number {
  return intervalMs * misses + Math.min(intervalMs / 10, 500);
}

/**
 * The longest gap in sweeping that is not an outage: ten sweeps missed (1 s with the defaults),
 * never more than one heartbeat interval. Every replica sweeps every `sweepIntervalMs`, so a
 * longer gap means nobody could reach the store (or every replica was down) and beats were
 * lost meanwhile. It must be well under an interval: a peer whose replica went away waits
 * out its reconnect backoff (0.5, 1, 2, 4 s…) before it beats again, and a gap of a few
 * seconds that did not count as an outage left it too little of its deadline to do so.
 */
export function outageThresholdMs(heartbeatIntervalMs: number, sweepIntervalMs: number): number {
  return Math.min(heartbeatIntervalMs, Math.max(1000, 10 * sweepIntervalMs));
}

/** Sessions expired per sweep at most (the rest wait for the next one). */
const SWEEP_LIMIT = 1000;

/**
 * The registry's domain: sessions, files and presence, over a RegistryStore. It knows
 * nothing of gRPC; the service layer validates requests, calls it and turns its
 * KompartErrors into statuses.
 *
 * Presence: every session has a deadline in the store, `heartbeatExpiryMs` after its last
 * beat: `heartbeatMisses` intervals plus a grace of a tenth of an interval (at most 500 ms)
 * for network jitter. Beats are passed on to the store in batches: those arriving in the
 * same turn of the event loop, or within the store's `beatBatchMs` (25 ms on Redis, so the
 * deadline it records is at most that much later than the beat). Every replica sweeps the
 * store every `sweepIntervalMs`, so a silent peer is removed within a sweep of its
 * deadline: 10.5-10.6 s after its last beat with the defaults, which leaves time for
 * telling the other peers within 2 intervals + 1 s.
 *
 * Everything that changes reaches every replica through the store's event log, which the
 * directory reads from the moment it starts and emits as DirectoryEvents.
 */
export class PeerDirectory extends EventEmitter<{ event: [DirectoryEvent] }> {
  readonly expiryMs: number;
  readonly store: RegistryStore;
  private readonly presence: PresenceTiming;
  private readonly maxFilesPerPeer: number;
  private readonly maxPeers: number;
  private readonly maxFiles: number;
  private readonly maxRegistrationsPerMinute: number;
  private readonly maxSessionsPerSource: number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly sweepIntervalMs: number;
  private readonly reading = new AbortController();
  private sweeper: TimerHandle | undefined;
  private sweeping = false;
  private pendingBeats = new Map<string, string>();
  private beatFlush: Promise<void> | undefined;
  /** Sends the pending beats now (close) instead of at the end of the store's batch window. */
  private releaseBeats: (() => void) | undefined;
  private beatTimer: TimerHandle | undefined;
  private readLoop: Promise<void> | undefined;

  constructor(options: DirectoryOptions) {
    super();
    this.store = options.store;
    this.maxFilesPerPeer = options.maxFilesPerPeer;
    this.maxPeers = options.maxPeers ?? 0;
    this.maxFiles = options.maxFiles ?? 0;
    this.maxRegistrationsPerMinute = options.maxRegistrationsPerMinute ?? 0;
    this.maxSessionsPerSource = options.maxSessionsPerSource ?? 0;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.expiryMs = heartbeatExpiryMs(options.heartbeatIntervalMs, options.heartbeatMisses);
    this.sweepIntervalMs = options.sweepIntervalMs ?? Math.min(100, Math.max(10, Math.round(options.heartbeatIntervalMs / 50)));
    this.presence = { expiryMs: this.expiryMs, outageMs: outageThresholdMs(options.heartbeatIntervalMs, this.sweepIntervalMs) };
  }

  /** Starts reading the event log (from its newest entry) and sweeping. */
  async start(): Promise<void> {
    if (this.readLoop !== undefined) return;
    const position = await this.store.logPosition();
    this.readLoop = this.readEvents(position);
    this.sweeper = this.clock.setInterval(() => void this.sweep(), this.sweepIntervalMs);
    this.sweeper.unref();
  }

  /**
   * Counts one RegisterPeer call from `ip` (the connection's), over every replica;
   * REGISTRATION_RATE_EXCEEDED beyond `maxRegistrationsPerMinute`.
   */
  async admitRegistration(ip: string): Promise<void> {
    if (this.maxRegistrationsPerMinute <= 0) return;
    if (!(await this.store.admitRegistration(sourceKey(ip), this.maxRegistrationsPerMinute))) {
      throw new KompartError(Reason.REGISTRATION_RATE_EXCEEDED, { ip, limit: String(this.maxRegistrationsPerMinute) });
    }
  }

  /**
   * Opens a session for an address, registered from `ip` (the connection's; counted against
   * no source when absent); ALREADY_EXISTS while one is online, REGISTRY_PEERS_FULL while the
   * registry holds `maxPeers` sessions, SESSIONS_PER_IP_EXCEEDED while `ip`'s source holds
   * `maxSessionsPerSource`.
   */
  async registerPeer(address: Endpoint, certificate = '', ip?: string): Promise<PeerRecord> {
    const peer = address.id;
    const record: PeerRecord = { id: peer, target: address.target, token: randomBytes(32).toString('base64url'), since: this.clock.now(), certificate };
    const source = ip === undefined ? undefined : { key: sourceKey(ip), max: this.maxSessionsPerSource };
    const opened = await this.store.openSession(record, this.expiryMs, this.maxPeers, source);
    if (opened === 'taken') throw new KompartError(Reason.PEER_ALREADY_REGISTERED, { peer });
    if (opened === 'full') throw new KompartError(Reason.REGISTRY_PEERS_FULL, { limit: String(this.maxPeers) });
    if (opened === 'source-full') throw new KompartError(Reason.SESSIONS_PER_IP_EXCEEDED, { ip: ip ?? '', limit: String(this.maxSessionsPerSource) });
    return record;
  }

  /**
   * The session of a call: PEER_NOT_REGISTERED when the address has none (with the address
   * in the message, or without it when `anonymous`), SESSION_INVALID when the token is
   * missing or not that session's.
   */
  async authenticate(peer: string, token: string | undefined, options?: { anonymous?: boolean }): Promise<PeerRecord> {
    const record = await this.store.session(peer);
    if (record === undefined) throw new KompartError(Reason.PEER_NOT_REGISTERED, options?.anonymous ? {} : { peer });
    if (token === undefined || !sameSecret(token, record.token)) throw new KompartError(Reason.SESSION_INVALID, { peer });
    return record;
  }

  async registerFile(session: PeerRecord, file: NewFile): Promise<FileRecord> {
    const record: FileRecord = {
      peer: session.id,
      path: file.path,
      name: posix.basename(file.path),
      sha256: file.sha256,
      size: file.size,
      ...(file.pieceSize === undefined ? {} : { pieceSize: file.pieceSize, piecesRoot: file.piecesRoot }),
    };
    const result = await this.store.addFile(record, this.maxFilesPerPeer, this.maxFiles);
    switch (result) {
      case 'added':
      case 'replaced':
        return record;
      case 'exists':
        throw new KompartError(Reason.FILE_ALREADY_REGISTERED, { peer: session.id, file: quoteInput(file.path) });
      case 'limit':
        throw new KompartError(Reason.LIMIT_EXCEEDED, { peer: session.id, limit: `max files per peer (${this.maxFilesPerPeer})` });
      case 'full':
        throw new KompartError(Reason.REGISTRY_FILES_FULL, { limit: String(this.maxFiles) });
      case 'no-peer':
        throw new KompartError(Reason.PEER_NOT_REGISTERED, { peer: session.id });
    }
  }

  /** Removes the file a session registered under exactly `path`; FILE_NOT_REGISTERED when it has none. */
  async unregisterFile(session: PeerRecord, path: string): Promise<FileRecord> {
    const removed = await this.store.removeFile(session.id, path);
    if (removed === undefined) throw new KompartError(Reason.FILE_NOT_REGISTERED, { peer: session.id, file: quoteInput(path) });
    return removed;
  }

  list(after: number, limit: number, filter: ListFilter): Promise<ListPage> {
    return this.store.list(after, limit, filter, Math.max(limit * 10, 100_000));
  }

  /**
   * Finds the file `reference` names on `holder` (DESIGN.md §1): the registered path with
   * or without its leading `/`; else a hash or hash prefix (8+ hex digits) or a base name.
   * Several matches with one content are one answer (the first registered); several
   * contents are FILE_AMBIGUOUS with the candidate paths. Returns the file and its holder.
   */
  async locate(holder: string, reference: string): Promise<{ file: FileRecord; holder: PeerRecord }> {
    const online = await this.store.session(holder);
    if (online === undefined) throw new KompartError(Reason.PEER_OFFLINE, { peer: holder });
    const path = reference.startsWith('/') ? reference : `/${reference}`;
    const exact = await this.store.fileByPath(holder, path);
    if (exact !== undefined) return { file: exact, holder: online };
    const candidates = new Map<string, FileRecord>();
    if (isHashReference(reference)) {
      for (const file of await this.store.filesByHashPrefix(holder, reference.toLowerCase())) candidates.set(file.path, file);
    }
    if (!reference.includes('/')) {
      for (const file of await this.store.filesByName(holder, reference)) candidates.set(file.path, file);
    }
    const found = [...candidates.values()];
    if (found.length === 0) throw new KompartError(Reason.FILE_UNAVAILABLE, { peer: holder, file: quoteInput(reference) });
    if (new Set(found.map((file) => file.sha256)).size > 1) {
      throw new KompartError(Reason.FILE_AMBIGUOUS, {
        peer: holder,
        file: quoteInput(reference),
        candidates: found
          .map((file) => file.path)
          .sort()
          .join('\n'),
      });
    }
    return { file: found[0]!, holder: online };
  }

  /**
   * Every online holder of the content `reference` names (a whole hash or a prefix of 8+
   * hex digits), `requester` excepted, one file per holder (its first registration), in
   * registration order, at most `limit`, each with its session. FILE_UNAVAILABLE when there
   * is none; FILE_AMBIGUOUS when the prefix matches several contents (candidates: the
   * hashes).
   */
  async locateHolders(requester: string, reference: string, limit: number): Promise<{ file: FileRecord; holder: PeerRecord }[]> {
    const found = (await this.store.holders(reference, HOLDERS_SCAN)).filter((file) => file.peer !== requester);
    const contents = [...new Set(found.map((file) => file.sha256))];
    if (contents.length === 0) throw new KompartError(Reason.FILE_UNAVAILABLE, { peer: '', file: reference });
    if (contents.length > 1) throw new KompartError(Reason.CONTENT_AMBIGUOUS, { file: reference, candidates: contents.sort().join('\n') });
    const seen = new Set<string>();
    const holders: { file: FileRecord; holder: PeerRecord }[] = [];
    for (const file of found) {
      if (holders.length >= limit) break;
      if (seen.has(file.peer)) continue;
      seen.add(file.peer);
      const holder = await this.store.session(file.peer);
      if (holder !== undefined) holders.push({ file, holder });
    }
    if (holders.length === 0) throw new KompartError(Reason.FILE_UNAVAILABLE, { peer: '', file: reference });
    return holders;
  }

  /** Ends a session by request; returns how many files left. */
  async disconnect(session: PeerRecord): Promise<number> {
    const files = await this.store.closeSession(session.id, session.token, 'disconnect');
    if (files === undefined) throw new KompartError(Reason.PEER_NOT_REGISTERED, {});
    return files;
  }

  /**
   * A beat of a session: its deadline moves to a full expiry period from now. Beats that
   * arrive in the same turn of the event loop, or within the store's batch window, go to
   * the store together.
   */
  beat(session: PeerRecord): void {
    this.pendingBeats.set(session.id, session.token);
    if (this.beatFlush !== undefined) return;
    this.beatFlush = new Promise<void>((resolve) => {
      this.releaseBeats = resolve;
      if (this.store.beatBatchMs === 0) queueMicrotask(resolve);
      else this.beatTimer = this.clock.setTimeout(resolve, this.store.beatBatchMs).unref();
    }).then(() => this.flushBeats());
  }

  /**
   * Heartbeat stream `stream` closed: the peer is offline at once, unless the session has
   * moved to another stream since (the peer resumed on another replica).
   */
  async streamClosed(session: PeerRecord, stream: string): Promise<void> {
    await this.store.closeSession(session.id, session.token, 'stream-closed', stream);
  }

  /**
   * The online session a token belongs to, now held by heartbeat stream `stream` (the
   * stream names no peer; its token does); undefined too when a stream of a later
   * `attempt` holds it (see RegistryStore.claimSession).
   */
  claimSession(token: string, stream: string, attempt: number): Promise<PeerRecord | undefined> {
    return this.store.claimSession(token, stream, attempt);
  }

  counts(): Promise<{ readonly peers: number; readonly files: number }> {
    return this.store.counts();
  }

  /** Stops sweeping and reading the log (the server is going away); beats still pending are sent. */
  async close(): Promise<void> {
    this.clock.clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.reading.abort();
    this.releaseBeats?.();
    await this.beatFlush;
    await this.readLoop;
  }

  private async flushBeats(): Promise<void> {
    const batch: Beat[] = [...this.pendingBeats].map(([peer, token]) => ({ peer, token }));
    this.pendingBeats = new Map();
    this.beatFlush = undefined;
    this.releaseBeats = undefined;
    this.clock.clearTimeout(this.beatTimer);
    this.beatTimer = undefined;
    try {
      await this.store.beat(batch, this.expiryMs);
    } catch (error) {
      this.logger.warn({ err: error, beats: batch.length }, 'beats not recorded: the store is unreachable');
    }
  }

  private async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      while ((await this.store.sweep(SWEEP_LIMIT, this.presence)) === SWEEP_LIMIT) {
        // A burst of expiries: go on until the backlog is cleared.
      }
    } catch (error) {
      this.logger.debug({ err: error }, 'sweep skipped: the store is unreachable');
    } finally {
      this.sweeping = false;
    }
  }

  private async readEvents(position: string): Promise<void> {
    const signal = this.reading.signal;
    let after = position;
    while (!signal.aborted) {
      try {
        for await (const event of this.store.events(after, signal)) {
          after = event.id;
          this.emit('event', { ...event, local: event.origin === this.store.origin });
        }
      } catch (error) {
        if (signal.aborted) return;
        this.logger.warn({ err: error }, 'event log unreadable; reading again');
        await this.clock.sleep(Math.max(100, this.sweepIntervalMs), signal).catch(() => undefined);
      }
    }
  }
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

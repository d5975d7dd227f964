import { randomBytes, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { posix } from 'node:path';
import { Reason } from '@kompart/protocol';
import { KompartError, isHashReference, systemClock, type Clock, type Endpoint, type TimerHandle } from '@kompart/core';
import type { FileRecord, ListFilter, ListPage, PeerRecord, RegistryStore } from './store.js';

/** Something the directory did, for logs and for the other peers' event streams. */
export type DirectoryEvent =
  | { readonly type: 'peer-registered'; readonly peer: string }
  | { readonly type: 'peer-left'; readonly peer: string; readonly token: string; readonly files: number; readonly cause: 'disconnect' | 'stream-closed' }
  | { readonly type: 'peer-expired'; readonly peer: string; readonly token: string; readonly files: number }
  | { readonly type: 'file-registered'; readonly file: FileRecord };

export interface DirectoryOptions {
  readonly store: RegistryStore;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatMisses: number;
  readonly maxFilesPerPeer: number;
  /** Time of registrations and expiry timers (default: the system clock). */
  readonly clock?: Clock;
}

/** A file registration, already validated. */
export interface NewFile {
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
}

/**
 * How long after its last beat a silent peer is removed: `misses` intervals plus a grace
 * of a tenth of an interval, at most 500 ms (10.5 s with the defaults, 5 s and 2 misses).
 */
export function heartbeatExpiryMs(intervalMs: number, misses: number): number {
  return intervalMs * misses + Math.min(intervalMs / 10, 500);
}

/** A session's presence: its expiry timer, while the session is online. */
export interface Presence {
  readonly token: string;
  /** False once the session is gone (disconnect, expiry, closed stream, replaced). */
  readonly current: boolean;
  /** Counts a beat: the session stays alive for another expiry period (nothing once gone). */
  beat(): void;
}

class PresenceTimer implements Presence {
  current = true;

  constructor(
    readonly token: string,
    readonly timer: TimerHandle,
  ) {}

  beat(): void {
    if (this.current) this.timer.refresh();
  }
}

/**
 * The registry's domain: sessions, files and presence. It knows nothing of gRPC; the
 * service layer validates requests, calls it and turns its KompartErrors into statuses.
 *
 * Presence: each peer has one expiry timer, armed at registration and re-armed by every
 * beat, that fires `heartbeatExpiryMs` after the last beat: `heartbeatMisses` intervals
 * plus a grace of a tenth of an interval (at most 500 ms) for network jitter. With the
 * defaults (5 s, 2 misses) a silent peer is removed 10.5 s after its last beat, which
 * leaves half a second for telling the other peers within 2 intervals + 1 s.
 */
export class PeerDirectory extends EventEmitter<{ event: [DirectoryEvent] }> {
  readonly expiryMs: number;
  private readonly store: RegistryStore;
  private readonly maxFilesPerPeer: number;
  private readonly clock: Clock;
  private readonly presence = new Map<string, PresenceTimer>();
  private readonly sessions = new Map<string, PeerRecord>();

  constructor(options: DirectoryOptions) {
    super();
    this.store = options.store;
    this.maxFilesPerPeer = options.maxFilesPerPeer;
    this.clock = options.clock ?? systemClock;
    this.expiryMs = heartbeatExpiryMs(options.heartbeatIntervalMs, options.heartbeatMisses);
  }

  /** Opens a session for an address; ALREADY_EXISTS while one is online. */
  async registerPeer(address: Endpoint): Promise<PeerRecord> {
    const peer = address.id;
    const record: PeerRecord = { id: peer, target: address.target, token: randomBytes(32).toString('base64url'), since: this.clock.now() };
    if (!(await this.store.addPeer(record))) throw new KompartError(Reason.PEER_ALREADY_REGISTERED, { peer });
    this.arm(record);
    this.sessions.set(record.token, record);
    this.emit('event', { type: 'peer-registered', peer });
    return record;
  }

  /**
   * The session of a call: PEER_NOT_REGISTERED when the address has none (with the address
   * in the message, or without it when `anonymous`), SESSION_INVALID when the token is
   * missing or not that session's.
   */
  async authenticate(peer: string, token: string | undefined, options?: { anonymous?: boolean }): Promise<PeerRecord> {
    const record = await this.store.getPeer(peer);
    if (record === undefined) throw new KompartError(Reason.PEER_NOT_REGISTERED, options?.anonymous ? {} : { peer });
    if (token === undefined || !sameSecret(token, record.token)) throw new KompartError(Reason.SESSION_INVALID, { peer });
    return record;
  }

  async registerFile(session: PeerRecord, file: NewFile): Promise<FileRecord> {
    const record: FileRecord = { peer: session.id, path: file.path, name: posix.basename(file.path), sha256: file.sha256, size: file.size };
    const result = await this.store.addFile(record, this.maxFilesPerPeer);
    switch (result) {
      case 'added':
      case 'replaced':
        this.emit('event', { type: 'file-registered', file: record });
        return record;
      case 'exists':
        throw new KompartError(Reason.FILE_ALREADY_REGISTERED, { peer: session.id, file: file.path });
      case 'limit':
        throw new KompartError(Reason.LIMIT_EXCEEDED, { peer: session.id, limit: `max files per peer (${this.maxFilesPerPeer})` });
      case 'no-peer':
        throw new KompartError(Reason.PEER_NOT_REGISTERED, { peer: session.id });
    }
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
    const online = await this.store.getPeer(holder);
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
    if (found.length === 0) throw new KompartError(Reason.FILE_UNAVAILABLE, { peer: holder, file: reference });
    if (new Set(found.map((file) => file.sha256)).size > 1) {
      throw new KompartError(Reason.FILE_AMBIGUOUS, {
        peer: holder,
        file: reference,
        candidates: found.map((file) => file.path).sort().join('\n'),
      });
    }
    return { file: found[0]!, holder: online };
  }

  /** Ends a session by request; returns how many files left. */
  async disconnect(session: PeerRecord): Promise<number> {
    const files = await this.remove(session);
    if (files === undefined) throw new KompartError(Reason.PEER_NOT_REGISTERED, {});
    this.emit('event', { type: 'peer-left', peer: session.id, token: session.token, files, cause: 'disconnect' });
    return files;
  }

  /** A beat: the session stays alive for another expiry period. */
  beat(session: PeerRecord): void {
    this.presenceOf(session)?.beat();
  }

  /**
   * The presence of this exact session while it is online, to beat without looking the
   * session up on every beat (the heartbeat stream holds it); undefined when it is gone.
   */
  presenceOf(session: PeerRecord): Presence | undefined {
    const presence = this.presence.get(session.id);
    return presence !== undefined && presence.token === session.token ? presence : undefined;
  }

  /** The session's heartbeat stream closed: the peer is offline at once. */
  async streamClosed(session: PeerRecord): Promise<void> {
    const files = await this.remove(session);
    if (files !== undefined) this.emit('event', { type: 'peer-left', peer: session.id, token: session.token, files, cause: 'stream-closed' });
  }

  /** The online session a token belongs to (for the heartbeat stream, which names no peer). */
  sessionByToken(token: string): PeerRecord | undefined {
    return this.sessions.get(token);
  }

  /** True while this exact session is online. */
  isCurrent(session: PeerRecord): boolean {
    return this.presence.get(session.id)?.token === session.token;
  }

  counts(): Promise<{ peers: number; files: number }> {
    return this.store.counts();
  }

  /** Stops every expiry timer (the server is going away). */
  close(): void {
    for (const presence of this.presence.values()) {
      presence.current = false;
      this.clock.clearTimeout(presence.timer);
    }
    this.presence.clear();
    this.sessions.clear();
  }

  private arm(session: PeerRecord): void {
    const timer = this.clock.setTimeout(() => void this.expire(session), this.expiryMs);
    timer.unref();
    this.presence.set(session.id, new PresenceTimer(session.token, timer));
  }

  private async expire(session: PeerRecord): Promise<void> {
    const files = await this.remove(session);
    if (files !== undefined) this.emit('event', { type: 'peer-expired', peer: session.id, token: session.token, files });
  }

  private async remove(session: PeerRecord): Promise<number | undefined> {
    const presence = this.presence.get(session.id);
    if (presence !== undefined && presence.token === session.token) {
      presence.current = false;
      this.clock.clearTimeout(presence.timer);
      this.presence.delete(session.id);
    }
    this.sessions.delete(session.token);
    return this.store.removePeer(session.id, session.token);
  }
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

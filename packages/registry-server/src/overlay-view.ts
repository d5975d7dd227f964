import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { systemClock, type Clock, type TimerHandle } from '@kompart/core';
import type { DirectoryEvent, PeerDirectory } from './peer-directory.js';
import type { FileRecord } from './store.js';
import type { Transfer } from './transfer-reports.js';

/** A peer as the view shows it. `since` and `lastBeat` are undefined when this replica did not see them. */
export interface ViewPeer {
  readonly id: string;
  readonly since: number | undefined;
  readonly lastBeat: number | undefined;
  readonly files: number;
}

/** A file as the view shows it. */
export interface ViewFile {
  readonly peer: string;
  readonly path: string;
  readonly name: string;
  readonly sha256: string;
  readonly size: number;
}

/** A download in flight (or just ended) as the view shows it. */
export interface ViewTransfer extends Omit<Transfer, 'downloader'> {
  readonly downloader: string;
  /** When the last report arrived. */
  readonly at: number;
}

/** One line of the event feed. */
export type FeedEntry =
  | { readonly at: number; readonly type: 'peer-joined' | 'peer-expired'; readonly peer: string }
  | { readonly at: number; readonly type: 'peer-left'; readonly peer: string; readonly cause: string }
  | { readonly at: number; readonly type: 'file-registered' | 'file-unregistered'; readonly peer: string; readonly name: string }
  | { readonly at: number; readonly type: 'transfer-started' | 'transfer-ended'; readonly transfer: ViewTransfer };

/** A change the page applies to its copy of the view, in order. */
export type ViewChange =
  | { readonly type: 'peer'; readonly peer: ViewPeer }
  | { readonly type: 'peer-gone'; readonly peer: string }
  | { readonly type: 'file'; readonly file: ViewFile }
  | { readonly type: 'file-gone'; readonly peer: string; readonly path: string }
  | { readonly type: 'beat'; readonly peer: string; readonly at: number }
  | { readonly type: 'transfer'; readonly transfer: ViewTransfer }
  | { readonly type: 'feed'; readonly entry: FeedEntry };

/** A change with its place in the sequence: `<epoch>.<n>`, the id of its server-sent event. */
export interface NumberedChange {
  readonly id: string;
  readonly change: ViewChange;
}

/** Everything the page needs to draw the view from nothing, as of change `id`. */
export interface ViewSnapshot {
  readonly id: string;
  readonly serverTime: number;
  readonly peers: readonly ViewPeer[];
  readonly files: readonly ViewFile[];
  /** True when the index has more files than the view holds (maxFiles). */
  readonly filesCapped: boolean;
  readonly transfers: readonly ViewTransfer[];
  readonly feed: readonly FeedEntry[];
}

export interface OverlayViewOptions {
  readonly directory: PeerDirectory;
  readonly clock?: Clock;
  /** Files the view keeps at most (the first ones in registration order; default 10 000). */
  readonly maxFiles?: number;
  /** Changes kept for browsers that reconnect (default 10 000); older ones get a snapshot. */
  readonly history?: number;
  /** Feed entries in a snapshot (default 100). */
  readonly feedLength?: number;
  /** A transfer with no report for this long is dropped (default 30 000 ms). */
  readonly staleTransferMs?: number;
}

const fileKey = (peer: string, path: string): string => `${peer}\n${path}`;
const transferKey = (downloader: string, id: string): string => `${downloader}\n${id}`;

/**
 * What the web view shows, kept by this replica: the peers online with their file counts
 * and last beats, the files, the downloads in flight and a feed of events, each change
 * numbered so that a browser that reconnects gets exactly the changes it missed.
 *
 * Sources: the index changes come from the registry's event log, as PeerDirectory emits
 * them (every replica's changes, in order); beats and download reports from this replica's
 * Heartbeat streams (see ServiceObserver). At start the view reads the files already in
 * the index (so their holders are known); a peer without files that joined before the
 * view started appears with its first beat on this replica. With several replicas, beats
 * and transfers of peers whose stream is on another replica are not seen here (their last
 * beat shows as "on another replica").
 */
export class OverlayView extends EventEmitter<{ change: [NumberedChange] }> {
  readonly #directory: PeerDirectory;
  readonly #clock: Clock;
  readonly #maxFiles: number;
  readonly #history: number;
  readonly #feedLength: number;
  readonly #staleTransferMs: number;
  /** Random per view: ids of another view (a restarted registry) are not taken for ours. */
  readonly #epoch = randomBytes(4).toString('hex');
  #sequence = 0;
  readonly #changes: NumberedChange[] = [];
  readonly #peers = new Map<string, ViewPeer>();
  readonly #files = new Map<string, ViewFile>();
  #filesCapped = false;
  readonly #transfers = new Map<string, ViewTransfer>();
  readonly #feed: FeedEntry[] = [];
  readonly #onEvent = (event: DirectoryEvent): void => this.#apply(event);
  #sweeper: TimerHandle | undefined;

  constructor(options: OverlayViewOptions) {
    super();
    this.#directory = options.directory;
    this.#clock = options.clock ?? systemClock;
    this.#maxFiles = options.maxFiles ?? 10_000;
    this.#history = options.history ?? 10_000;
    this.#feedLength = options.feedLength ?? 100;
    this.#staleTransferMs = options.staleTransferMs ?? 30_000;
  }

  /** Listens to the directory, then reads the files already in the index. */
  async start(): Promise<void> {
    this.#directory.on('event', this.#onEvent);
    let after = 0;
    do {
      const page = await this.#directory.list(after, 1000, { nameContains: '', sha256Prefix: '', holder: '' });
      for (const file of page.files) {
        if (this.#files.size >= this.#maxFiles) {
          this.#filesCapped = true;
          break;
        }
        this.#addFile(file, true);
      }
      after = page.next ?? 0;
    } while (after !== 0 && !this.#filesCapped);
    this.#sweeper = this.#clock.setInterval(() => this.#dropStaleTransfers(), Math.max(1000, this.#staleTransferMs / 4));
    this.#sweeper.unref();
  }

  stop(): void {
    this.#directory.off('event', this.#onEvent);
    this.#clock.clearInterval(this.#sweeper);
  }

  snapshot(): ViewSnapshot {
    return {
      id: this.#id(this.#sequence),
      serverTime: this.#clock.now(),
      peers: [...this.#peers.values()],
      files: [...this.#files.values()],
      filesCapped: this.#filesCapped,
      transfers: [...this.#transfers.values()],
      feed: this.#feed.slice(-this.#feedLength),
    };
  }

  /**
   * The changes after `id` (a change id or a snapshot id of this view), in order; undefined
   * when `id` is not this view's or is older than the changes kept (the page then starts
   * again from a snapshot).
   */
  changesAfter(id: string): NumberedChange[] | undefined {
    const match = /^([0-9a-f]{8})\.(\d+)$/.exec(id);
    if (match === null || match[1] !== this.#epoch) return undefined;
    const after = Number(match[2]);
    if (after > this.#sequence) return undefined;
    const oldest = this.#sequence - this.#changes.length;
    if (after < oldest) return undefined;
    return this.#changes.slice(after - oldest);
  }

  /** A beat of a peer on this replica. */
  beat(peer: string, at: number): void {
    const known = this.#peers.get(peer);
    if (known === undefined) this.#setPeer({ id: peer, since: undefined, lastBeat: at, files: 0 });
    else {
      this.#peers.set(peer, { ...known, lastBeat: at });
      this.#push({ type: 'beat', peer, at });
    }
  }

  /** Download reports of a peer on this replica. */
  transfers(reports: readonly Transfer[]): void {
    const at = this.#clock.now();
    for (const report of reports) {
      const key = transferKey(report.downloader, report.id);
      const known = this.#transfers.get(key);
      const transfer: ViewTransfer = { ...report, at };
      if (report.state === 'active') this.#transfers.set(key, transfer);
      else this.#transfers.delete(key);
      if (known === undefined && report.state === 'active') this.#feedEntry({ at, type: 'transfer-started', transfer });
      this.#push({ type: 'transfer', transfer });
      if (report.state !== 'active') this.#feedEntry({ at, type: 'transfer-ended', transfer });
    }
  }

  #apply(event: DirectoryEvent): void {
    switch (event.type) {
      case 'peer-joined':
        this.#setPeer({ id: event.peer, since: event.at, lastBeat: this.#peers.get(event.peer)?.lastBeat, files: 0 });
        this.#feedEntry({ at: event.at, type: 'peer-joined', peer: event.peer });
        return;
      case 'peer-left':
      case 'peer-expired':
        this.#removePeer(event.peer);
        this.#feedEntry(
          event.type === 'peer-left'
            ? { at: event.at, type: 'peer-left', peer: event.peer, cause: event.cause }
            : { at: event.at, type: 'peer-expired', peer: event.peer },
        );
        return;
      case 'file-registered':
        if (this.#files.size >= this.#maxFiles && !this.#files.has(fileKey(event.file.peer, event.file.path))) {
          this.#filesCapped = true;
          this.#countFile(event.file.peer, event.replaced ? 0 : 1);
        } else this.#addFile(event.file, !event.replaced);
        this.#feedEntry({ at: event.at, type: 'file-registered', peer: event.file.peer, name: event.file.name });
        return;
      case 'file-unregistered': {
        const key = fileKey(event.file.peer, event.file.path);
        if (this.#files.delete(key)) this.#push({ type: 'file-gone', peer: event.file.peer, path: event.file.path });
        this.#countFile(event.file.peer, -1);
        this.#feedEntry({ at: event.at, type: 'file-unregistered', peer: event.file.peer, name: event.file.name });
        return;
      }
    }
  }

  #addFile(record: FileRecord, counts: boolean): void {
    const file: ViewFile = { peer: record.peer, path: record.path, name: record.name, sha256: record.sha256, size: record.size };
    const key = fileKey(file.peer, file.path);
    const isNew = !this.#files.has(key);
    this.#files.set(key, file);
    this.#push({ type: 'file', file });
    if (counts && isNew) this.#countFile(file.peer, 1);
  }

  #countFile(peer: string, delta: number): void {
    if (delta === 0) return;
    const known = this.#peers.get(peer) ?? { id: peer, since: undefined, lastBeat: undefined, files: 0 };
    this.#setPeer({ ...known, files: Math.max(0, known.files + delta) });
  }

  #setPeer(peer: ViewPeer): void {
    this.#peers.set(peer.id, peer);
    this.#push({ type: 'peer', peer });
  }

  #removePeer(peer: string): void {
    this.#peers.delete(peer);
    for (const [key, file] of this.#files) if (file.peer === peer) this.#files.delete(key);
    for (const [key, transfer] of this.#transfers) if (transfer.downloader === peer) this.#transfers.delete(key);
    this.#push({ type: 'peer-gone', peer });
  }

  #dropStaleTransfers(): void {
    const now = this.#clock.now();
    for (const [key, transfer] of this.#transfers) {
      if (now - transfer.at < this.#staleTransferMs) continue;
      this.#transfers.delete(key);
      this.#push({ type: 'transfer', transfer: { ...transfer, state: 'failed', at: now } });
    }
  }

  #feedEntry(entry: FeedEntry): void {
    this.#feed.push(entry);
    if (this.#feed.length > this.#feedLength * 2) this.#feed.splice(0, this.#feed.length - this.#feedLength);
    this.#push({ type: 'feed', entry });
  }

  #push(change: ViewChange): void {
    this.#sequence += 1;
    const numbered = { id: this.#id(this.#sequence), change };
    this.#changes.push(numbered);
    // Trimmed in steps, so that a busy view does not move its whole history at every change.
    if (this.#changes.length > this.#history * 1.5) this.#changes.splice(0, this.#changes.length - this.#history);
    this.emit('change', numbered);
  }

  #id(sequence: number): string {
    return `${this.#epoch}.${sequence}`;
  }
}

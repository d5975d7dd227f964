import type { Logger } from '@kompart/core';

/**
 * Everything a peer reports asynchronously, each with its `type`. A CLI prints them as
 * they come (`peer.events.onAny(print)`), tests wait for them (`peer.events.next('reconnected')`).
 */
export interface PeerEvents {
  /** Another peer registered with the registry. */
  'peer-joined': { type: 'peer-joined'; peer: string; fileCount: number; timeMs: number };
  /** Another peer disconnected or its heartbeat stream closed. */
  'peer-left': { type: 'peer-left'; peer: string; timeMs: number };
  /** Another peer missed its heartbeats and was removed. */
  'peer-expired': { type: 'peer-expired'; peer: string; timeMs: number };
  /** The registry announced it is shutting down (a reconnect follows). */
  /** A registry address's self-signed certificate was trusted on first use and written to `file` (`--tls auto`). */
  'registry-trusted': { type: 'registry-trusted'; server: string; fingerprint: string; file: string };
  'registry-shutting-down': { type: 'registry-shutting-down'; timeMs: number };
  /** One heartbeat was acknowledged (`rttMs`: round trip). */
  heartbeat: { type: 'heartbeat'; sequence: number; rttMs: number };
  /**
   * The session with the registry was lost. `reason`: `stream-error`, `stream-ended`,
   * `registry-shutting-down`, `registry-restarted` (new registry instance), `no-ack`
   * (no answer for several intervals) or `session-invalid` (the registry forgot us).
   */
  'connection-lost': { type: 'connection-lost'; reason: ConnectionLostReason; detail?: string };
  /** A reconnect attempt will be made after `delayMs`. */
  reconnecting: { type: 'reconnecting'; attempt: number; delayMs: number };
  /** A reconnect attempt failed (`detail`: why); another follows. */
  'reconnect-failed': { type: 'reconnect-failed'; attempt: number; detail: string };
  /**
   * The session carried on after a loss, on the same or another replica of the registry,
   * with its token: nothing was registered again and the other peers saw nothing.
   */
  resumed: { type: 'resumed'; peer: string; attempt: number };
  /** Registered again after a loss; `files` of the registered files are back in the index, `failedFiles` not. */
  reconnected: { type: 'reconnected'; peer: string; attempt: number; files: number; failedFiles: number; registryInstance: string };
  /** This peer's FileService finished (or stopped) sending a file to someone. */
  served: {
    type: 'served';
    client: string;
    /** The downloading peer's identity from its ticket (undefined when tickets are off). */
    requester: string | undefined;
    name: string;
    path: string;
    sha256: string;
    offset: number;
    bytes: number;
    complete: boolean;
  };
  /**
   * A file appeared in a registered folder and is now in the index (`cause` `appeared`):
   * found by the watcher, hashed once it was quiet, registered.
   */
  'share-added': { type: 'share-added'; path: string; name: string; sha256: string; size: number; cause: 'appeared' };
  /**
   * A registered file's content changed: hashed again and its entry in the index updated in
   * place (`sha256`, `size` are the new ones, `previousSha256` the old hash).
   */
  'share-updated': { type: 'share-updated'; path: string; name: string; sha256: string; size: number; previousSha256: string; cause: 'changed' };
  /**
   * A registered file left the index and is no longer served. `cause`: `deleted` (gone),
   * `not-a-file` (replaced by a folder, a symbolic link, a FIFO…), `unreadable` (its read
   * permissions were removed, or it can no longer be opened) or `by-hand` (unregisterPath).
   * `sha256` and `size` are those it was registered with.
   */
  'share-removed': { type: 'share-removed'; path: string; name: string; sha256: string; size: number; cause: ShareRemovedCause };
  /**
   * The index could not be brought in line with a change the watcher saw (`action`: what was
   * attempted); `error` is what the registry answered (LIMIT_EXCEEDED for a new file past the
   * registry's limit of files per peer, …). The file is not served. Failures that pass
   * (registry unreachable, session being resumed) are retried instead and are not reported.
   */
  'share-failed': { type: 'share-failed'; path: string; action: 'add' | 'update' | 'remove'; error: unknown };
  /** The watch of a registered file or folder (`path`) failed (`detail`, e.g. ENOSPC: the system's limit of inotify watches). */
  'watch-error': { type: 'watch-error'; path: string; detail: string };
  /** A `getFile` began transferring (after the registry located the file). */
  'download-started': { type: 'download-started'; holder: string; name: string; sha256: string; size: number };
  /** A `getFile` ended with a file in the downloads folder. */
  'download-finished': {
    type: 'download-finished';
    holder: string;
    name: string;
    path: string;
    sha256: string;
    size: number;
    status: 'downloaded' | 'already-present';
  };
  /** A `getFile` failed after the transfer had been located (`error`: the thrown error). */
  'download-failed': { type: 'download-failed'; holder: string; name: string; error: unknown };
}

/** Why a shared file left the index (see the `share-removed` event). */
export type ShareRemovedCause = 'deleted' | 'not-a-file' | 'unreadable' | 'by-hand';

export type ConnectionLostReason = 'stream-error' | 'stream-ended' | 'registry-shutting-down' | 'registry-restarted' | 'no-ack' | 'session-invalid';

export type PeerEventType = keyof PeerEvents;
/** Any one event. */
export type PeerEvent = PeerEvents[PeerEventType];

type Listener<T> = (event: T) => void;

/**
 * A small typed event emitter. Listeners run synchronously, in order; a listener that
 * throws is logged and does not disturb the peer or the other listeners.
 */
export class PeerEventEmitter {
  readonly #listeners = new Map<PeerEventType, Set<Listener<never>>>();
  readonly #any = new Set<Listener<PeerEvent>>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Calls `listener` for every event of this type; returns a function that removes it. */
  on<K extends PeerEventType>(type: K, listener: Listener<PeerEvents[K]>): () => void {
    let set = this.#listeners.get(type);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(type, set);
    }
    set.add(listener);
    return () => this.off(type, listener);
  }

  off<K extends PeerEventType>(type: K, listener: Listener<PeerEvents[K]>): void {
    this.#listeners.get(type)?.delete(listener);
  }

  /** Calls `listener` once, for the next event of this type. */
  once<K extends PeerEventType>(type: K, listener: Listener<PeerEvents[K]>): () => void {
    const remove = this.on(type, (event) => {
      remove();
      listener(event);
    });
    return remove;
  }

  /** Calls `listener` for every event; returns a function that removes it. */
  onAny(listener: Listener<PeerEvent>): () => void {
    this.#any.add(listener);
    return () => this.#any.delete(listener);
  }

  /**
   * The next event of this type (optionally the next one `matching`), as a promise.
   * Rejects with the signal's reason when `signal` aborts first.
   */
  next<K extends PeerEventType>(type: K, options: { matching?: (event: PeerEvents[K]) => boolean; signal?: AbortSignal } = {}): Promise<PeerEvents[K]> {
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        remove();
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- an aborted wait rejects with the signal's reason as given (what fetch does), whatever the caller aborted with
        reject(options.signal?.reason);
      };
      const remove = this.on(type, (event) => {
        if (options.matching !== undefined && !options.matching(event)) return;
        remove();
        options.signal?.removeEventListener('abort', onAbort);
        resolve(event);
      });
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Every event from now on, as an async iterator, until `signal` aborts or the loop breaks. */
  async *stream(signal?: AbortSignal): AsyncGenerator<PeerEvent> {
    const queue: PeerEvent[] = [];
    let wake: (() => void) | undefined;
    const remove = this.onAny((event) => {
      queue.push(event);
      wake?.();
    });
    const onAbort = (): void => wake?.();
    signal?.addEventListener('abort', onAbort);
    try {
      while (signal?.aborted !== true) {
        const event = queue.shift();
        if (event !== undefined) {
          yield event;
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } finally {
      remove();
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Delivers an event to its listeners and to the `onAny` listeners. */
  emit(event: PeerEvent): void {
    const listeners = [...(this.#listeners.get(event.type) ?? []), ...this.#any] as Listener<PeerEvent>[];
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#logger.error({ event: event.type, error: String(error) }, 'event listener threw');
      }
    }
  }
}

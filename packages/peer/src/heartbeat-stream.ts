import type { Clock, Logger, TimerHandle } from '@kompart/core';
import { ClientError } from '@kompart/grpc';
import { EventType, heartbeatEvents, type HeartbeatRequest, type HeartbeatResponse, type RegistryEvent, type TransferReport } from '@kompart/protocol';
import type { ConnectionLostReason, PeerEventEmitter } from './peer-events.js';
import type { RegistryCalls } from './registry-calls.js';

export interface HeartbeatStreamOptions {
  readonly calls: RegistryCalls;
  readonly token: string;
  /**
   * Which stream of the session this is: 1 for the first, one more for each resume. The
   * registry refuses an open older than the stream holding the session (one the network
   * delivered late), so that it neither takes the session over nor ends it.
   */
  readonly attempt: number;
  /** Beat this often, ms. */
  readonly intervalMs: number;
  /**
   * How long a beat may wait for its ack before the registry counts as gone (default: half
   * an interval, at most 2 s). Well inside the registry's expiry, so that a peer whose
   * replica fell silent (a cut cable, a hung process) resumes elsewhere before it expires.
   */
  readonly ackTimeoutMs?: number;
  /** The registry instance of the session: an ack from another one means a restart. */
  readonly registryInstance: string;
  readonly clock: Clock;
  readonly events: PeerEventEmitter;
  readonly logger: Logger;
  /** Told once when the stream can no longer carry the session, with why. */
  readonly onLost: (reason: ConnectionLostReason, detail?: string) => void;
}

/** Beats waiting to go up the stream; ends when the stream is stopped. */
class BeatQueue implements AsyncIterable<HeartbeatRequest> {
  readonly #waiting: HeartbeatRequest[] = [];
  #wake: (() => void) | undefined;
  #ended = false;

  push(beat: HeartbeatRequest): void {
    if (this.#ended) return;
    this.#waiting.push(beat);
    this.#wake?.();
  }

  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<HeartbeatRequest> {
    for (;;) {
      const beat = this.#waiting.shift();
      if (beat !== undefined) {
        yield beat;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }
}

/** Sequence numbers of beats still waiting for their ack, kept for round-trip times. */
const MAX_UNANSWERED = 64;

/**
 * The Heartbeat stream of one session: a beat every interval (on the injected clock),
 * acks turned into `heartbeat` events with their round-trip time, the registry's pushed
 * events turned into peer events. It decides nothing about expiry (the registry does);
 * it only notices when the stream can no longer carry the session and says so once through
 * `onLost`: the stream ended (`stream-ended`) or failed (`stream-error`), the registry
 * announced its shutdown, an ack came from another registry instance (`registry-restarted`),
 * or a beat got no ack within the ack timeout (`no-ack`: a replica that fell silent, a
 * hung process, a half-open connection).
 */
export class HeartbeatStream {
  /**
   * Settles with the first ack: the registry has this session and answers on this stream.
   * Rejects when the stream is lost before that (with the stream's error when it had one:
   * SESSION_INVALID when no replica knows the token).
   */
  readonly established: Promise<void>;
  readonly #options: HeartbeatStreamOptions;
  #settle: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  readonly #beats = new BeatQueue();
  readonly #abort = new AbortController();
  readonly #sentAt = new Map<number, number>();
  readonly #timer: TimerHandle;
  #sequence = 0;
  readonly #ackTimeoutMs: number;
  /** The ack timer of the oldest beat still waiting for its ack (one at a time). */
  #watchdog: { readonly sequence: number; readonly timer: TimerHandle } | undefined;
  #done = false;

  constructor(options: HeartbeatStreamOptions) {
    this.#options = options;
    this.established = new Promise<void>((resolve, reject) => (this.#settle = { resolve, reject }));
    // Nobody may be waiting for it (a session registered moments ago): never an unhandled rejection.
    this.established.catch(() => undefined);
    this.#ackTimeoutMs = options.ackTimeoutMs ?? Math.min(options.intervalMs / 2, 2000);
    void this.#receive();
    this.#timer = options.clock.setInterval(() => this.#beat(), options.intervalMs);
    this.#beat();
  }

  /** Ends the stream and the beats; nothing is reported. Idempotent. */
  stop(): void {
    if (this.#done) return;
    this.#done = true;
    this.#options.clock.clearInterval(this.#timer);
    this.#options.clock.clearTimeout(this.#watchdog?.timer);
    this.#watchdog = undefined;
    this.#beats.end();
    this.#abort.abort();
  }

  /**
   * Sends download reports up the stream, between beats: a message with sequence 0, which
   * the registry neither acks nor counts as a beat (see HeartbeatRequest).
   */
  report(transfers: TransferReport[]): void {
    if (this.#done || transfers.length === 0) return;
    this.#beats.push({ sequence: 0, transfers });
  }

  #lost(reason: ConnectionLostReason, detail?: string, error?: unknown): void {
    if (this.#done) return;
    this.stop();
    this.#settle?.reject(error ?? new Error(`heartbeat stream lost: ${reason}`));
    this.#settle = undefined;
    this.#options.onLost(reason, detail);
  }

  #beat(): void {
    if (this.#done) return;
    const { clock } = this.#options;
    this.#sequence += 1;
    if (this.#watchdog === undefined) {
      const timer = clock.setTimeout(() => this.#lost('no-ack'), this.#ackTimeoutMs);
      timer.unref();
      this.#watchdog = { sequence: this.#sequence, timer };
    }
    this.#sentAt.set(this.#sequence, clock.now());
    if (this.#sentAt.size > MAX_UNANSWERED) this.#sentAt.delete(this.#sentAt.keys().next().value!);
    this.#beats.push({ sequence: this.#sequence, transfers: [] });
  }

  async #receive(): Promise<void> {
    try {
      for await (const message of this.#options.calls.heartbeat(this.#options.token, this.#options.attempt, this.#beats, this.#abort.signal)) {
        if (this.#done) return;
        this.#onMessage(message);
      }
      this.#lost('stream-ended');
    } catch (error) {
      if (this.#done) return;
      this.#lost('stream-error', error instanceof ClientError ? error.details : error instanceof Error ? error.message : String(error), error);
    }
  }

  #onMessage(message: HeartbeatResponse): void {
    const { clock, events } = this.#options;
    const kind = message.kind;
    if (kind === undefined) return;
    if (kind.$case === 'ack') {
      const ack = kind.value;
      if (this.#watchdog !== undefined && ack.sequence >= this.#watchdog.sequence) {
        clock.clearTimeout(this.#watchdog.timer);
        this.#watchdog = undefined;
      }
      this.#settle?.resolve();
      this.#settle = undefined;
      if (ack.registryInstance !== '' && this.#options.registryInstance !== '' && ack.registryInstance !== this.#options.registryInstance) {
        this.#lost('registry-restarted');
        return;
      }
      const sent = this.#sentAt.get(ack.sequence);
      this.#sentAt.delete(ack.sequence);
      events.emit({ type: 'heartbeat', sequence: ack.sequence, rttMs: sent === undefined ? 0 : clock.now() - sent });
      return;
    }
    for (const event of heartbeatEvents(message)) {
      if (this.#done) return;
      this.#onEvent(event);
    }
  }

  #onEvent(event: RegistryEvent): void {
    const { events } = this.#options;
    const { peer, timeMs } = event;
    switch (event.type) {
      case EventType.EVENT_TYPE_PEER_JOINED:
        events.emit({ type: 'peer-joined', peer, fileCount: event.fileCount, timeMs });
        return;
      case EventType.EVENT_TYPE_PEER_LEFT:
        events.emit({ type: 'peer-left', peer, timeMs });
        return;
      case EventType.EVENT_TYPE_PEER_EXPIRED:
        events.emit({ type: 'peer-expired', peer, timeMs });
        return;
      case EventType.EVENT_TYPE_REGISTRY_SHUTTING_DOWN:
        events.emit({ type: 'registry-shutting-down', timeMs });
        this.#lost('registry-shutting-down');
        return;
      default:
        this.#options.logger.debug({ type: event.type }, 'unknown registry event ignored');
    }
  }
}

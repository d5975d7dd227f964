import type { Clock, TimerHandle } from '@kompart/core';
import { TransferState, type TransferReport } from '@kompart/protocol';

/** What a download is, when it starts. */
export interface TransferStart {
  readonly holder: string;
  readonly name: string;
  readonly sha256: string;
  readonly size: number;
}

export interface TransferReporterOptions {
  /** Sends reports up the Heartbeat stream (dropped when there is none). */
  readonly send: (reports: TransferReport[]) => void;
  readonly clock: Clock;
  /** Least time between two progress reports of the running downloads, ms (default 1000). */
  readonly intervalMs?: number;
}

interface Running {
  readonly report: TransferReport;
  /** Bytes and time at the previous report, for the rate. */
  reportedBytes: number;
  reportedAt: number;
  changed: boolean;
}

/** Reports in one message at most (the registry's limit, see HeartbeatRequest.transfers). */
const MAX_REPORTS = 64;

/**
 * Tells the registry about this peer's downloads (TransferReport in registry.proto): a
 * report when one starts and when it ends, sent at once, and between them the progress of
 * every running download at most once per interval, with the rate since the previous
 * report. Only the latest state of each download is sent; nothing waits when there is no
 * stream to send on.
 */
export class TransferReporter {
  readonly #options: TransferReporterOptions;
  readonly #intervalMs: number;
  readonly #running = new Map<string, Running>();
  #timer: TimerHandle | undefined;
  #next = 0;

  constructor(options: TransferReporterOptions) {
    this.#options = options;
    this.#intervalMs = options.intervalMs ?? 1000;
  }

  /** A download begins: reported at once. Returns its id. */
  started(start: TransferStart, received = 0): string {
    const id = `d${++this.#next}`;
    const now = this.#options.clock.now();
    const report: TransferReport = { id, ...start, received, state: TransferState.TRANSFER_STATE_ACTIVE, bytesPerSecond: 0 };
    this.#running.set(id, { report, reportedBytes: received, reportedAt: now, changed: false });
    this.#send([report]);
    this.#timer ??= this.#options.clock.setInterval(() => this.#flush(), this.#intervalMs);
    this.#timer.unref();
    return id;
  }

  /** Bytes present so far: reported with the next round. */
  progress(id: string, received: number): void {
    const running = this.#running.get(id);
    if (running === undefined || received === running.report.received) return;
    running.report.received = Math.min(received, running.report.size);
    running.changed = true;
  }

  /** A download ends (`done`: verified and saved): reported at once, then forgotten. */
  ended(id: string, outcome: 'done' | 'failed'): void {
    const running = this.#running.get(id);
    if (running === undefined) return;
    this.#running.delete(id);
    const { report } = running;
    if (outcome === 'done') report.received = report.size;
    report.state = outcome === 'done' ? TransferState.TRANSFER_STATE_DONE : TransferState.TRANSFER_STATE_FAILED;
    report.bytesPerSecond = 0;
    this.#send([report]);
    if (this.#running.size === 0) this.#stopTimer();
  }

  /** Stops the timer (the peer closes); running downloads are not reported any more. */
  stop(): void {
    this.#running.clear();
    this.#stopTimer();
  }

  #stopTimer(): void {
    this.#options.clock.clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #flush(): void {
    const now = this.#options.clock.now();
    const due: TransferReport[] = [];
    for (const running of this.#running.values()) {
      if (!running.changed) continue;
      const elapsed = now - running.reportedAt;
      running.report.bytesPerSecond = elapsed > 0 ? Math.round(((running.report.received - running.reportedBytes) * 1000) / elapsed) : 0;
      running.reportedBytes = running.report.received;
      running.reportedAt = now;
      running.changed = false;
      due.push({ ...running.report });
    }
    this.#send(due);
  }

  #send(reports: TransferReport[]): void {
    for (let i = 0; i < reports.length; i += MAX_REPORTS) this.#options.send(reports.slice(i, i + MAX_REPORTS).map((report) => ({ ...report })));
  }
}

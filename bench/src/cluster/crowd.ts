import { freemem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sleep } from '../lib/context.js';
import { startChild, type Child } from '../lib/ipc.js';
import { asLaunched } from '../lib/launcher-env.js';
import { busyCores, cpuTimes, type CpuTimes } from '../lib/machine-load.js';
import { probeOf, type WindowResult } from '../lib/probe.js';
import type { BenchRedis } from '../lib/redis.js';
import type { BeatOps } from '../presence/beat-child.js';
import type { KompartRegistryOps } from '../registry/kompart-registry-child.js';

/**
 * A crowd of peers holding heartbeat streams on three registry replicas that share one
 * Redis: each replica makes its share of the sessions in-process (no RegisterPeer storm)
 * and a few beat processes per replica hold one stream per session on that replica, every
 * beat and ack a real RPC. While the streams are being opened, the sessions are kept alive
 * in-process, so that setting up a crowd larger than one expiry period can hold is no
 * false failure.
 */

export const REPLICA_NAMES = ['A', 'B', 'C'] as const;

export interface CrowdSettings {
  readonly intervalMs: number;
  readonly misses: number;
  readonly beatProcessesPerReplica: number;
  /** Heartbeat streams per HTTP/2 connection of a beat process. */
  readonly streamsPerConnection: number;
  /** Sessions each replica registers at once while filling. */
  readonly populateConcurrency: number;
  /**
   * Streams opened per second on each replica, at most. Opening one costs a replica far more
   * than a beat (a grpc-js call, a Redis claim): opened all at once, they backed up the
   * replica's event loop beyond grpc-js's keepalive timeout (10 s), whose timer then fired
   * before the pings' answers were read, and the replica dropped every connection.
   */
  readonly opensPerSecond: number;
  /** Longest the streams may take to be opened and acked, beyond the time their opening is spread over. */
  readonly setupTimeoutMs: number;
}

/** A crowd that could not be set up, and what the machine looked like then. */
export class CrowdFailure extends Error {}

/** Totals of the beat processes' counters. */
export interface CrowdStatus {
  readonly acked: number;
  readonly ended: number;
  readonly errors: number;
  readonly firstError: string;
  /** Acks received so far by the beat processes of each replica. */
  readonly acksByReplica: readonly number[];
}

export class Crowd {
  #setupMs = 0;
  #setupWindows: Promise<WindowResult[]> | undefined;
  #setupMachine: CpuTimes | undefined;

  private constructor(
    readonly sessions: number,
    readonly replicas: readonly Child<KompartRegistryOps>[],
    readonly targets: readonly string[],
    readonly beaters: readonly { readonly child: Child<BeatOps>; readonly replica: number }[],
  ) {}

  /** From starting the processes to the last stream's first ack. */
  get setupMs(): number {
    return this.#setupMs;
  }

  /** Starts three replicas on `redis` under `prefix`, and `sessions` streams spread evenly over them. */
  static async start(redis: BenchRedis, prefix: string, sessions: number, settings: CrowdSettings, log: (message: string) => void): Promise<Crowd> {
    const started = performance.now();
    const replicas = REPLICA_NAMES.map((name) =>
      startChild<KompartRegistryOps>(
        `replica-${name}`,
        join(__dirname, '..', 'registry', 'kompart-registry-child.js'),
        asLaunched(['--max-old-space-size=8192']),
      ),
    );
    const beaters = REPLICA_NAMES.flatMap((name, replica) =>
      Array.from({ length: settings.beatProcessesPerReplica }, (_, i) => ({
        child: startChild<BeatOps>(`beat-${name}${i}`, join(__dirname, '..', 'presence', 'beat-child.js'), asLaunched(['--max-old-space-size=8192'])),
        replica,
      })),
    );
    const stopAll = (): void => {
      for (const child of [...replicas, ...beaters.map((b) => b.child)]) child.kill('SIGKILL');
    };
    try {
      const targets = await Promise.all(
        replicas.map(async (replica, i) => {
          const store = { url: redis.url, prefix, origin: REPLICA_NAMES[i]! };
          const started = await replica.call('start', {
            heartbeatIntervalMs: settings.intervalMs,
            heartbeatMisses: settings.misses,
            store,
            logAs: `replica ${REPLICA_NAMES[i]}`,
          });
          return started.target;
        }),
      );
      const crowd = new Crowd(sessions, replicas, targets, beaters);
      await crowd.fill(settings, log);
      crowd.#setupMs = performance.now() - started;
      return crowd;
    } catch (error) {
      stopAll();
      throw error;
    }
  }

  /** Makes the sessions, hands them to the beat processes and waits until every stream was acked. */
  private async fill(settings: CrowdSettings, log: (message: string) => void): Promise<void> {
    const perReplica = Math.ceil(this.sessions / this.replicas.length);
    const shares = this.replicas.map((_, r) => ({ offset: r * perReplica, count: Math.max(0, Math.min(perReplica, this.sessions - r * perReplica)) }));
    const perProcess = Math.ceil(perReplica / settings.beatProcessesPerReplica);
    await Promise.all(
      this.beaters.map(({ child, replica }) =>
        child.call('connect', { target: this.targets[replica]!, channels: Math.max(1, Math.ceil(perProcess / settings.streamsPerConnection)) }),
      ),
    );
    const keeper = this.keepAlive(settings.intervalMs / 2);
    // The replicas' own view of the set-up (CPU, event-loop delay), to explain a failure.
    await Promise.all(this.replicas.map((replica) => probeOf(replica).call('windowStart', { sampleMs: 500 })));
    this.#setupMachine = cpuTimes();
    try {
      const machine = cpuTimes();
      const filled = performance.now();
      const populations = await Promise.all(
        this.replicas.map((replica, r) =>
          replica.call('populate', {
            peers: shares[r]!.count,
            filesPerPeer: 0,
            group: 1,
            offset: shares[r]!.offset,
            concurrency: settings.populateConcurrency,
          }),
        ),
      );
      log(
        `  ${this.sessions.toLocaleString('en-US')} sessions made in ${((performance.now() - filled) / 1000).toFixed(1)} s (three replicas at once, in-process); machine ${busyCores(machine, cpuTimes()).toFixed(2)} cores busy`,
      );
      await Promise.all(
        this.beaters.map(({ child, replica }, b) => {
          const i = b % settings.beatProcessesPerReplica;
          return child.call('adopt', { sessions: populations[replica]!.sessions.slice(i * perProcess, (i + 1) * perProcess) });
        }),
      );
      const spreadMs = Math.max(settings.intervalMs, (perReplica / settings.opensPerSecond) * 1000);
      await Promise.all(this.beaters.map(({ child }) => child.call('open', { intervalMs: settings.intervalMs, spreadMs })));
      await this.untilAcked(spreadMs + settings.setupTimeoutMs, log);
    } catch (error) {
      if (error instanceof CrowdFailure) throw new CrowdFailure(`${error.message}; ${await this.setupSeen()}`);
      throw error;
    } finally {
      await keeper.stop();
      await this.setupSeen().catch(() => undefined);
    }
  }

  /** Closes the set-up windows of the replicas (once): their CPU and worst event-loop delay meanwhile. */
  private async setupSeen(): Promise<string> {
    this.#setupWindows ??= Promise.all(this.replicas.map((replica) => probeOf(replica).call('windowStop')));
    const windows = await this.#setupWindows;
    const machine = this.#setupMachine === undefined ? Number.NaN : busyCores(this.#setupMachine, cpuTimes());
    return `during set-up the machine was ${machine.toFixed(2)} of 2 cores busy, the replicas used ${windows.map((w) => `${(w.coreShare * 100).toFixed(0)} %`).join(' / ')} of a core, worst event-loop delay ${windows.map((w) => `${(w.loopDelayMax / 1000).toFixed(1)} s`).join(' / ')}`;
  }

  /** Every `periodMs`, counts a beat in-process for every session made so far (set-up only). */
  private keepAlive(periodMs: number): { stop(): Promise<void> } {
    let running = true;
    const loop = (async () => {
      while (running) {
        await sleep(periodMs);
        if (running) await Promise.all(this.replicas.map((replica) => replica.call('touchPopulated')));
      }
    })();
    return {
      stop: async () => {
        running = false;
        await loop;
      },
    };
  }

  private async untilAcked(timeoutMs: number, log: (message: string) => void): Promise<void> {
    const started = performance.now();
    let machine = cpuTimes();
    for (let polls = 1; ; polls++) {
      const status = await this.status();
      if (status.errors > 0) throw new CrowdFailure(`${status.errors} heartbeat streams failed, first: ${status.firstError}`);
      if (status.acked >= this.sessions) return;
      const waited = performance.now() - started;
      if (waited > timeoutMs) {
        throw new CrowdFailure(
          `only ${status.acked.toLocaleString('en-US')} of ${this.sessions.toLocaleString('en-US')} streams acknowledged after ${(waited / 1000).toFixed(0)} s (machine ${busyCores(machine, cpuTimes()).toFixed(2)} cores busy over the last seconds, ${(freemem() / 2 ** 30).toFixed(1)} GiB free)`,
        );
      }
      if (polls % 10 === 0) log(`  … ${status.acked.toLocaleString('en-US')} streams acknowledged after ${(waited / 1000).toFixed(0)} s`);
      machine = cpuTimes();
      await sleep(1000);
    }
  }

  async status(): Promise<CrowdStatus> {
    const statuses = await Promise.all(this.beaters.map(({ child }) => child.call('status')));
    const acksByReplica = this.replicas.map((_, r) => statuses.reduce((sum, s, b) => sum + (this.beaters[b]!.replica === r ? s.acks : 0), 0));
    return {
      acked: statuses.reduce((sum, s) => sum + s.acked, 0),
      ended: statuses.reduce((sum, s) => sum + s.ended, 0),
      errors: statuses.reduce((sum, s) => sum + s.errors, 0),
      firstError: statuses.find((s) => s.firstError !== '')?.firstError ?? '',
      acksByReplica,
    };
  }

  /** Kills everything: the replicas first (were the crowd to leave first, each departure would be pushed to every stream). */
  stop(): void {
    for (const replica of this.replicas) replica.kill('SIGKILL');
    for (const { child } of this.beaters) child.kill('SIGKILL');
  }
}

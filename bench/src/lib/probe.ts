import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { constants as perfConstants, monitorEventLoopDelay, performance, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import type { Child, Handlers } from './ipc.js';

/**
 * Measurements a server child takes of itself: memory, CPU over a window, event-loop delay
 * and, on request, a V8 CPU profile of a window (the same sampler as `node --cpu-prof`, but
 * started and stopped around the measured phase so that set-up work stays out of it).
 */

export interface Usage {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
  /** Peak resident set of the whole process life, bytes (getrusage ru_maxrss). */
  readonly maxRss: number;
}

export interface WindowResult {
  readonly ms: number;
  /** CPU time (user + system) over the window as a share of one core (1 = 100 %). */
  readonly coreShare: number;
  /** The user-mode part of coreShare (the rest is time in the kernel for this process). */
  readonly userShare: number;
  /** Highest RSS sampled during the window, bytes. */
  readonly peakRss: number;
  readonly endRss: number;
  readonly maxRss: number;
  /** Event-loop delay percentiles over the window, ms. */
  readonly loopDelayP50: number;
  readonly loopDelayP99: number;
  readonly loopDelayMax: number;
  /** Minor page faults over the window (first touches of fresh memory: allocation churn). */
  readonly minorFaults: number;
  /** Full (mark-compact) garbage collections over the window, and their pauses in all, ms. */
  readonly majorGcs: number;
  readonly majorGcMs: number;
}

export function usage(): Usage {
  const memory = process.memoryUsage();
  return {
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    external: memory.external,
    arrayBuffers: memory.arrayBuffers,
    maxRss: process.resourceUsage().maxRSS * 1024,
  };
}

/** Operations `windowStart` / `windowStop` / `usage` / `profileStart` / `profileStop`. */
export function probeHandlers() {
  let window:
    | {
        started: number;
        cpu: NodeJS.CpuUsage;
        faults: number;
        peakRss: number;
        sampler: NodeJS.Timeout;
        delay: ReturnType<typeof monitorEventLoopDelay>;
        gcs: PerformanceObserver;
        majorGcs: number;
        majorGcMs: number;
      }
    | undefined;
  let session: Session | undefined;

  return {
    usage: () => usage(),

    gc: () => {
      (globalThis as { gc?: () => void }).gc?.();
      return usage();
    },

    windowStart: (args: { sampleMs?: number } | undefined) => {
      const delay = monitorEventLoopDelay({ resolution: 10 });
      delay.enable();
      const state = {
        started: performance.now(),
        cpu: process.cpuUsage(),
        faults: process.resourceUsage().minorPageFault,
        peakRss: process.memoryUsage.rss(),
        sampler: setInterval(() => {
          state.peakRss = Math.max(state.peakRss, process.memoryUsage.rss());
        }, args?.sampleMs ?? 20),
        delay,
        gcs: new PerformanceObserver((list) => countMajorGcs(state, list.getEntries())),
        majorGcs: 0,
        majorGcMs: 0,
      };
      state.gcs.observe({ entryTypes: ['gc'] });
      window = state;
    },

    windowStop: (): WindowResult => {
      if (window === undefined) throw new Error('no window open');
      const { started, cpu, faults, sampler, delay, gcs } = window;
      const ms = performance.now() - started;
      // Entries still buffered in the observer belong to the window too.
      countMajorGcs(window, gcs.takeRecords());
      gcs.disconnect();
      const used = process.cpuUsage(cpu);
      clearInterval(sampler);
      delay.disable();
      const endRss = process.memoryUsage.rss();
      const result: WindowResult = {
        ms,
        coreShare: (used.user + used.system) / 1000 / ms,
        userShare: used.user / 1000 / ms,
        peakRss: Math.max(window.peakRss, endRss),
        endRss,
        maxRss: process.resourceUsage().maxRSS * 1024,
        loopDelayP50: delay.percentile(50) / 1e6,
        loopDelayP99: delay.percentile(99) / 1e6,
        loopDelayMax: delay.max / 1e6,
        minorFaults: process.resourceUsage().minorPageFault - faults,
        majorGcs: window.majorGcs,
        majorGcMs: window.majorGcMs,
      };
      window = undefined;
      return result;
    },

    profileStart: async (args: { intervalUs?: number } | undefined) => {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: args?.intervalUs ?? 500 });
      await session.post('Profiler.start');
    },

    profileStop: async (args: { file: string }) => {
      if (session === undefined) throw new Error('no profile running');
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      session = undefined;
      await writeFile(args.file, JSON.stringify(profile));
      return args.file;
    },
  } satisfies Handlers;
}

function countMajorGcs(totals: { majorGcs: number; majorGcMs: number }, entries: readonly PerformanceEntry[]): void {
  for (const entry of entries) {
    if ((entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind !== perfConstants.NODE_PERFORMANCE_GC_MAJOR) continue;
    totals.majorGcs++;
    totals.majorGcMs += entry.duration;
  }
}

export type ProbeOps = ReturnType<typeof probeHandlers>;

/** The probe operations of any child that spreads `probeHandlers()` into its own. */
export function probeOf(child: Child<ProbeOps & Handlers> | Child<Handlers>): Pick<Child<ProbeOps>, 'call'> {
  return child as unknown as Pick<Child<ProbeOps>, 'call'>;
}

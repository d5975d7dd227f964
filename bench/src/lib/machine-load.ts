import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The machine is shared: other people's tests run beside the benchmarks. This reads the
 * whole machine's CPU time (/proc/stat) so that each run can say how busy the machine was
 * apart from the benchmark's own processes, and so that the runner can wait for a calmer
 * moment before a measured pair of runs.
 */

export interface CpuTimes {
  readonly busy: number;
  readonly total: number;
}

export function cpuTimes(): CpuTimes {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
    const busy = user + nice + system + irq + softirq + steal;
    return { busy, total: busy + idle + iowait };
  } catch {
    return { busy: 0, total: 0 };
  }
}

/** Cores busy (0..nproc) between two readings. */
export function busyCores(from: CpuTimes, to: CpuTimes): number {
  const total = to.total - from.total;
  return total <= 0 ? Number.NaN : ((to.busy - from.busy) / total) * cpus().length;
}

/**
 * Waits (at most `maxWaitMs`) until the machine has been nearly idle for a second: busy
 * below `maxBusyCores`. Returns the busy cores of the last second seen.
 */
export async function waitForQuiet(maxWaitMs: number, maxBusyCores = 0.3): Promise<number> {
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const before = cpuTimes();
    await sleep(1000);
    const busy = busyCores(before, cpuTimes());
    if (!(busy > maxBusyCores) || Date.now() >= deadline) return busy;
  }
}

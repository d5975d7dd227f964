import { readFileSync } from 'node:fs';

/**
 * CPU time and resident memory of any process of this machine, from /proc: for processes
 * the benchmark cannot ask to measure themselves (redis-server) and for whole children
 * (load generators, crowds of peers), whatever they run.
 */

/** Linux's USER_HZ: /proc reports CPU times in these ticks (100 on every mainstream kernel). */
const TICKS_PER_SECOND = 100;

/** User + system CPU time the process has used so far, ms (10 ms resolution). */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces: the fields that follow start after its ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of proc(5) (utime, stime); the slice starts at field 3.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / TICKS_PER_SECOND;
}

/** Resident set size now, bytes (VmRSS). */
export function processRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  return match === null ? Number.NaN : Number(match[1]) * 1024;
}

/** CPU of a set of processes over a window: call `stop()` at its end. */
export function cpuWindow(pids: readonly number[]): { stop(): { ms: number; cpuMs: number[] } } {
  const started = performance.now();
  const before = pids.map(processCpuMs);
  return {
    stop: () => ({ ms: performance.now() - started, cpuMs: pids.map((pid, i) => processCpuMs(pid) - before[i]!) }),
  };
}

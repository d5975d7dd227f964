import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatProfile, summarizeProfile } from './cpu-profile.js';
import { busyCores, cpuTimes, waitForQuiet } from './machine-load.js';
import type { Row } from './report.js';

/** What every suite gets from the runner. */
export interface BenchContext {
  readonly quick: boolean;
  /** Overrides the suite's number of A/B rounds when set. */
  readonly rounds: number | undefined;
  /** Take CPU profiles (separate runs, never the measured ones). */
  readonly profile: boolean;
  readonly outDir: string;
  /** Temporary files (transfer sources and destinations); same disk as the repo. */
  readonly tmpDir: string;
  readonly populate: 'direct' | 'rpc';
  /** Transfer sizes in GiB (full run). */
  readonly sizesGiB: readonly number[];
  log(message: string): void;
  /** Keeps a profile summary for the final report. */
  addProfile(name: string, text: string): void;
}

export type Suite = (context: BenchContext) => Promise<Row[]>;

export function profileDir(context: BenchContext): string {
  const dir = join(context.outDir, 'profiles');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Summarizes a .cpuprofile, logs it and keeps it for the report. */
export async function reportProfile(context: BenchContext, name: string, file: string): Promise<void> {
  const text = formatProfile(await summarizeProfile(file));
  context.log(`${name}\n${text}`);
  context.addProfile(name, text);
}

/**
 * Summarizes every .cpuprofile in `dir` (one process's, written by `node --cpu-prof
 * --cpu-prof-dir=dir` under Node's default names, which end in `.<pid>.<thread id>.<seq>`),
 * main thread first, each as its own report. A fixed `--cpu-prof-name` would not do for a
 * process with worker threads: every thread writes under that name and the last to exit wins.
 */
export async function reportThreadProfiles(context: BenchContext, name: string, dir: string): Promise<void> {
  const threadOf = (file: string): number => Number(/\.(\d+)\.\d+\.cpuprofile$/.exec(file)?.[1] ?? 0);
  const files = readdirSync(dir)
    .filter((file) => file.endsWith('.cpuprofile'))
    .sort((a, b) => threadOf(a) - threadOf(b));
  for (const file of files) {
    const thread = threadOf(file) === 0 ? 'main thread' : `worker thread ${threadOf(file)}`;
    await reportProfile(context, `${name}, ${thread}`, join(dir, file));
  }
}

/** A run's result plus how busy the whole machine was meanwhile (cores, benchmark included). */
export type Observed<T> = T & { readonly machineBusy: number };

/**
 * Runs the variants in alternation (A B A B …) for `rounds` rounds and returns each
 * variant's results in order, so that slow drifts of a shared machine hit both alike.
 * Before each round it waits (up to 60 s) for the machine to be nearly idle; `before`
 * runs, untimed, before every single run (the transfer suite writes dirty pages back).
 */
export async function alternate<T extends object>(
  rounds: number,
  variants: readonly { readonly name: string; run(round: number): Promise<T> }[],
  log: (message: string) => void,
  describe: (result: T) => string,
  options: { readonly before?: () => Promise<void> } = {},
): Promise<Map<string, Observed<T>[]>> {
  const results = new Map<string, Observed<T>[]>(variants.map((variant) => [variant.name, []]));
  for (let round = 0; round < rounds; round++) {
    const idle = await waitForQuiet(60_000);
    if (idle > 0.3) log(`  (machine still busy before round ${round + 1}: ${idle.toFixed(2)} cores in use by others)`);
    // Each round starts one variant later and every other round runs backwards (A B C,
    // C B A, C A B, B A C, …): no variant always runs first, or always right after the
    // same neighbour.
    const rotated = variants.map((_, index) => variants[(index + round) % variants.length]!);
    const order = round % 2 === 1 ? rotated.reverse() : rotated;
    for (const variant of order) {
      await options.before?.();
      const before = cpuTimes();
      const result = await variant.run(round);
      const machineBusy = busyCores(before, cpuTimes());
      results.get(variant.name)!.push({ ...result, machineBusy });
      log(`  round ${round + 1}/${rounds} ${variant.name}: ${describe(result)}; machine ${machineBusy.toFixed(2)} cores busy`);
    }
  }
  return results;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

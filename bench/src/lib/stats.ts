/** Small statistics helpers: every figure is a median over alternating runs. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile (p in 0..100) of the first `count` values of `samples`. */
export function percentile(samples: ArrayLike<number>, count: number, p: number): number {
  if (count === 0) return Number.NaN;
  const sorted = Float64Array.from({ length: count }, (_, i) => samples[i]!).sort();
  const rank = Math.min(count, Math.max(1, Math.ceil((p / 100) * count)));
  return sorted[rank - 1]!;
}

export interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export function summarizeLatencies(samples: Float64Array, count: number): LatencySummary {
  if (count === 0) return { p50: Number.NaN, p90: Number.NaN, p99: Number.NaN, max: Number.NaN };
  const sorted = samples.subarray(0, count).slice().sort();
  const at = (p: number): number => sorted[Math.min(count, Math.max(1, Math.ceil((p / 100) * count))) - 1]!;
  return { p50: at(50), p90: at(90), p99: at(99), max: sorted[count - 1]! };
}

/** Median of one field over a list of runs. */
export function medianOf<T>(runs: readonly T[], pick: (run: T) => number): number {
  return median(runs.map(pick));
}

/** Min–max spread of one field, for the notes ("runs ranged from … to …"). */
export function spread<T>(runs: readonly T[], pick: (run: T) => number): { min: number; max: number } {
  const values = runs.map(pick);
  return { min: Math.min(...values), max: Math.max(...values) };
}

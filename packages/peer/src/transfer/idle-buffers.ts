/**
 * Buffers of one size kept for reuse by the whole process, at most `keep` of them idle.
 *
 * Transfer buffers are shared across calls rather than dropped with each call: the
 * `kompart` launcher makes full garbage collections rare (BENCHMARKS.md, item 1), so
 * buffers dropped at the end of every Download waited for one, and a peer's RSS grew with
 * every download (BENCHMARKS.md, "Tuning constants"). Used by the holder's chunk buffers
 * (ChunkBufferPool); the downloader's receive buffers are a budget of their own
 * (receive-budget.ts).
 */
export class IdleBuffers {
  readonly #free: Buffer[] = [];

  constructor(
    readonly bytes: number,
    readonly keep: number,
  ) {}

  /** An idle buffer of `bytes`, or a new one; a request for more than `bytes` gets a buffer of its own. */
  take(length = this.bytes): Buffer {
    if (length > this.bytes) return this.#allocate(length);
    return this.#free.pop() ?? this.#allocate(this.bytes);
  }

  /** Keeps `buffer` for the next `take` (unless it is of another size or enough are idle). */
  give(buffer: Buffer): void {
    if (buffer.length === this.bytes && this.#free.length < this.keep) this.#free.push(buffer);
  }

  #allocate(length: number): Buffer {
    return Buffer.allocUnsafe(length);
  }
}

const BY_KIND = new Map<number, IdleBuffers>();

/** The process's idle buffers of `bytes` (created on first use with room for `keep`). */
export function idleBuffers(bytes: number, keep: number): IdleBuffers {
  let idle = BY_KIND.get(bytes);
  if (idle === undefined) BY_KIND.set(bytes, (idle = new IdleBuffers(bytes, keep)));
  return idle;
}

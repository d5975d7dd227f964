/**
 * Buffers of one size kept for reuse by the whole process, at most `keep` of them idle.
 *
 * Transfer buffers are shared across calls rather than dropped with each call: the
 * `kompart` launcher makes full garbage collections rare (BENCHMARKS.md, item 1), so
 * buffers dropped at the end of every Download waited for one, and a peer's RSS grew by
 * 1.5-2.5 MB per download over ten 1 GiB downloads. Used by the holder's chunk buffers
 * (ChunkBufferPool) and the downloader's receive buffers (grpc-download-source.ts).
 *
 * `shared` buffers live in SharedArrayBuffers, so that a worker thread can read them in
 * place (the downloader's writer thread, part-writer.ts); they start zeroed.
 */
export class IdleBuffers {
  readonly #free: Buffer[] = [];

  constructor(
    readonly bytes: number,
    readonly keep: number,
    readonly shared = false,
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
    return this.shared ? Buffer.from(new SharedArrayBuffer(length)) : Buffer.allocUnsafe(length);
  }
}

const BY_KIND = new Map<string, IdleBuffers>();

/** The process's idle buffers of `bytes`, shared or not (created on first use with room for `keep`). */
export function idleBuffers(bytes: number, keep: number, shared = false): IdleBuffers {
  const kind = `${bytes}${shared ? ' shared' : ''}`;
  let idle = BY_KIND.get(kind);
  if (idle === undefined) BY_KIND.set(kind, (idle = new IdleBuffers(bytes, keep, shared)));
  return idle;
}

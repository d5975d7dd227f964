/**
 * The receive buffers of every Download of the process, as one budget: at most `count`
 * buffers of `bytes` exist, each made once (in a SharedArrayBuffer, so that the
 * downloader's writer thread can write from it in place) and used again and again.
 *
 * Why a budget and not buffers made on demand: a swarm download reads from up to eight
 * holders at once, each with chunks queued and writes in flight, and buffers made for a
 * peak and then dropped wait for a full garbage collection, which the `kompart` launcher
 * makes rare: a swarm's RSS grew with its holders that way (BENCHMARKS.md, "Swarm
 * downloads", memory). With the budget, the bytes received but
 * not yet written are at most `count` x `bytes` whatever the number of holders: a call
 * that finds every buffer in use pauses its stream (HTTP/2 flow control then holds the
 * holder back) until one is given back.
 *
 * A buffer that a consumer forgets to give back is not lost to the budget for good: once
 * it is garbage, a FinalizationRegistry returns its place.
 */
export class ReceiveBudget {
  readonly #free: Buffer[] = [];
  #made = 0;
  #out = 0;
  readonly #waiters = new Set<() => void>();
  /** Buffers handed out, until given back; a collected one gives its place back. */
  readonly #lost = new FinalizationRegistry<undefined>(() => {
    this.#made -= 1;
    this.#returned();
  });

  constructor(
    readonly bytes: number,
    readonly count: number,
  ) {}

  /** Buffers handed out and not given back yet. */
  get outstanding(): number {
    return this.#out;
  }

  /** A buffer of `bytes`, or undefined when all `count` are in use (see whenFree). */
  take(): Buffer | undefined {
    let buffer = this.#free.pop();
    if (buffer === undefined) {
      if (this.#made >= this.count) return undefined;
      this.#made += 1;
      buffer = Buffer.from(new SharedArrayBuffer(this.bytes));
    }
    this.#out += 1;
    this.#lost.register(buffer, undefined, buffer);
    return buffer;
  }

  /** Gives back a buffer from `take` (once); waiters are told. */
  give(buffer: Buffer): void {
    if (!this.#lost.unregister(buffer)) return;
    this.#free.push(buffer);
    this.#returned();
  }

  /**
   * Calls `wake` once the next buffer is given back (or a lost one's place returns); each
   * waiter tries again then, and waits again if another took it first. Returns a function
   * that cancels the wait.
   */
  whenFree(wake: () => void): () => void {
    this.#waiters.add(wake);
    return () => this.#waiters.delete(wake);
  }

  #returned(): void {
    this.#out -= 1;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }
}

/**
 * Copies `source[start, end)` into the receive buffer `target` at `at`. Not Buffer#copy:
 * V8 copies into a SharedArrayBuffer with relaxed atomic stores, byte by byte when the two
 * offsets are not equally aligned, which received frames never are: 0.5-0.7 s per GiB
 * against 0.035 s for a plain memcpy (BENCHMARKS.md, "Tuning constants"). Buffer#fill
 * with a buffer as the value, over a range of exactly that value's length, is one native
 * memcpy.
 */
export function copyInto(target: Buffer, at: number, source: Buffer, start: number, end: number): void {
  if (end > start) target.fill(source.subarray(start, end), at, at + (end - start));
}

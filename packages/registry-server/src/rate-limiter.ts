import { systemClock, type Clock } from '@kompart/core';

/**
 * A token bucket per key: `ratePerSecond` requests a second on average, bursts of up to
 * `burst`. Buckets of keys that are gone are dropped with `forget`; every PRUNE_EVERY takes,
 * buckets that have filled up again are dropped too (a full bucket is what a new key gets),
 * so keys that come once and never again (source addresses) do not pile up.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private takes = 0;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Takes one token for `key`; false when the bucket is empty. Always true when the rate is 0 (off). */
  take(key: string): boolean {
    if (this.ratePerSecond <= 0) return true;
    const now = this.clock.now();
    if (++this.takes % PRUNE_EVERY === 0) this.prune(now);
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) * this.ratePerSecond) / 1000);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Puts back a token `take` took for `key` (the call it admitted did not happen). */
  giveBack(key: string): void {
    const bucket = this.buckets.get(key);
    if (bucket !== undefined) bucket.tokens = Math.min(this.burst, bucket.tokens + 1);
  }

  forget(key: string): void {
    this.buckets.delete(key);
  }

  /** Keys with a bucket now (pruned ones are gone). */
  get size(): number {
    return this.buckets.size;
  }

  private prune(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) * this.ratePerSecond) / 1000 >= this.burst) this.buckets.delete(key);
    }
  }
}

/** Takes between two sweeps for full buckets. */
const PRUNE_EVERY = 4096;

/**
 * Buckets of `perMinute` takes a minute per key, with bursts of as many (RegisterPeer calls
 * per source): a RateLimiter, made again (all buckets full) when the rate asked for changes.
 */
export class MinuteBuckets {
  #limiter: RateLimiter | undefined;
  #perMinute = 0;

  constructor(private readonly clock: Clock = systemClock) {}

  /** Takes one of `key`'s `perMinute` calls; false when its bucket is empty; always true when `perMinute` is 0 (off). */
  take(key: string, perMinute: number): boolean {
    if (perMinute <= 0) return true;
    if (this.#limiter === undefined || perMinute !== this.#perMinute) {
      this.#limiter = new RateLimiter(perMinute / 60, perMinute, this.clock);
      this.#perMinute = perMinute;
    }
    return this.#limiter.take(key);
  }

  /** Puts back the call `take` just admitted for `key`. */
  giveBack(key: string): void {
    this.#limiter?.giveBack(key);
  }
}

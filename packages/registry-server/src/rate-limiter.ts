import { systemClock, type Clock } from '@kompart/core';

/**
 * A token bucket per key: `ratePerSecond` requests a second on average, bursts of up to
 * `burst`. Buckets of keys that are gone are dropped with `forget`.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Takes one token for `key`; false when the bucket is empty. Always true when the rate is 0 (off). */
  take(key: string): boolean {
    if (this.ratePerSecond <= 0) return true;
    const now = this.clock.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) * this.ratePerSecond) / 1000);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  forget(key: string): void {
    this.buckets.delete(key);
  }
}

import { FakeClock } from '@kompart/core/testing';
import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('allows a burst, then the sustained rate, per key', async () => {
    const clock = new FakeClock(0);
    const limiter = new RateLimiter(10, 3, clock);
    expect([1, 2, 3, 4].map(() => limiter.take('a'))).toEqual([true, true, true, false]);
    expect(limiter.take('b')).toBe(true);
    await clock.advance(100); // one token back at 10/s
    expect(limiter.take('a')).toBe(true);
    expect(limiter.take('a')).toBe(false);
    await clock.advance(10_000);
    expect([1, 2, 3, 4].map(() => limiter.take('a'))).toEqual([true, true, true, false]);
  });

  it('is off at rate 0', () => {
    const limiter = new RateLimiter(0, 0);
    expect(Array.from({ length: 1000 }, () => limiter.take('a')).every(Boolean)).toBe(true);
  });
});

import { backoffDelay, validateBackoff } from './backoff.js';

describe('backoffDelay', () => {
  const options = { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0 };

  it('doubles up to the maximum', () => {
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(options, attempt))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('spreads by the jitter and never exceeds the maximum', () => {
    const jittered = { ...options, jitter: 0.5 };
    expect(backoffDelay(jittered, 1, () => 0)).toBe(50);
    expect(backoffDelay(jittered, 1, () => 0.999999)).toBe(150);
    expect(backoffDelay(jittered, 10, () => 0.999999)).toBe(1000);
  });

  it('rejects contradictions', () => {
    expect(() => validateBackoff({ ...options, maxMs: 10 })).toThrow(RangeError);
    expect(() => validateBackoff({ ...options, factor: 0.5 })).toThrow(RangeError);
    expect(() => validateBackoff({ ...options, jitter: 2 })).toThrow(RangeError);
  });
});

import { randomBytes } from 'node:crypto';
import { ReceiveBudget, copyInto } from './receive-budget';

describe('ReceiveBudget', () => {
  it('hands out at most `count` buffers, each made once and used again', () => {
    const budget = new ReceiveBudget(1024, 2);
    const a = budget.take()!;
    const b = budget.take()!;
    expect(a.length).toBe(1024);
    expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(budget.take()).toBeUndefined();
    expect(budget.outstanding).toBe(2);
    budget.give(a);
    expect(budget.take()).toBe(a);
    budget.give(a);
    budget.give(b);
    expect(budget.outstanding).toBe(0);
  });

  it('wakes every waiter when a buffer comes back; a cancelled wait is not woken', () => {
    const budget = new ReceiveBudget(16, 1);
    const only = budget.take()!;
    const woken: string[] = [];
    budget.whenFree(() => woken.push('first'));
    const cancel = budget.whenFree(() => woken.push('cancelled'));
    budget.whenFree(() => woken.push('second'));
    cancel();
    budget.give(only);
    expect(woken).toEqual(['first', 'second']);
    // Waiters are told once: the next give wakes nobody.
    budget.give(budget.take()!);
    expect(woken).toEqual(['first', 'second']);
  });

  it('ignores a buffer given back twice, or one it never handed out', () => {
    const budget = new ReceiveBudget(16, 1);
    const only = budget.take()!;
    budget.give(only);
    budget.give(only);
    budget.give(Buffer.alloc(16));
    expect(budget.outstanding).toBe(0);
    expect(budget.take()).toBe(only);
    expect(budget.take()).toBeUndefined();
  });
});

describe('copyInto', () => {
  it('copies a range of any alignment into a shared buffer, and nothing for an empty range', () => {
    const source = randomBytes(70_000);
    const target = Buffer.from(new SharedArrayBuffer(80_000));
    for (const [at, start, end] of [
      [0, 0, 16_384],
      [5, 3, 16_387],
      [20_001, 9, 9 + 40_000],
      [79_999, 100, 101],
    ] as const) {
      copyInto(target, at, source, start, end);
      expect(target.subarray(at, at + end - start).equals(source.subarray(start, end))).toBe(true);
    }
    const before = Buffer.from(target);
    copyInto(target, 10, source, 50, 50);
    expect(target.equals(before)).toBe(true);
    // Bytes beside the range stay as they were.
    const fresh = Buffer.from(new SharedArrayBuffer(10));
    copyInto(fresh, 3, Buffer.from('abcdef'), 1, 4);
    expect([...fresh]).toEqual([0, 0, 0, 98, 99, 100, 0, 0, 0, 0]);
  });
});

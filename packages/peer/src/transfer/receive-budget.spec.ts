import { ReceiveBudget } from './receive-budget';

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

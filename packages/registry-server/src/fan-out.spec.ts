import { FanOut } from './fan-out.js';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('FanOut', () => {
  const targets = (count: number, from = 0): number[] => Array.from({ length: count }, (_, i) => from + i);

  it('writes a broadcast to no more than a slice of targets at once, as a plain loop would', () => {
    const written: [number, string][] = [];
    const done: number[] = [];
    const fanOut = new FanOut<number, string>(
      (target, message) => written.push([target, message]),
      (count) => done.push(count),
      4,
    );
    fanOut.broadcast(targets(4), 'joined');
    expect(written).toEqual(targets(4).map((t) => [t, 'joined']));
    expect(done).toEqual([4]);
    expect(fanOut.queued).toBe(0);
    fanOut.broadcast([], 'nobody');
    expect(done).toEqual([4]);
  });

  it('writes a slice per turn of the event loop, each target hearing the broadcasts in the order they came', async () => {
    const heard = new Map<number, string[]>();
    const done: number[] = [];
    const fanOut = new FanOut<number, string>(
      (target, message) => heard.set(target, [...(heard.get(target) ?? []), message]),
      (count) => done.push(count),
      4,
    );
    fanOut.broadcast(targets(10), 'first');
    // A later broadcast, to a list that has lost target 0 and gained target 10, waits its turn.
    fanOut.broadcast(targets(10, 1), 'second');
    const count = (): number => [...heard.values()].reduce((sum, messages) => sum + messages.length, 0);
    expect(count()).toBe(4);
    expect(fanOut.queued).toBe(2);
    await nextTurn();
    expect(count()).toBe(8);
    await nextTurn();
    // The first broadcast's last two targets, then the second's first two.
    expect(count()).toBe(12);
    expect(done).toEqual([10]);
    while (fanOut.queued > 0) await nextTurn();
    expect(done).toEqual([10, 10]);
    expect(heard.get(0)).toEqual(['first']);
    for (const target of targets(9, 1)) expect(heard.get(target)).toEqual(['first', 'second']);
    expect(heard.get(10)).toEqual(['second']);
  });
});

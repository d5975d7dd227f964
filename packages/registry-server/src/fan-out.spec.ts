import { FanOut } from './fan-out.js';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('FanOut', () => {
  const targets = (count: number, from = 0): number[] => Array.from({ length: count }, (_, i) => from + i);
  /** A FanOut of slices of 4 that records each write and each turn's count. */
  const recorder = () => {
    const writes: [number, string[]][] = [];
    const done: number[] = [];
    const fanOut = new FanOut<number, string>(
      (target, messages) => writes.push([target, [...messages]]),
      (count) => done.push(count),
      4,
    );
    const heard = (target: number): string[] => writes.filter(([t]) => t === target).flatMap(([, messages]) => messages);
    return { writes, done, fanOut, heard };
  };

  it('writes a broadcast to no more than a slice of targets at once, as a plain loop would', () => {
    const { writes, done, fanOut } = recorder();
    fanOut.broadcast(targets(4), 'joined');
    expect(writes).toEqual(targets(4).map((t) => [t, ['joined']]));
    expect(done).toEqual([4]);
    expect(fanOut.queued).toBe(0);
    fanOut.broadcast([], 'nobody');
    expect(done).toEqual([4]);
  });

  it('writes a slice of targets per turn of the event loop, each hearing the broadcasts in the order they came', async () => {
    const { writes, done, fanOut, heard } = recorder();
    fanOut.broadcast(targets(10), 'first');
    // A later broadcast, to a list that has lost target 0 and gained target 10, waits its turn.
    fanOut.broadcast(targets(10, 1), 'second');
    expect(writes.map(([target]) => target)).toEqual([0, 1, 2, 3]);
    // 4-9 wait for both; 1-3, written already, and 10 for the second only, after them.
    expect(fanOut.queued).toBe(10);
    await nextTurn();
    expect(writes.map(([target]) => target)).toEqual(targets(8));
    while (fanOut.queued > 0) await nextTurn();
    expect(heard(0)).toEqual(['first']);
    for (const target of targets(9, 1)) expect(heard(target)).toEqual(['first', 'second']);
    expect(heard(10)).toEqual(['second']);
    // Every message once, in turns of at most 4 targets.
    expect(done.reduce((sum, n) => sum + n, 0)).toBe(20);
    expect(writes.map(([target]) => target)).toEqual([...targets(10), 1, 2, 3, 10]);
  });

  it('writes what waited for a target in one write: a burst costs a write per target, not one per target and broadcast', async () => {
    const { writes, fanOut, heard } = recorder();
    fanOut.broadcast(targets(3), 'a');
    // Later broadcasts of the same turn wait for the next one, and go out together.
    fanOut.broadcast(targets(3), 'b');
    fanOut.broadcast(targets(3), 'c');
    expect(writes).toEqual(targets(3).map((t) => [t, ['a']]));
    await nextTurn();
    expect(writes.slice(3)).toEqual(targets(3).map((t) => [t, ['b', 'c']]));
    // 100 broadcasts to 8 targets in one turn: 8 + 8 writes, in order.
    await nextTurn();
    writes.length = 0;
    for (let n = 0; n < 100; n++) fanOut.broadcast(targets(8), `m${n}`);
    while (fanOut.queued > 0) await nextTurn();
    expect(writes).toHaveLength(12);
    for (const target of targets(8)) expect(heard(target)).toEqual(Array.from({ length: 100 }, (_, n) => `m${n}`));
  });

  it('takes the targets in the order they first had something waiting, a newcomer after those already waiting', async () => {
    const { writes, fanOut } = recorder();
    fanOut.broadcast(targets(4), 'fills the turn');
    fanOut.broadcast([9, 8, 7, 6, 5], 'x');
    fanOut.broadcast([20, 5], 'y');
    await nextTurn();
    expect(writes.slice(4).map(([target, messages]) => `${target}:${messages.join('')}`)).toEqual(['9:x', '8:x', '7:x', '6:x']);
    await nextTurn();
    expect(writes.slice(8).map(([target, messages]) => `${target}:${messages.join('')}`)).toEqual(['5:xy', '20:y']);
  });
});

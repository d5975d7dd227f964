import { FanOut } from './fan-out.js';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('FanOut', () => {
  const targets = (count: number, from = 0): number[] => Array.from({ length: count }, (_, i) => from + i);
  /** A FanOut of slices of 4 that records each write and each turn's count. */
  const recorder = (perMessage?: (target: number) => number) => {
    const writes: [number, string[]][] = [];
    const done: number[] = [];
    const fanOut = new FanOut<number, string>(
      (target, messages) => writes.push([target, [...messages]]),
      (count) => done.push(count),
      4,
      perMessage,
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
    // Targets 4 and 5 have two messages each: the turn's 4.
    expect(writes.map(([target]) => target)).toEqual(targets(6));
    while (fanOut.queued > 0) await nextTurn();
    expect(heard(0)).toEqual(['first']);
    for (const target of targets(9, 1)) expect(heard(target)).toEqual(['first', 'second']);
    expect(heard(10)).toEqual(['second']);
    // Every message once, in turns of at most 4 targets.
    expect(done.reduce((sum, n) => sum + n, 0)).toBe(20);
    expect(writes.map(([target]) => target)).toEqual([...targets(10), 1, 2, 3, 10]);
  });

  it('writes what waited for a target in one write; a batching target counts one message per batch', async () => {
    // Even targets take up to 1,000 messages in one, odd ones each on its own.
    const { writes, done, fanOut, heard } = recorder((target) => (target % 2 === 0 ? 1000 : 1));
    fanOut.broadcast([0, 2], 'a');
    // Later broadcasts of the same turn wait for the next one, and go out together.
    fanOut.broadcast([0, 2], 'b');
    fanOut.broadcast([0, 2], 'c');
    expect(writes).toEqual([
      [0, ['a']],
      [2, ['a']],
    ]);
    await nextTurn();
    expect(writes.slice(2)).toEqual([
      [0, ['b', 'c']],
      [2, ['b', 'c']],
    ]);
    await nextTurn();
    await nextTurn();
    // 100 broadcasts to 8 targets in one turn: a batching target is one message of the
    // slice of 4, the others one each, so no turn sends more than 4 messages.
    writes.length = 0;
    done.length = 0;
    for (let n = 0; n < 100; n++) fanOut.broadcast(targets(8), `m${n}`);
    const sent = (): number => writes.reduce((sum, [target, messages]) => sum + (target % 2 === 0 ? 1 : messages.length), 0);
    let turns = 0;
    let before = sent();
    expect(before).toBeLessThanOrEqual(4);
    while (fanOut.queued > 0) {
      await nextTurn();
      turns++;
      expect(sent() - before).toBeLessThanOrEqual(4);
      before = sent();
    }
    for (const target of targets(8)) expect(heard(target)).toEqual(Array.from({ length: 100 }, (_, n) => `m${n}`));
    // Each batching target got its 100 in at most two messages (the first may have gone out at once).
    for (const target of [0, 2, 4, 6]) expect(writes.filter(([t]) => t === target).length).toBeLessThanOrEqual(2);
    expect(sent()).toBeLessThanOrEqual(8 + 4 * 100);
    expect(done.reduce((sum, n) => sum + n, 0)).toBe(800);
    expect(turns).toBeGreaterThanOrEqual(100);
  });

  it('goes on with a target whose outbox did not fit in a turn before the targets after it', async () => {
    const { writes, fanOut } = recorder();
    for (let n = 0; n < 6; n++) fanOut.broadcast([7, 8], `m${n}`);
    while (fanOut.queued > 0) await nextTurn();
    expect(writes.map(([target, messages]) => `${target}:${messages.join(',')}`)).toEqual(['7:m0', '8:m0', '7:m1,m2,m3,m4', '7:m5', '8:m1,m2,m3', '8:m4,m5']);
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

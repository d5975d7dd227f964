import { FakeClock } from '@kompart/core/testing';
import { describeStoreContract } from '../test/store-contract.js';
import { createMemoryStore } from './memory-store.js';
import type { FileRecord, ListFilter } from './store.js';

describeStoreContract('memory', async () => {
  const clock = new FakeClock();
  const store = createMemoryStore({ clock });
  return { replicas: [store, store], advance: (ms) => clock.advance(ms), close: () => store.close() };
});

const all: ListFilter = { nameContains: '', sha256Prefix: '', holder: '' };
const file = (peer: string, n: number): FileRecord => ({ peer, path: `/d/${n}.bin`, name: `${n}.bin`, sha256: n.toString(16).padStart(64, '0'), size: n });

describe('memory store', () => {
  it('pages in registration order across removals and compactions of its order array', async () => {
    const store = createMemoryStore();
    const peers = ['a', 'b', 'c'];
    for (const id of peers) await store.openSession({ id, target: `${id}:50052`, token: id, since: 0 }, 60_000);
    for (let n = 0; n < 3000; n++) await store.addFile(file(peers[n % 3]!, n), 10_000);
    // Removing two thirds of the files triggers a compaction in the middle of a listing.
    const first = await store.list(0, 10, all, 1000);
    expect(first.files.map((f) => f.size)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await store.closeSession('a', 'a', 'disconnect');
    await store.closeSession('b', 'b', 'disconnect');
    const seen: number[] = [];
    let cursor = first.next;
    while (cursor !== undefined) {
      const page = await store.list(cursor, 100, all, 1000);
      seen.push(...page.files.map((f) => f.size));
      cursor = page.next;
    }
    expect(seen).toEqual(Array.from({ length: 3000 }, (_, n) => n).filter((n) => n >= 10 && n % 3 === 2));
  });

  it('sweeps in deadline order, dropping the heap entries that beats made stale', async () => {
    const clock = new FakeClock(0);
    const store = createMemoryStore({ clock });
    for (let n = 0; n < 50; n++) await store.openSession({ id: `p${n}`, target: `p${n}:50052`, token: `t${n}`, since: 0 }, 1000 + n);
    // Every even peer beats ten times: its old deadlines stay in the heap, stale.
    for (let round = 0; round < 10; round++) {
      await clock.advance(50);
      await store.beat(
        Array.from({ length: 25 }, (_, k) => ({ peer: `p${k * 2}`, token: `t${k * 2}` })),
        1000,
      );
    }
    await clock.advance(560);
    expect(await store.sweep(1000, { expiryMs: 1000, outageMs: 5000 })).toBe(25);
    expect((await store.counts()).peers).toBe(25);
    expect(await store.session('p1')).toBeUndefined();
    expect(await store.session('p0')).toBeDefined();
  });
});

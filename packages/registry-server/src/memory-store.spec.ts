import { createMemoryStore } from './memory-store.js';
import type { FileRecord, ListFilter } from './store.js';

const all: ListFilter = { nameContains: '', sha256Prefix: '', holder: '' };
const file = (peer: string, n: number): FileRecord => ({ peer, path: `/d/${n}.bin`, name: `${n}.bin`, sha256: n.toString(16).padStart(64, '0'), size: n });

describe('memory store', () => {
  it('adds a peer once and removes it only with its own token', async () => {
    const store = createMemoryStore();
    expect(await store.addPeer({ id: 'a', token: 't1', since: 0 })).toBe(true);
    expect(await store.addPeer({ id: 'a', token: 't2', since: 0 })).toBe(false);
    expect(await store.removePeer('a', 't2')).toBeUndefined();
    expect(await store.removePeer('a', 't1')).toBe(0);
    expect(await store.getPeer('a')).toBeUndefined();
  });

  it('refuses files of unknown peers, duplicate paths and files past the limit', async () => {
    const store = createMemoryStore();
    expect(await store.addFile(file('a', 1), 10)).toBe('no-peer');
    await store.addPeer({ id: 'a', token: 't', since: 0 });
    expect(await store.addFile(file('a', 1), 2)).toBe('added');
    expect(await store.addFile(file('a', 1), 2)).toBe('exists');
    expect(await store.addFile(file('a', 2), 2)).toBe('added');
    expect(await store.addFile(file('a', 3), 2)).toBe('limit');
    expect(await store.counts()).toEqual({ peers: 1, files: 2 });
  });

  it('pages in registration order across removals and compactions', async () => {
    const store = createMemoryStore();
    const peers = ['a', 'b', 'c'];
    for (const id of peers) await store.addPeer({ id, token: id, since: 0 });
    for (let n = 0; n < 3000; n++) await store.addFile(file(peers[n % 3]!, n), 10_000);
    // Removing two thirds of the files triggers a compaction in the middle of a listing.
    const first = await store.list(0, 10, all, 1000);
    expect(first.files.map((f) => f.size)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await store.removePeer('a', 'a');
    await store.removePeer('b', 'b');
    const seen: number[] = [];
    let cursor = first.next;
    while (cursor !== undefined) {
      const page = await store.list(cursor, 100, all, 1000);
      seen.push(...page.files.map((f) => f.size));
      cursor = page.next;
    }
    expect(seen).toEqual(Array.from({ length: 3000 }, (_, n) => n).filter((n) => n >= 10 && n % 3 === 2));
  });

  it('answers a selective filter with short pages bounded by the scan budget', async () => {
    const store = createMemoryStore();
    await store.addPeer({ id: 'a', token: 't', since: 0 });
    for (let n = 0; n < 500; n++) await store.addFile(file('a', n), 1000);
    const page = await store.list(0, 10, { ...all, nameContains: '499.' }, 100);
    expect(page.files).toEqual([]);
    expect(page.next).toBe(100);
    let cursor: number | undefined = 0;
    const found: string[] = [];
    while (cursor !== undefined) {
      const next: Awaited<ReturnType<typeof store.list>> = await store.list(cursor, 10, { ...all, nameContains: '499.' }, 100);
      found.push(...next.files.map((f) => f.name));
      cursor = next.next;
    }
    expect(found).toEqual(['499.bin']);
  });

  it('finds a peer\'s files by name and by hash prefix', async () => {
    const store = createMemoryStore();
    await store.addPeer({ id: 'a', token: 't', since: 0 });
    await store.addFile(file('a', 0xabc), 10);
    await store.addFile({ ...file('a', 0xabd), name: 'abc.bin', path: '/other/2748.bin' }, 10);
    expect((await store.filesByName('a', '2748.bin')).map((f) => f.path)).toEqual(['/d/2748.bin']);
    expect((await store.filesByHashPrefix('a', '0'.repeat(61) + 'ab')).length).toBe(2);
    expect(await store.filesByHashPrefix('b', '00')).toEqual([]);
  });
});

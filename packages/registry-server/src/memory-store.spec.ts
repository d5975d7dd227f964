import { ListFilesResponse } from '@kompart/protocol';
import { createMemoryStore } from './memory-store.js';
import type { FileRecord, ListFilter } from './store.js';

const all: ListFilter = { nameContains: '', sha256Prefix: '', holder: '' };
const file = (peer: string, n: number): FileRecord => ({ peer, path: `/d/${n}.bin`, name: `${n}.bin`, sha256: n.toString(16).padStart(64, '0'), size: n });

describe('memory store', () => {
  it('adds a peer once and removes it only with its own token', async () => {
    const store = createMemoryStore();
    expect(await store.addPeer({ id: 'a', target: 'a:50052', token: 't1', since: 0 })).toBe(true);
    expect(await store.addPeer({ id: 'a', target: 'a:50052', token: 't2', since: 0 })).toBe(false);
    expect(await store.removePeer('a', 't2')).toBeUndefined();
    expect(await store.removePeer('a', 't1')).toBe(0);
    expect(await store.getPeer('a')).toBeUndefined();
  });

  it('refuses files of unknown peers, duplicate paths and files past the limit', async () => {
    const store = createMemoryStore();
    expect(await store.addFile(file('a', 1), 10)).toBe('no-peer');
    await store.addPeer({ id: 'a', target: 'a:50052', token: 't', since: 0 });
    expect(await store.addFile(file('a', 1), 2)).toBe('added');
    expect(await store.addFile(file('a', 1), 2)).toBe('exists');
    expect(await store.addFile(file('a', 2), 2)).toBe('added');
    expect(await store.addFile(file('a', 3), 2)).toBe('limit');
    expect(await store.counts()).toEqual({ peers: 1, files: 2 });
  });

  it('pages in registration order across removals and compactions', async () => {
    const store = createMemoryStore();
    const peers = ['a', 'b', 'c'];
    for (const id of peers) await store.addPeer({ id, target: `${id}:50052`, token: id, since: 0 });
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
    await store.addPeer({ id: 'a', target: 'a:50052', token: 't', since: 0 });
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
    await store.addPeer({ id: 'a', target: 'a:50052', token: 't', since: 0 });
    await store.addFile(file('a', 0xabc), 10);
    await store.addFile({ ...file('a', 0xabd), name: 'abc.bin', path: '/other/2748.bin' }, 10);
    expect((await store.filesByName('a', '2748.bin')).map((f) => f.path)).toEqual(['/d/2748.bin']);
    expect((await store.filesByHashPrefix('a', '0'.repeat(61) + 'ab')).length).toBe(2);
    expect(await store.filesByHashPrefix('b', '00')).toEqual([]);
  });

  it('hands out every page already encoded, exactly as the generated encoder writes it, through updates, removals and rewrites', async () => {
    // Small chunks, so that a few thousand files fill several and the rewrite happens.
    const store = createMemoryStore({ entryChunkBytes: 64 * 1024 });
    const expectEncoded = async (after: number, limit: number, filter: ListFilter = all): Promise<number | undefined> => {
      const page = await store.list(after, limit, filter, 1_000_000);
      const reference = Buffer.from(ListFilesResponse.encode({ files: page.files.map((f) => ({ ...f })), nextPageToken: '' }).finish());
      expect(Buffer.concat(page.encoded ?? [])).toEqual(reference);
      return page.next;
    };
    for (const id of ['a', 'b']) await store.addPeer({ id, target: `${id}:50052`, token: id, since: 0 });
    // Non-ASCII names and a long path among ordinary ones.
    await store.addFile({ ...file('a', 1), path: '/música/ファイル 🎵.txt', name: 'ファイル 🎵.txt' }, 100_000);
    await store.addFile({ ...file('a', 2), path: `/${'x'.repeat(300)}`, name: 'x'.repeat(300) }, 100_000);
    for (let n = 3; n < 4000; n++) await store.addFile(file(n % 4 === 0 ? 'a' : 'b', n), 100_000);
    await expectEncoded(0, 100);
    // An update in place re-encodes the entry where it stands.
    expect(await store.addFile({ ...file('a', 2), path: `/${'x'.repeat(300)}`, name: 'x'.repeat(300), sha256: 'f'.repeat(64), size: 7 }, 100_000)).toBe('replaced');
    await expectEncoded(0, 100);
    await expectEncoded(0, 50, { ...all, holder: 'b' });
    // Removing a peer drops three quarters of the entries: the order is compacted and the
    // log rewritten.
    await store.removePeer('b', 'b');
    let cursor: number | undefined = 0;
    let pages = 0;
    while (cursor !== undefined) {
      cursor = await expectEncoded(cursor, 400);
      pages++;
    }
    expect(pages).toBe(3);
  });

  it('finds files by base name whether one or several share it, through updates', async () => {
    const store = createMemoryStore();
    await store.addPeer({ id: 'a', target: 'a:50052', token: 't', since: 0 });
    const named = (dir: string, n: number): FileRecord => ({ ...file('a', n), path: `/${dir}/same.bin`, name: 'same.bin' });
    await store.addFile(named('x', 1), 10);
    expect((await store.filesByName('a', 'same.bin')).map((f) => f.size)).toEqual([1]);
    expect(await store.addFile(named('x', 2), 10)).toBe('replaced');
    expect((await store.filesByName('a', 'same.bin')).map((f) => f.size)).toEqual([2]);
    await store.addFile(named('y', 3), 10);
    await store.addFile(named('z', 4), 10);
    expect(await store.addFile(named('y', 5), 10)).toBe('replaced');
    expect((await store.filesByName('a', 'same.bin')).map((f) => f.path)).toEqual(['/x/same.bin', '/y/same.bin', '/z/same.bin']);
    expect((await store.filesByName('a', 'same.bin')).map((f) => f.size)).toEqual([2, 5, 4]);
    expect(await store.filesByName('a', 'other.bin')).toEqual([]);
  });
});

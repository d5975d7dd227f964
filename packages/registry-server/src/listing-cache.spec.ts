import { ListFilesResponse } from '@kompart/protocol';
import { ListingCache } from './listing-cache.js';
import { createMemoryStore } from './memory-store.js';
import type { FileRecord, ListFilter } from './store.js';

const all: ListFilter = { nameContains: '', sha256Prefix: '', holder: '' };
const file = (peer: string, n: number): FileRecord => ({ peer, path: `/d/${n}.bin`, name: `${n}.bin`, sha256: n.toString(16).padStart(64, '0'), size: n });

describe('ListingCache', () => {
  it('hands out every page encoded exactly as the generated encoder writes it, through updates, removals and rewrites', async () => {
    const store = createMemoryStore();
    // Small chunks, so that a few thousand files fill several and the rewrite happens.
    const cache = new ListingCache({ chunkBytes: 64 * 1024 });
    const expectEncoded = async (after: number, limit: number, filter: ListFilter = all): Promise<number | undefined> => {
      const page = await store.list(after, limit, filter, 1_000_000);
      const reference = Buffer.from(
        ListFilesResponse.encode({
          files: page.files.map((f) => ({ peer: f.peer, path: f.path, name: f.name, sha256: f.sha256, size: f.size })),
          nextPageToken: '',
        }).finish(),
      );
      expect(Buffer.concat(cache.views(page.files))).toEqual(reference);
      return page.next;
    };
    for (const id of ['a', 'b']) await store.openSession({ id, target: `${id}:50052`, token: id, since: 0 }, 60_000);
    // Non-ASCII names and a long path among ordinary ones.
    await store.addFile({ ...file('a', 1), path: '/música/ファイル 🎵.txt', name: 'ファイル 🎵.txt' }, 100_000);
    await store.addFile({ ...file('a', 2), path: `/${'x'.repeat(300)}`, name: 'x'.repeat(300) }, 100_000);
    for (let n = 3; n < 4000; n++) await store.addFile(file(n % 4 === 0 ? 'a' : 'b', n), 100_000);
    let cursor: number | undefined = 0;
    while (cursor !== undefined) cursor = await expectEncoded(cursor, 1000);
    expect(cache.size).toBe(3999);
    // An update in place is encoded again, where it stands; the old bytes are never sent.
    expect(await store.addFile({ ...file('a', 2), path: `/${'x'.repeat(300)}`, name: 'x'.repeat(300), sha256: 'f'.repeat(64), size: 7 }, 100_000)).toBe(
      'replaced',
    );
    await expectEncoded(0, 100);
    await expectEncoded(0, 50, { ...all, holder: 'b' });
    // A peer leaving drops three quarters of the entries: the log is rewritten in listing order.
    await store.closeSession('b', 'b', 'disconnect');
    cache.forgetPeer('b');
    expect(cache.size).toBe(1001);
    let pages = 0;
    cursor = 0;
    while (cursor !== undefined) {
      cursor = await expectEncoded(cursor, 400);
      pages++;
    }
    expect(pages).toBe(3);
  });

  it('drops the entry of an unregistered file, and encodes the path registered again as a new entry', async () => {
    const store = createMemoryStore();
    const cache = new ListingCache({ chunkBytes: 4096 });
    await store.openSession({ id: 'a', target: 'a:50052', token: 'a', since: 0 }, 60_000);
    for (let n = 0; n < 200; n++) await store.addFile(file('a', n), 1000);
    const encoded = async (): Promise<Buffer> => Buffer.concat(cache.views((await store.list(0, 1000, all, 1000)).files));
    const reference = async (): Promise<Buffer> => {
      const page = await store.list(0, 1000, all, 1000);
      const files = page.files.map((f) => ({ peer: f.peer, path: f.path, name: f.name, sha256: f.sha256, size: f.size }));
      return Buffer.from(ListFilesResponse.encode({ files, nextPageToken: '' }).finish());
    };
    expect(await encoded()).toEqual(await reference());
    for (let n = 0; n < 150; n++) {
      const removed = await store.removeFile('a', `/d/${n}.bin`);
      cache.forgetFile(removed!.seq);
    }
    cache.forgetFile(123_456);
    expect(cache.size).toBe(50);
    expect(await encoded()).toEqual(await reference());
    await store.addFile({ ...file('a', 7), sha256: 'f'.repeat(64) }, 1000);
    expect(await encoded()).toEqual(await reference());
    expect(cache.size).toBe(51);
  });
});

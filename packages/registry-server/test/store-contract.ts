/**
 * The RegistryStore contract: one suite, run unchanged against every store (memory-store
 * spec, redis-store test). A store under test is given as two replicas on the same shared
 * state (for the memory store, the same object twice) and a way to let its clock move on.
 */
import type { Beat, FileRecord, ListFilter, PeerRecord, RegistryStore, StoreEvent } from '../src/store.js';

export interface StoreUnderTest {
  /** Two replicas of one store. */
  readonly replicas: readonly [RegistryStore, RegistryStore];
  /** Lets at least `ms` pass on the store's clock. */
  readonly advance: (ms: number) => Promise<void>;
  readonly close: () => Promise<void>;
}

const all: ListFilter = { nameContains: '', sha256Prefix: '', holder: '' };
const file = (peer: string, n: number): FileRecord => ({ peer, path: `/d/${n}.bin`, name: `${n}.bin`, sha256: n.toString(16).padStart(64, '0'), size: n });
const session = (id: string, token = `t-${id}`): PeerRecord => ({ id, target: `${id}:50052`, token, since: 1 });
const LONG = 3_600_000;
/** Sweeps count gaps of more than 10 s as outages; none happen in these tests. */
const TIMING = { expiryMs: 300, outageMs: 10_000 };

/** Reads events from a store, after entry `after`, until `count` have arrived (or the test times out). */
async function take(store: RegistryStore, count: number, after: string): Promise<StoreEvent[]> {
  const controller = new AbortController();
  const events: StoreEvent[] = [];
  try {
    for await (const event of store.events(after, controller.signal)) {
      events.push(event);
      if (events.length === count) break;
    }
  } finally {
    controller.abort();
  }
  return events;
}

export function describeStoreContract(name: string, open: () => Promise<StoreUnderTest>): void {
  describe(`RegistryStore contract: ${name}`, () => {
    let under: StoreUnderTest;
    let a: RegistryStore;
    let b: RegistryStore;
    beforeEach(async () => {
      under = await open();
      [a, b] = under.replicas;
    });
    afterEach(async () => {
      await under.close();
    });

    it('makes one identity, the first one asked for, and gives it to every replica', async () => {
      const first = await a.identity(async () => ({ instance: 'i1', ticketKey: 'k1' }));
      expect(first).toEqual({ instance: 'i1', ticketKey: 'k1' });
      expect(await b.identity(async () => ({ instance: 'i2', ticketKey: 'k2' }))).toEqual(first);
    });

    it('adds the TLS identity the first replica that wants one makes, and gives that one to every replica', async () => {
      await a.identity(async () => ({ instance: 'i1', ticketKey: 'k1' }));
      const withTls = await b.identity(async () => ({ instance: 'i2', ticketKey: 'k2', tlsIdentity: 't2' }));
      expect(withTls).toEqual({ instance: 'i1', ticketKey: 'k1', tlsIdentity: 't2' });
      expect(await a.identity(async () => ({ instance: 'i3', ticketKey: 'k3', tlsIdentity: 't3' }))).toEqual(withTls);
      expect(await b.identity(async () => ({ instance: 'i4', ticketKey: 'k4' }))).toEqual(withTls);
    });

    it('opens a session once per address, finds it by address and token on every replica, and ends it only with its own token', async () => {
      expect(await a.openSession(session('p1', 'tok1'), LONG)).toBe('opened');
      expect(await b.openSession(session('p1', 'tok2'), LONG)).toBe('taken');
      expect(await b.session('p1')).toEqual(session('p1', 'tok1'));
      expect(await b.claimSession('tok1', 'b/1')).toEqual(session('p1', 'tok1'));
      expect(await a.claimSession('tok2', 'a/1')).toBeUndefined();
      expect(await b.closeSession('p1', 'tok2', 'disconnect')).toBeUndefined();
      expect(await b.closeSession('p1', 'tok1', 'disconnect')).toBe(0);
      expect(await a.session('p1')).toBeUndefined();
      expect(await a.claimSession('tok1', 'a/2')).toBeUndefined();
      expect(await a.closeSession('p1', 'tok1', 'disconnect')).toBeUndefined();
    });

    it('ends a session by its stream only while that stream holds it: a stream left for another replica ends nothing', async () => {
      await a.openSession(session('p1', 'tok1'), LONG);
      await a.addFile(file('p1', 1), 100);
      expect(await a.claimSession('tok1', 'a/1')).toEqual(session('p1', 'tok1'));
      // The peer resumed on replica b; replica a hears of its old stream's end afterwards.
      expect(await b.claimSession('tok1', 'b/7')).toEqual(session('p1', 'tok1'));
      expect(await a.closeSession('p1', 'tok1', 'stream-closed', 'a/1')).toBeUndefined();
      expect(await a.session('p1')).toEqual(session('p1', 'tok1'));
      expect(await b.counts()).toEqual({ peers: 1, files: 1 });
      expect(await b.closeSession('p1', 'tok1', 'stream-closed', 'b/7')).toBe(1);
      expect(await a.session('p1')).toBeUndefined();
    });

    it('refuses the claim of a stream older than the one holding the session: an open delivered late neither takes it over nor ends it', async () => {
      await a.openSession(session('p1', 'tok1'), LONG);
      expect(await a.claimSession('tok1', 'a/1', 1)).toEqual(session('p1', 'tok1'));
      // The peer gave up on a/1 and resumed on b with its next attempt.
      expect(await b.claimSession('tok1', 'b/1', 3)).toEqual(session('p1', 'tok1'));
      // The open of attempt 2, sent to replica a while it was cut off, arrives now; so does its close.
      expect(await a.claimSession('tok1', 'a/2', 2)).toBeUndefined();
      expect(await a.claimSession('tok1', 'a/3', 3)).toBeUndefined();
      expect(await a.closeSession('p1', 'tok1', 'stream-closed', 'a/2')).toBeUndefined();
      expect(await a.session('p1')).toEqual(session('p1', 'tok1'));
      // A later attempt, or a client that does not count, takes it over.
      expect(await a.claimSession('tok1', 'a/4', 4)).toEqual(session('p1', 'tok1'));
      expect(await b.claimSession('tok1', 'b/2')).toEqual(session('p1', 'tok1'));
      expect(await b.closeSession('p1', 'tok1', 'stream-closed', 'a/4')).toBeUndefined();
      expect(await b.closeSession('p1', 'tok1', 'stream-closed', 'b/2')).toBe(0);
    });

    it('refuses files of unknown peers, duplicate paths and files past the limit; updates a changed file in place', async () => {
      expect(await a.addFile(file('p1', 1), 10)).toBe('no-peer');
      await a.openSession(session('p1'), LONG);
      expect(await a.addFile(file('p1', 1), 2)).toBe('added');
      expect(await b.addFile(file('p1', 1), 2)).toBe('exists');
      expect(await b.addFile(file('p1', 2), 2)).toBe('added');
      expect(await a.addFile(file('p1', 3), 2)).toBe('limit');
      expect(await b.addFile({ ...file('p1', 1), sha256: 'f'.repeat(64), size: 9 }, 2)).toBe('replaced');
      expect(await a.fileByPath('p1', '/d/1.bin')).toMatchObject({ ...file('p1', 1), sha256: 'f'.repeat(64), size: 9 });
      expect(await a.counts()).toEqual({ peers: 1, files: 2 });
      const page = await b.list(0, 10, all, 100);
      expect(page.files.map((f) => [f.path, f.size])).toEqual([
        ['/d/1.bin', 9],
        ['/d/2.bin', 2],
      ]);
      expect(page.files[0]!.seq).toBeLessThan(page.files[1]!.seq);
    });

    it('holds at most maxPeers sessions and maxTotalFiles files over every replica; an update in place counts for neither', async () => {
      expect(await a.openSession(session('p1'), LONG, 2)).toBe('opened');
      expect(await b.openSession(session('p2'), LONG, 2)).toBe('opened');
      expect(await a.openSession(session('p3'), LONG, 2)).toBe('full');
      expect(await b.openSession(session('p1', 'again'), LONG, 2)).toBe('taken');
      expect(await a.addFile(file('p1', 1), 10, 3)).toBe('added');
      expect(await b.addFile(file('p2', 2), 10, 3)).toBe('added');
      expect(await a.addFile(file('p2', 3), 10, 3)).toBe('added');
      expect(await b.addFile(file('p1', 4), 10, 3)).toBe('full');
      expect(await a.addFile({ ...file('p1', 1), sha256: 'f'.repeat(64) }, 10, 3)).toBe('replaced');
      expect(await a.addFile({ ...file('p1', 1), sha256: 'f'.repeat(64) }, 1, 3)).toBe('exists');
      expect(await a.counts()).toEqual({ peers: 2, files: 3 });
      await b.closeSession('p2', 't-p2', 'disconnect');
      expect(await a.openSession(session('p3'), LONG, 2)).toBe('opened');
      expect(await b.addFile(file('p3', 5), 10, 3)).toBe('added');
    });

    it('answers every online holder of a hash or prefix with its piece fields, through updates, removals and departures', async () => {
      const root = 'ab'.repeat(32);
      const shared = (peer: string, n: number, pieces = true): FileRecord => ({
        ...file(peer, 7),
        path: `/s/${n}.bin`,
        name: `${n}.bin`,
        ...(pieces ? { pieceSize: 262144, piecesRoot: root } : {}),
      });
      for (const id of ['p1', 'p2', 'p3']) await a.openSession(session(id), LONG);
      expect(await a.addFile(shared('p1', 1), 10)).toBe('added');
      expect(await b.addFile(shared('p2', 2, false), 10)).toBe('added');
      expect(await a.addFile(shared('p3', 3), 10)).toBe('added');
      await a.addFile(file('p1', 8), 10);
      const hash = file('p1', 7).sha256;
      const found = await b.holders(hash, 10);
      expect(found.map((f) => [f.peer, f.pieceSize, f.piecesRoot])).toEqual([
        ['p1', 262144, root],
        ['p2', undefined, undefined],
        ['p3', 262144, root],
      ]);
      expect((await a.holders(hash.slice(0, 60), 2)).map((f) => f.peer)).toEqual(['p1', 'p2']);
      // A prefix shared by two contents answers both, ordered by hash.
      expect((await a.holders('0'.repeat(60), 10)).map((f) => f.sha256)).toEqual([hash, hash, hash, file('p1', 8).sha256]);
      // Same path and content with piece fields now: updated in place; the same again: exists.
      expect(await b.addFile(shared('p2', 2), 10)).toBe('replaced');
      expect(await a.addFile(shared('p2', 2), 10)).toBe('exists');
      expect((await a.holders(hash, 10)).find((f) => f.peer === 'p2')).toMatchObject({ pieceSize: 262144, piecesRoot: root });
      // Changed content leaves the old hash's holders.
      expect(await a.addFile({ ...shared('p3', 3), sha256: 'e'.repeat(64) }, 10)).toBe('replaced');
      expect((await b.holders(hash, 10)).map((f) => f.peer)).toEqual(['p1', 'p2']);
      expect((await b.holders('e'.repeat(64), 10)).map((f) => f.peer)).toEqual(['p3']);
      await b.removeFile('p1', '/s/1.bin');
      await a.closeSession('p2', 't-p2', 'disconnect');
      expect(await a.holders(hash, 10)).toEqual([]);
      expect(await b.holders('f'.repeat(64), 10)).toEqual([]);
    });

    it('removes one file from every index on every replica, logs it once, and leaves the rest as it was', async () => {
      await a.openSession(session('p1'), LONG);
      await a.openSession(session('p2'), LONG);
      const named = (dir: string, n: number): FileRecord => ({ ...file('p1', n), path: `/${dir}/same.bin`, name: 'same.bin' });
      for (const record of [named('x', 1), named('y', 2), named('z', 3), file('p1', 4), file('p2', 5)]) await a.addFile(record, 10);
      const before = await a.list(0, 10, all, 100);
      const start = await b.logPosition();
      const removed = await b.removeFile('p1', '/y/same.bin');
      expect(removed).toEqual({ ...named('y', 2), seq: before.files[1]!.seq });
      // Gone from the path, name and hash indexes, the listing and the counts, on both replicas.
      for (const store of [a, b]) {
        expect(await store.fileByPath('p1', '/y/same.bin')).toBeUndefined();
        expect((await store.filesByName('p1', 'same.bin')).map((f) => f.path)).toEqual(['/x/same.bin', '/z/same.bin']);
        expect(await store.filesByHashPrefix('p1', named('y', 2).sha256)).toEqual([]);
        expect((await store.list(0, 10, all, 100)).files.map((f) => f.path)).toEqual(['/x/same.bin', '/z/same.bin', '/d/4.bin', '/d/5.bin']);
        expect((await store.list(0, 10, { ...all, nameContains: 'same' }, 100)).files).toHaveLength(2);
        expect(await store.counts()).toEqual({ peers: 2, files: 4 });
      }
      // Nothing registered there (any more), or another peer's path: nothing changes, nothing is logged.
      expect(await a.removeFile('p1', '/y/same.bin')).toBeUndefined();
      expect(await a.removeFile('p2', '/d/4.bin')).toBeUndefined();
      expect(await a.removeFile('nobody', '/d/4.bin')).toBeUndefined();
      expect(await b.counts()).toEqual({ peers: 2, files: 4 });
      // The same path registered again is a new entry, at the end of the order.
      expect(await a.addFile(named('y', 6), 10)).toBe('added');
      const after = await b.list(0, 10, all, 100);
      expect(after.files.map((f) => f.path)).toEqual(['/x/same.bin', '/z/same.bin', '/d/4.bin', '/d/5.bin', '/y/same.bin']);
      expect(after.files[4]!.seq).toBeGreaterThan(before.files[4]!.seq);
      expect((await a.filesByName('p1', 'same.bin')).map((f) => f.size)).toEqual([1, 3, 6]);
      const events = await take(a, 2, start);
      expect(events.map((event) => event.type)).toEqual(['file-unregistered', 'file-registered']);
      expect(events[0]).toMatchObject({ origin: b.origin, file: removed });
      // A peer leaving takes only what is left.
      expect(await b.closeSession('p1', 't-p1', 'disconnect')).toBe(4);
      expect(await a.counts()).toEqual({ peers: 1, files: 1 });
    });

    it('keeps a cursor valid across files unregistered before and after it', async () => {
      await a.openSession(session('p1'), LONG);
      for (let n = 0; n < 30; n++) await a.addFile(file('p1', n), 100);
      const first = await b.list(0, 10, all, 100);
      for (const n of [3, 9, 10, 11, 29]) await (n % 2 === 0 ? a : b).removeFile('p1', `/d/${n}.bin`);
      const rest: number[] = [];
      let cursor = first.next;
      while (cursor !== undefined) {
        const page = await a.list(cursor, 4, all, 100);
        rest.push(...page.files.map((f) => f.size));
        cursor = page.next;
      }
      expect(rest).toEqual(Array.from({ length: 17 }, (_, k) => k + 12));
    });

    it('removes a peer with all its files, and counts what left', async () => {
      await a.openSession(session('p1'), LONG);
      await a.openSession(session('p2'), LONG);
      for (let n = 0; n < 5; n++) await a.addFile(file('p1', n), 10);
      await a.addFile(file('p2', 9), 10);
      expect(await b.closeSession('p1', 't-p1', 'stream-closed')).toBe(5);
      expect(await a.counts()).toEqual({ peers: 1, files: 1 });
      expect(await a.fileByPath('p1', '/d/0.bin')).toBeUndefined();
      expect(await a.filesByName('p1', '0.bin')).toEqual([]);
      expect((await a.list(0, 10, all, 100)).files.map((f) => f.peer)).toEqual(['p2']);
      // The address may register again, with an empty share.
      expect(await a.openSession(session('p1', 'again'), LONG)).toBe('opened');
      expect(await a.counts()).toEqual({ peers: 2, files: 1 });
    });

    it('pages in registration order on any replica, with cursors that survive removals', async () => {
      const peers = ['p1', 'p2', 'p3'];
      for (const id of peers) await a.openSession(session(id), LONG);
      for (let n = 0; n < 300; n++) await (n % 2 === 0 ? a : b).addFile(file(peers[n % 3]!, n), 10_000);
      const first = await a.list(0, 10, all, 1000);
      expect(first.files.map((f) => f.size)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      await b.closeSession('p1', 't-p1', 'disconnect');
      await a.closeSession('p2', 't-p2', 'disconnect');
      const seen: number[] = [];
      let cursor = first.next;
      while (cursor !== undefined) {
        const page = await (seen.length % 2 === 0 ? b : a).list(cursor, 17, all, 1000);
        seen.push(...page.files.map((f) => f.size));
        cursor = page.next;
      }
      expect(seen).toEqual(Array.from({ length: 300 }, (_, n) => n).filter((n) => n >= 10 && n % 3 === 2));
    });

    it('filters by holder, hash prefix and name, in short pages bounded by the scan budget', async () => {
      await a.openSession(session('p1'), LONG);
      await a.openSession(session('p2'), LONG);
      for (let n = 0; n < 200; n++) await a.addFile(file(n % 2 === 0 ? 'p1' : 'p2', n), 1000);
      const page = await a.list(0, 10, { ...all, nameContains: '199.' }, 50);
      expect(page.files).toEqual([]);
      expect(page.next).toBeDefined();
      const walk = async (filter: ListFilter): Promise<number[]> => {
        const found: number[] = [];
        let cursor: number | undefined = 0;
        while (cursor !== undefined) {
          const next: Awaited<ReturnType<RegistryStore['list']>> = await b.list(cursor, 7, filter, 50);
          found.push(...next.files.map((f) => f.size));
          cursor = next.next;
        }
        return found;
      };
      expect(await walk({ ...all, nameContains: '199.' })).toEqual([199]);
      expect(await walk({ ...all, holder: 'p2', nameContains: '9.b' })).toEqual([
        9, 19, 29, 39, 49, 59, 69, 79, 89, 99, 109, 119, 129, 139, 149, 159, 169, 179, 189, 199,
      ]);
      expect(await walk({ ...all, sha256Prefix: '0'.repeat(62) + 'c' })).toEqual([192, 193, 194, 195, 196, 197, 198, 199]);
    });

    it("finds a peer's files by exact name and by hash prefix, through updates", async () => {
      await a.openSession(session('p1'), LONG);
      const named = (dir: string, n: number): FileRecord => ({ ...file('p1', n), path: `/${dir}/same.bin`, name: 'same.bin' });
      await a.addFile(named('x', 1), 10);
      expect((await b.filesByName('p1', 'same.bin')).map((f) => f.size)).toEqual([1]);
      expect(await b.addFile(named('x', 2), 10)).toBe('replaced');
      await a.addFile(named('y', 3), 10);
      await a.addFile(named('z', 4), 10);
      expect(await a.addFile(named('y', 5), 10)).toBe('replaced');
      expect((await b.filesByName('p1', 'same.bin')).map((f) => [f.path, f.size])).toEqual([
        ['/x/same.bin', 2],
        ['/y/same.bin', 5],
        ['/z/same.bin', 4],
      ]);
      expect(await a.filesByName('p1', 'other.bin')).toEqual([]);
      await a.addFile(file('p1', 0xabc), 10);
      await a.addFile({ ...file('p1', 0xabd), path: '/other/2749.bin', name: '2749.bin' }, 10);
      expect((await b.filesByHashPrefix('p1', '0'.repeat(61) + 'ab')).map((f) => f.path).sort()).toEqual(['/d/2748.bin', '/other/2749.bin']);
      expect(await b.filesByHashPrefix('p9', '00')).toEqual([]);
    });

    it('holds at most source.max sessions of one source over every replica, each counted until it ends, however it ends', async () => {
      const from = (key: string) => ({ key, max: 2 });
      expect(await a.openSession(session('p1'), LONG, 0, from('10.0.0.1'))).toBe('opened');
      expect(await b.openSession(session('p2'), 300, 0, from('10.0.0.1'))).toBe('opened');
      expect(await a.openSession(session('p3'), LONG, 0, from('10.0.0.1'))).toBe('source-full');
      expect(await b.openSession(session('p3'), LONG, 0, from('10.0.0.1'))).toBe('source-full');
      expect(await b.session('p3')).toBeUndefined();
      // Another source, a session counted against none, an address already online: none takes a place.
      expect(await b.openSession(session('q1'), LONG, 0, from('10.0.0.2'))).toBe('opened');
      expect(await a.openSession(session('q2'), LONG)).toBe('opened');
      expect(await a.openSession(session('p1', 'again'), LONG, 0, from('10.0.0.9'))).toBe('taken');
      expect(await b.openSession(session('p3'), LONG, 0, { key: '10.0.0.1', max: 0 })).toBe('opened');
      expect(await a.openSession(session('p4'), LONG, 0, { key: '10.0.0.1', max: 3 })).toBe('source-full');
      // A disconnect on one replica frees a place on the other; so does an expiry.
      expect(await b.closeSession('p1', 't-p1', 'disconnect')).toBe(0);
      expect(await a.openSession(session('p4'), LONG, 0, { key: '10.0.0.1', max: 3 })).toBe('opened');
      expect(await a.openSession(session('p5'), LONG, 0, { key: '10.0.0.1', max: 3 })).toBe('source-full');
      await under.advance(350);
      expect(await b.sweep(10, TIMING)).toBe(1);
      expect(await a.openSession(session('p5'), LONG, 0, { key: '10.0.0.1', max: 3 })).toBe('opened');
      expect(await a.counts()).toEqual({ peers: 5, files: 0 });
    });

    it('admits perMinute RegisterPeer calls of a source over every replica, then refuses; other sources unaffected', async () => {
      // 6 a minute: a burst of 6, then one every 10 s (far longer than this test).
      const admitted = await Promise.all(Array.from({ length: 6 }, (_, n) => (n % 2 === 0 ? a : b).admitRegistration('10.0.0.1', 6)));
      expect(admitted).toEqual(Array<boolean>(6).fill(true));
      expect(await a.admitRegistration('10.0.0.1', 6)).toBe(false);
      expect(await b.admitRegistration('10.0.0.1', 6)).toBe(false);
      expect(await b.admitRegistration('10.0.0.2', 6)).toBe(true);
      expect(await a.admitRegistration('10.0.0.1', 0)).toBe(true);
    });

    it("refills a source's bucket evenly over the minute", async () => {
      // 600 a minute: one every 100 ms. The burst is taken until refused (a token or two may
      // come back while it is), then one more is admitted once 100 ms have passed.
      let taken = 0;
      while (await (taken % 2 === 0 ? a : b).admitRegistration('10.0.0.1', 600)) taken++;
      expect(taken).toBeGreaterThanOrEqual(600);
      expect(taken).toBeLessThan(700);
      const started = performance.now();
      await under.advance(150);
      // One token per 100 ms that passed (150 on a fake clock, at least that on a real one): not a burst.
      let refilled = 0;
      while (await b.admitRegistration('10.0.0.1', 600)) refilled++;
      const passed = Math.max(150, performance.now() - started);
      expect(refilled).toBeGreaterThanOrEqual(1);
      expect(refilled).toBeLessThanOrEqual(Math.ceil(passed / 100) + 1);
    });

    it('expires a session whose deadline passed, exactly once whichever replicas sweep, with its files', async () => {
      await a.openSession(session('short'), 300);
      await a.openSession(session('long'), LONG);
      await a.addFile(file('short', 1), 10);
      const start = await a.logPosition();
      expect(await a.sweep(10, TIMING)).toBe(0);
      await under.advance(350);
      const swept = await Promise.all([a.sweep(10, TIMING), b.sweep(10, TIMING), a.sweep(10, TIMING), b.sweep(10, TIMING)]);
      expect(swept.reduce((sum, n) => sum + n, 0)).toBe(1);
      expect(await b.session('short')).toBeUndefined();
      expect(await b.session('long')).toBeDefined();
      expect(await b.counts()).toEqual({ peers: 1, files: 0 });
      const [expired] = await take(b, 1, start);
      expect(expired).toMatchObject({ type: 'peer-expired', peer: 'short', token: 't-short', files: 1 });
    });

    it('keeps a session alive while it beats, and says which beats found their session gone', async () => {
      await a.openSession(session('p1'), 300);
      const beats: Beat[] = [
        { peer: 'p1', token: 't-p1' },
        { peer: 'p1', token: 'stale' },
        { peer: 'nobody', token: 'x' },
      ];
      for (let round = 0; round < 3; round++) {
        await under.advance(150);
        expect(await (round % 2 === 0 ? a : b).beat(beats, 300)).toEqual([true, false, false]);
        expect(await a.sweep(10, TIMING)).toBe(0);
      }
      await under.advance(350);
      expect(await b.sweep(10, TIMING)).toBe(1);
      expect(await a.beat(beats.slice(0, 1), 300)).toEqual([false]);
    });

    it('logs every change, in order, and a reader on another replica resumes after the last entry it saw', async () => {
      const start = await b.logPosition();
      const reading = take(b, 5, start);
      await a.openSession(session('p1'), LONG);
      await a.addFile(file('p1', 1), 10);
      await a.addFile({ ...file('p1', 1), size: 2, sha256: 'e'.repeat(64) }, 10);
      await a.closeSession('p1', 't-p1', 'disconnect');
      await b.openSession(session('p2'), LONG);
      const events = await reading;
      expect(events.map((event) => event.type)).toEqual(['peer-joined', 'file-registered', 'file-registered', 'peer-left', 'peer-joined']);
      expect(events[0]).toMatchObject({ peer: 'p1', token: 't-p1', origin: a.origin });
      expect(events[1]).toMatchObject({ file: file('p1', 1), replaced: false });
      expect(events[2]).toMatchObject({ file: { path: '/d/1.bin', size: 2 }, replaced: true });
      expect(events[3]).toMatchObject({ peer: 'p1', files: 1, cause: 'disconnect' });
      expect(events[4]).toMatchObject({ peer: 'p2', origin: b.origin });
      expect(new Set(events.map((event) => event.id)).size).toBe(5);
      // Resuming after the second entry gives the third, fourth and fifth again.
      const resumed = await take(a, 3, events[1]!.id);
      expect(resumed.map((event) => event.id)).toEqual(events.slice(2).map((event) => event.id));
    });
  });
}

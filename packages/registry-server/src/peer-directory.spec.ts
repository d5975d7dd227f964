import { parseEndpoint } from '@kompart/core';
import { FakeClock } from '@kompart/core/testing';
import { DEFAULT_PEER_PORT, Reason } from '@kompart/protocol';
import { createMemoryStore } from './memory-store.js';
import { PeerDirectory, heartbeatExpiryMs, outageThresholdMs, type DirectoryEvent } from './peer-directory.js';
import type { Beat, RegistryStore } from './store.js';

const INTERVAL_MS = 5000;
const MISSES = 2;
/** The directory's sweep period with a 5 s interval. */
const SWEEP_MS = 100;
const peerAt = (address: string) => parseEndpoint(address, DEFAULT_PEER_PORT);

async function directoryOn(clock: FakeClock): Promise<{ directory: PeerDirectory; events: DirectoryEvent[] }> {
  const store = createMemoryStore({ clock, origin: 'here' });
  const directory = new PeerDirectory({ store, heartbeatIntervalMs: INTERVAL_MS, heartbeatMisses: MISSES, maxFilesPerPeer: 10, clock });
  const events: DirectoryEvent[] = [];
  directory.on('event', (event) => events.push(event));
  await directory.start();
  return { directory, events };
}

const expired = (events: DirectoryEvent[]) => events.filter((event) => event.type === 'peer-expired');

describe('outageThresholdMs', () => {
  it('counts a gap of ten sweeps as an outage, well under a heartbeat interval with the defaults', () => {
    // 5 s beats, sweeps every 100 ms: a 2 s gap (every replica restarting) is an outage, so a
    // peer waiting out its reconnect backoff is not expired for it.
    expect(outageThresholdMs(5000, 100)).toBe(1000);
    // Never longer than an interval, and never shorter than a second of missed sweeps.
    expect(outageThresholdMs(400, 10)).toBe(400);
    expect(outageThresholdMs(60_000, 10)).toBe(1000);
    expect(outageThresholdMs(60_000, 500)).toBe(5000);
  });
});

describe('PeerDirectory presence, on a fake clock', () => {
  const expiry = heartbeatExpiryMs(INTERVAL_MS, MISSES);

  it('waits two intervals plus a grace of a tenth of one, at most 500 ms', () => {
    expect(expiry).toBe(10_500);
    expect(heartbeatExpiryMs(100, 2)).toBe(210);
    expect(heartbeatExpiryMs(60_000, 3)).toBe(180_500);
  });

  it('removes a silent peer at the first sweep after its deadline, with its files, and says so once', async () => {
    const clock = new FakeClock(1_000_000);
    const { directory, events } = await directoryOn(clock);
    const session = await directory.registerPeer(peerAt('127.0.0.2'));
    expect(session.since).toBe(1_000_000);
    await directory.registerFile(session, { path: '/a.txt', sha256: 'a'.repeat(64), size: 1 });
    await clock.advance(expiry - 1);
    expect(await directory.counts()).toEqual({ peers: 1, files: 1 });
    await clock.advance(1);
    expect(await directory.counts()).toEqual({ peers: 0, files: 0 });
    expect(expired(events)).toEqual([
      { type: 'peer-expired', peer: '127.0.0.2', token: session.token, files: 1, id: expect.any(String), origin: 'here', at: 1_000_000 + expiry, local: true },
    ]);
    await expect(directory.authenticate('127.0.0.2', session.token)).rejects.toMatchObject({ reason: Reason.PEER_NOT_REGISTERED });
    await clock.advance(expiry * 3);
    expect(expired(events)).toHaveLength(1);
    await directory.close();
  });

  it('keeps a peer that beats every interval for as long as it beats, counting expiry from the last beat', async () => {
    const clock = new FakeClock(0);
    const { directory, events } = await directoryOn(clock);
    const session = await directory.registerPeer(peerAt('127.0.0.2'));
    for (let beat = 0; beat < 12; beat++) {
      await clock.advance(INTERVAL_MS);
      directory.beat(session);
    }
    expect(await directory.counts()).toEqual({ peers: 1, files: 0 });
    // A beat just before the expiry still counts; the next expiry is a full period after it.
    await clock.advance(expiry - SWEEP_MS);
    directory.beat(session);
    await clock.advance(expiry - 1);
    expect(expired(events)).toHaveLength(0);
    await clock.advance(SWEEP_MS);
    expect(expired(events)).toHaveLength(1);
    await directory.close();
  });

  it('takes a closed heartbeat stream as leaving at once, and an old deadline never touches a new session', async () => {
    const clock = new FakeClock(0);
    const { directory, events } = await directoryOn(clock);
    const first = await directory.registerPeer(peerAt('127.0.0.2'));
    await directory.claimSession(first.token, 'r/1', 1);
    await clock.advance(1000);
    await directory.streamClosed(first, 'r/1');
    await clock.advance(0);
    expect(events.at(-1)).toMatchObject({ type: 'peer-left', peer: '127.0.0.2', token: first.token, files: 0, cause: 'stream-closed' });
    const second = await directory.registerPeer(peerAt('127.0.0.2'));
    expect(second.token).not.toBe(first.token);
    // The first session's deadline (10.5 s) passes; the second one's (11.5 s) has not.
    await clock.advance(expiry - 1000 + SWEEP_MS);
    expect(await directory.counts()).toEqual({ peers: 1, files: 0 });
    await clock.advance(1000);
    expect(expired(events)).toMatchObject([{ peer: '127.0.0.2', token: second.token }]);
    await directory.close();
  });

  it("gathers beats for the store's batch window into one call, and sends what is pending at once when closed", async () => {
    const clock = new FakeClock(0);
    const memory = createMemoryStore({ clock, origin: 'here' });
    const calls: string[][] = [];
    const store: RegistryStore = Object.assign(Object.create(memory) as RegistryStore, {
      beatBatchMs: 25,
      beat: (beats: readonly Beat[], expiryMs: number) => {
        calls.push(beats.map((beat) => beat.peer));
        return memory.beat(beats, expiryMs);
      },
    });
    const directory = new PeerDirectory({ store, heartbeatIntervalMs: INTERVAL_MS, heartbeatMisses: MISSES, maxFilesPerPeer: 10, clock });
    const events: DirectoryEvent[] = [];
    directory.on('event', (event) => events.push(event));
    await directory.start();
    const [a, b, c] = await Promise.all(['127.0.0.2', '127.0.0.3', '127.0.0.4'].map((address) => directory.registerPeer(peerAt(address))));
    directory.beat(a!);
    await clock.advance(10);
    directory.beat(b!);
    directory.beat(a!);
    await clock.advance(14);
    expect(calls).toEqual([]);
    await clock.advance(1);
    expect(calls).toEqual([['127.0.0.2', '127.0.0.3']]);
    // The deadlines run from the batch, 25 ms after a's first beat (c, silent, expired at 10.5 s).
    await clock.advance(expiry - 1);
    expect((await directory.counts()).peers).toBe(2);
    await clock.advance(SWEEP_MS);
    expect((await directory.counts()).peers).toBe(0);
    expect(expired(events).map((event) => event.peer)).toEqual(['127.0.0.4', '127.0.0.2', '127.0.0.3']);
    const d = await directory.registerPeer(peerAt(c!.id));
    directory.beat(d);
    await directory.close();
    expect(calls).toEqual([['127.0.0.2', '127.0.0.3'], ['127.0.0.4']]);
    expect(clock.pending).toBe(0);
  });

  it('stops sweeping and reading when closed', async () => {
    const clock = new FakeClock(0);
    const { directory, events } = await directoryOn(clock);
    await directory.registerPeer(peerAt('127.0.0.2'));
    expect(clock.pending).toBe(1);
    await directory.close();
    expect(clock.pending).toBe(0);
    await clock.advance(expiry * 2);
    expect(expired(events)).toHaveLength(0);
  });
});

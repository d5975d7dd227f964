import { parseEndpoint } from '@kompart/core';
import { FakeClock } from '@kompart/core/testing';
import { DEFAULT_PEER_PORT, Reason } from '@kompart/protocol';
import { createMemoryStore } from './memory-store.js';
import { PeerDirectory, heartbeatExpiryMs, type DirectoryEvent } from './peer-directory.js';

const INTERVAL_MS = 5000;
const peerAt = (address: string) => parseEndpoint(address, DEFAULT_PEER_PORT);
const MISSES = 2;

function directoryOn(clock: FakeClock): { directory: PeerDirectory; events: DirectoryEvent[] } {
  const directory = new PeerDirectory({ store: createMemoryStore(), heartbeatIntervalMs: INTERVAL_MS, heartbeatMisses: MISSES, maxFilesPerPeer: 10, clock });
  const events: DirectoryEvent[] = [];
  directory.on('event', (event) => events.push(event));
  return { directory, events };
}

describe('PeerDirectory presence, on a fake clock', () => {
  const expiry = heartbeatExpiryMs(INTERVAL_MS, MISSES);

  it('waits two intervals plus a grace of a tenth of one, at most 500 ms', () => {
    expect(expiry).toBe(10_500);
    expect(heartbeatExpiryMs(100, 2)).toBe(210);
    expect(heartbeatExpiryMs(60_000, 3)).toBe(180_500);
  });

  it('removes a silent peer exactly at its expiry, with its files, and says so once', async () => {
    const clock = new FakeClock(1_000_000);
    const { directory, events } = directoryOn(clock);
    const session = await directory.registerPeer(peerAt('127.0.0.2'));
    expect(session.since).toBe(1_000_000);
    await directory.registerFile(session, { path: '/a.txt', sha256: 'a'.repeat(64), size: 1 });
    await clock.advance(expiry - 1);
    expect(await directory.counts()).toEqual({ peers: 1, files: 1 });
    await clock.advance(1);
    expect(await directory.counts()).toEqual({ peers: 0, files: 0 });
    expect(events.filter((event) => event.type === 'peer-expired')).toEqual([{ type: 'peer-expired', peer: '127.0.0.2', token: session.token, files: 1 }]);
    expect(directory.isCurrent(session)).toBe(false);
    await expect(directory.authenticate('127.0.0.2', session.token)).rejects.toMatchObject({ reason: Reason.PEER_NOT_REGISTERED });
    directory.close();
  });

  it('keeps a peer that beats every interval for as long as it beats', async () => {
    const clock = new FakeClock(0);
    const { directory, events } = directoryOn(clock);
    const session = await directory.registerPeer(peerAt('127.0.0.2'));
    const presence = directory.presenceOf(session);
    for (let beat = 0; beat < 12; beat++) {
      await clock.advance(INTERVAL_MS);
      presence?.beat();
    }
    expect(await directory.counts()).toEqual({ peers: 1, files: 0 });
    // A beat late by just under the grace still counts: expiry is measured from the last beat.
    await clock.advance(expiry - 1);
    presence?.beat();
    await clock.advance(expiry - 1);
    expect(events.some((event) => event.type === 'peer-expired')).toBe(false);
    await clock.advance(1);
    expect(events.filter((event) => event.type === 'peer-expired')).toHaveLength(1);
    directory.close();
  });

  it('takes a closed heartbeat stream as leaving at once, and the old timer never touches a new session', async () => {
    const clock = new FakeClock(0);
    const { directory, events } = directoryOn(clock);
    const first = await directory.registerPeer(peerAt('127.0.0.2'));
    await clock.advance(1000);
    await directory.streamClosed(first);
    expect(events.at(-1)).toEqual({ type: 'peer-left', peer: '127.0.0.2', token: first.token, files: 0, cause: 'stream-closed' });
    const second = await directory.registerPeer(peerAt('127.0.0.2'));
    expect(second.token).not.toBe(first.token);
    await clock.advance(expiry - 1000);
    expect(directory.isCurrent(second)).toBe(true);
    expect(directory.presenceOf(first)).toBeUndefined();
    await clock.advance(1000);
    expect(directory.isCurrent(second)).toBe(false);
    expect(events.filter((event) => event.type === 'peer-expired')).toEqual([{ type: 'peer-expired', peer: '127.0.0.2', token: second.token, files: 0 }]);
    expect(clock.pending).toBe(0);
    directory.close();
  });

  it('stops every expiry timer when closed', async () => {
    const clock = new FakeClock(0);
    const { directory, events } = directoryOn(clock);
    await directory.registerPeer(peerAt('127.0.0.2'));
    await directory.registerPeer(peerAt('127.0.0.3'));
    expect(clock.pending).toBe(2);
    directory.close();
    expect(clock.pending).toBe(0);
    await clock.advance(expiry * 2);
    expect(events.some((event) => event.type === 'peer-expired')).toBe(false);
  });
});

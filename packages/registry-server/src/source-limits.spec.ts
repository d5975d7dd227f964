import { parseEndpoint } from '@kompart/core';
import { FakeClock } from '@kompart/core/testing';
import { DEFAULT_PEER_PORT, Reason } from '@kompart/protocol';
import { createMemoryStore } from './memory-store.js';
import { PeerDirectory } from './peer-directory.js';
import { MinuteBuckets, RateLimiter } from './rate-limiter.js';
import { sourceKey } from './source-limits.js';

const refusal = (reason: string, params: Record<string, string>) => expect.objectContaining({ reason, params });
const peerAt = (address: string) => parseEndpoint(address, DEFAULT_PEER_PORT);

async function limitedDirectory(limits: { maxRegistrationsPerMinute?: number; maxSessionsPerSource?: number }, clock = new FakeClock(0)) {
  const directory = new PeerDirectory({
    store: createMemoryStore({ clock }),
    heartbeatIntervalMs: 5000,
    heartbeatMisses: 2,
    maxFilesPerPeer: 10,
    clock,
    ...limits,
  });
  await directory.start();
  return directory;
}

// The same limits over several replicas on one Redis: test/replicas.test.ts; every store's
// part of them: store-contract.ts.
describe('per-source limits of RegisterPeer (PeerDirectory, memory store, fake clock)', () => {
  let directory: PeerDirectory | undefined;
  afterEach(async () => {
    await directory?.close();
    directory = undefined;
  });

  it('allows a minute of registrations from one source at once, then one every 60/N s, other sources unaffected', async () => {
    const clock = new FakeClock(0);
    directory = await limitedDirectory({ maxRegistrationsPerMinute: 6 }, clock);
    for (let n = 0; n < 6; n++) await directory.admitRegistration('10.0.0.1');
    await expect(directory.admitRegistration('10.0.0.1')).rejects.toThrow(refusal(Reason.REGISTRATION_RATE_EXCEEDED, { ip: '10.0.0.1', limit: '6' }));
    await directory.admitRegistration('10.0.0.2');
    await clock.advance(9_999);
    await expect(directory.admitRegistration('10.0.0.1')).rejects.toThrow(refusal(Reason.REGISTRATION_RATE_EXCEEDED, { ip: '10.0.0.1', limit: '6' }));
    await clock.advance(1);
    await directory.admitRegistration('10.0.0.1');
    await expect(directory.admitRegistration('10.0.0.1')).rejects.toThrow(expect.objectContaining({ reason: Reason.REGISTRATION_RATE_EXCEEDED }));
    await clock.advance(60_000);
    for (let n = 0; n < 6; n++) await directory.admitRegistration('10.0.0.1');
  });

  it('counts sessions per source until they end, however they end; a refused one counts nothing', async () => {
    const clock = new FakeClock(0);
    directory = await limitedDirectory({ maxSessionsPerSource: 2 }, clock);
    const first = await directory.registerPeer(peerAt('127.0.0.2'), '', '10.0.0.1');
    await directory.registerPeer(peerAt('127.0.0.3'), '', '10.0.0.1');
    await expect(directory.registerPeer(peerAt('127.0.0.4'), '', '10.0.0.1')).rejects.toThrow(
      refusal(Reason.SESSIONS_PER_IP_EXCEEDED, { ip: '10.0.0.1', limit: '2' }),
    );
    // Another source is not held back; an address already online is refused as such and takes no place.
    await expect(directory.registerPeer(peerAt('127.0.0.2'), '', '10.0.0.2')).rejects.toThrow(
      expect.objectContaining({ reason: Reason.PEER_ALREADY_REGISTERED }),
    );
    await directory.registerPeer(peerAt('127.0.0.5'), '', '10.0.0.2');
    await directory.registerPeer(peerAt('127.0.0.6'), '', '10.0.0.2');
    // A disconnect gives its place back.
    await directory.disconnect(first);
    const third = await directory.registerPeer(peerAt('127.0.0.4'), '', '10.0.0.1');
    await expect(directory.registerPeer(peerAt('127.0.0.7'), '', '10.0.0.1')).rejects.toThrow(
      expect.objectContaining({ reason: Reason.SESSIONS_PER_IP_EXCEEDED }),
    );
    // An expiry too: all of them fall silent, and the source may open two again.
    await clock.advance(directory.expiryMs + 200);
    expect((await directory.counts()).peers).toBe(0);
    await directory.registerPeer(peerAt('127.0.0.8'), '', '10.0.0.1');
    await directory.registerPeer(peerAt(third.id), '', '10.0.0.1');
  });

  it('counts an IPv6 source by its /64 and an IPv4 one by its address', async () => {
    expect(sourceKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('2001:DB8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(sourceKey('::1')).toBe('0:0:0:0::/64');
    expect(sourceKey('192.0.2.7')).toBe('192.0.2.7');
    directory = await limitedDirectory({ maxSessionsPerSource: 1, maxRegistrationsPerMinute: 1 });
    await directory.admitRegistration('2001:db8:1:2::1');
    await expect(directory.admitRegistration('2001:db8:1:2::ffff')).rejects.toThrow(expect.objectContaining({ reason: Reason.REGISTRATION_RATE_EXCEEDED }));
    await directory.registerPeer(peerAt('127.0.0.2'), '', '2001:db8:1:2::1');
    await expect(directory.registerPeer(peerAt('127.0.0.3'), '', '2001:db8:1:2::ffff')).rejects.toThrow(
      expect.objectContaining({ reason: Reason.SESSIONS_PER_IP_EXCEEDED }),
    );
    await directory.registerPeer(peerAt('127.0.0.3'), '', '2001:db8:1:3::1');
  });

  it('is off at 0', async () => {
    directory = await limitedDirectory({ maxRegistrationsPerMinute: 0, maxSessionsPerSource: 0 });
    for (let n = 0; n < 2000; n++) {
      await directory.admitRegistration('10.0.0.1');
      await directory.registerPeer(peerAt(`127.0.${n >> 8}.${n & 255}:7000`), '', '10.0.0.1');
    }
    expect((await directory.counts()).peers).toBe(2000);
  });
});

describe('RateLimiter pruning', () => {
  it('drops buckets that filled up again, so sources seen once do not pile up', async () => {
    const clock = new FakeClock(0);
    const limiter = new RateLimiter(1, 2, clock);
    for (let n = 0; n < 4095; n++) limiter.take(`once-${n}`);
    expect(limiter.size).toBe(4095);
    await clock.advance(2000);
    limiter.take('busy');
    expect(limiter.size).toBe(1);
  });
});

describe('MinuteBuckets', () => {
  it('puts back a call given back (one the shared bucket refused), never above the burst', () => {
    const buckets = new MinuteBuckets(new FakeClock(0));
    expect(buckets.take('a', 2)).toBe(true);
    expect(buckets.take('a', 2)).toBe(true);
    expect(buckets.take('a', 2)).toBe(false);
    buckets.giveBack('a');
    expect(buckets.take('a', 2)).toBe(true);
    expect(buckets.take('a', 2)).toBe(false);
    buckets.giveBack('a');
    buckets.giveBack('a');
    buckets.giveBack('a');
    expect([buckets.take('a', 2), buckets.take('a', 2), buckets.take('a', 2)]).toEqual([true, true, false]);
    buckets.giveBack('never seen');
    expect(buckets.take('0', 0)).toBe(true);
  });
});

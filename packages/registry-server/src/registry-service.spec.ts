import { status } from '@grpc/grpc-js';
import { FakeClock } from '@kompart/core/testing';
import { EventType, Reason } from '@kompart/protocol';
import { call, fakeHash, startHarness, type Harness } from '../test/registry-harness.js';
import { heartbeatExpiryMs } from './peer-directory.js';

/**
 * The Registry service over real gRPC with the registry's time on a fake clock: expiry,
 * the per-session rate limit and ticket lifetimes move only when the spec says so.
 */
describe('Registry service on a fake clock', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('expires a silent peer at its deadline, tells the others, ends its stream and stamps the event with its clock', async () => {
    const clock = new FakeClock(1_700_000_000_000);
    h = await startHarness({ heartbeatIntervalMs: 5000, heartbeatMisses: 2, clock });
    const watcher = await h.register('127.0.0.2');
    const tap = h.heartbeat(watcher.sessionToken);
    // The watcher's stream is open at the registry once its first beat is answered.
    const acked = new Promise((resolve) => tap.stream.once('data', resolve));
    tap.beat(0);
    await acked;
    const silent = await h.register('127.0.0.3');
    const silentTap = h.heartbeat(silent.sessionToken);
    // One beat at time 0, answered: the silent peer's last beat, from which its expiry counts.
    const silentAcked = new Promise((resolve) => silentTap.stream.once('data', resolve));
    silentTap.beat(0);
    await silentAcked;
    await tap.nextEvent((event) => event.type === EventType.EVENT_TYPE_PEER_JOINED && event.peer === '127.0.0.3');
    const expiry = heartbeatExpiryMs(5000, 2);
    // The watcher beats; the other one never does again.
    for (let elapsed = 0; elapsed + 5000 < expiry; elapsed += 5000) {
      await clock.advance(5000);
      const answered = new Promise((resolve) => tap.stream.once('data', resolve));
      tap.beat(elapsed);
      await answered;
    }
    expect((await h.registry.directory.counts()).peers).toBe(2);
    await clock.advance(expiry - 10_000);
    const expired = await tap.nextEvent((event) => event.type === EventType.EVENT_TYPE_PEER_EXPIRED);
    expect(expired).toMatchObject({ peer: '127.0.0.3', timeMs: 1_700_000_000_000 + expiry });
    expect(await silentTap.ended).toBeUndefined();
    expect(await h.registry.directory.counts()).toEqual({ peers: 1, files: 0 });
    const late = await h.rejection(call(h.client, 'registerFile', { peer: silent.peer, path: '/x', sha256: fakeHash(1), size: 1 }, silent.sessionToken));
    expect(late.reason).toBe(Reason.PEER_NOT_REGISTERED);
  });

  it('limits the request rate of a session until its clock refills the bucket', async () => {
    const clock = new FakeClock(0);
    h = await startHarness({ maxRequestsPerSecond: 10, requestBurst: 3, clock });
    const harness = h;
    const session = await harness.register('127.0.0.2');
    const list = () =>
      call(
        harness.client,
        'listFiles',
        { peer: session.peer, pageSize: 0, pageToken: '', nameContains: '', sha256Prefix: '', holder: '' },
        session.sessionToken,
      ).then(
        () => status.OK,
        (error: { code: number }) => error.code,
      );
    const burst = [await list(), await list(), await list(), await list()];
    expect(burst).toEqual([status.OK, status.OK, status.OK, status.RESOURCE_EXHAUSTED]);
    await clock.advance(99);
    expect(await list()).toBe(status.RESOURCE_EXHAUSTED);
    await clock.advance(1);
    expect(await list()).toBe(status.OK);
    expect(await list()).toBe(status.RESOURCE_EXHAUSTED);
  });

  it('acks beats with its own clock', async () => {
    const clock = new FakeClock(42_000);
    h = await startHarness({ clock });
    const session = await h.register('127.0.0.2');
    const tap = h.heartbeat(session.sessionToken);
    const ack = new Promise((resolve) => tap.stream.once('data', resolve));
    tap.beat(7);
    expect(await ack).toEqual({ kind: { $case: 'ack', value: { sequence: 7, serverTimeMs: 42_000, registryInstance: h.registry.instance } } });
  });
});

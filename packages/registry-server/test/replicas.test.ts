/**
 * Two registry replicas on one Redis, spoken to with the generated client: what a session
 * does when its peer moves from one replica to the other.
 */
import { EventType, Reason, type HeartbeatResponse } from '@kompart/protocol';
import { RedisServer, redisAvailable } from '../../../test/support/redis-server';
import { RedisStore } from '../src/redis-store.js';
import { call, startHarness, type Harness } from './registry-harness.js';

const describeIfRedis = redisAvailable() ? describe : describe.skip;

describeIfRedis('two replicas on one Redis', () => {
  let redis: RedisServer;
  let suite = 0;
  let replicas: Harness[] = [];
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterEach(async () => {
    await Promise.all(replicas.map((replica) => replica.close()));
    replicas = [];
  });
  afterAll(async () => {
    await redis.close();
  });

  const startReplicas = async (options: Parameters<typeof startHarness>[0] = {}): Promise<[Harness, Harness]> => {
    const prefix = `replicas${++suite}:`;
    const store = (origin: string): Promise<RedisStore> => RedisStore.connect({ url: redis.url, prefix, origin });
    const a = await startHarness({ ...options, store: await store('a') });
    const b = await startHarness({ ...options, store: await store('b') });
    replicas = [a, b];
    return [a, b];
  };

  it('a replica that crashes ends no session, however long its connection to the store outlives its streams', async () => {
    const prefix = `replicas${++suite}:`;
    const crashing = await RedisStore.connect({ url: redis.url, prefix, origin: 'a' });
    // The crashed replica's store stays open until the test has seen the streams closed.
    let release = (): void => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const store = new Proxy(crashing, {
      get: (target, key) => {
        if (key === 'close') return () => released.then(() => target.close());
        const value: unknown = Reflect.get(target, key);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const a = await startHarness({ store });
    const b = await startHarness({ store: await RedisStore.connect({ url: redis.url, prefix, origin: 'b' }) });
    replicas = [b];
    const { sessionToken } = await a.register('127.0.0.2:6000');
    const first = a.heartbeat(sessionToken);
    await new Promise<void>((resolve) => {
      first.stream.once('data', () => resolve());
      first.beat(1);
    });
    a.registry.kill();
    await first.ended;
    // Whatever a's stream closes did, they had the store to do it with; none may have ended the session.
    expect(await crashing.session('127.0.0.2:6000')).toMatchObject({ token: sessionToken });
    release();
    a.client.close();
    const resumed = b.heartbeat(sessionToken);
    const ack = await new Promise<HeartbeatResponse>((resolve) => {
      resumed.stream.once('data', resolve);
      resumed.beat(2);
    });
    expect(ack.kind?.$case).toBe('ack');
  });

  it('a stream the peer left for another replica ends nothing when its replica hears of it late (a cable cut, plugged back)', async () => {
    const [a, b] = await startReplicas();
    const { sessionToken } = await a.register('127.0.0.2:6000');
    await call(a.client, 'registerFile', { peer: '127.0.0.2:6000', path: '/s/a.txt', sha256: 'a'.repeat(64), size: 1 }, sessionToken);
    const first = a.heartbeat(sessionToken);
    await new Promise<void>((resolve) => {
      first.stream.once('data', () => resolve());
      first.beat(1);
    });
    // The peer resumes on b (a went silent), then a learns that the old stream ended. Each
    // is its replica's first stream: their ids must differ all the same.
    const resumed = b.heartbeat(sessionToken);
    await new Promise<void>((resolve) => {
      resumed.stream.once('data', () => resolve());
      resumed.beat(1);
    });
    const watcher = await b.register('127.0.0.3:6000');
    const watching = b.heartbeat(watcher.sessionToken);
    await new Promise<void>((resolve) => {
      watching.stream.once('data', () => resolve());
      watching.beat(1);
    });
    first.stream.cancel();
    await first.ended;
    // Requests over a's connection reach it after the cancel: the session still works there.
    const page = await call(
      a.client,
      'listFiles',
      { peer: '127.0.0.2:6000', pageSize: 10, pageToken: '', nameContains: '', sha256Prefix: '', holder: '' },
      sessionToken,
    );
    expect(page.files.map((file) => file.name)).toEqual(['a.txt']);
    expect(watching.events.filter((event) => event.type === EventType.EVENT_TYPE_PEER_LEFT)).toEqual([]);

    // The stream that holds the session is another matter: its end is the peer leaving.
    resumed.stream.cancel();
    const left = await watching.nextEvent((event) => event.type === EventType.EVENT_TYPE_PEER_LEFT);
    expect(left).toMatchObject({ peer: '127.0.0.2:6000' });
    const after = await call(
      b.client,
      'listFiles',
      { peer: '127.0.0.3:6000', pageSize: 10, pageToken: '', nameContains: '', sha256Prefix: '', holder: '' },
      watcher.sessionToken,
    );
    expect(after.files).toEqual([]);
  });

  it('the open of a stream the peer gave up on, delivered late to a replica that was cut off, is refused and ends nothing', async () => {
    const [a, b] = await startReplicas();
    const { sessionToken } = await a.register('127.0.0.2:6000');
    await call(a.client, 'registerFile', { peer: '127.0.0.2:6000', path: '/s/a.txt', sha256: 'a'.repeat(64), size: 1 }, sessionToken);
    const watcher = await a.register('127.0.0.3:6000');
    const watching = a.heartbeat(watcher.sessionToken);
    const acked = (tap: ReturnType<Harness['heartbeat']>): Promise<void> =>
      new Promise<void>((resolve) => {
        tap.stream.once('data', () => resolve());
        tap.beat(1);
      });
    // Attempt 2 (sent to a, which was cut off) got no answer; the peer resumed on b with attempt 3.
    const resumed = b.heartbeat(sessionToken, 3);
    await acked(resumed);
    // Plugged back, a receives attempt 2's open, then its cancel.
    const late = a.heartbeat(sessionToken, 2);
    expect((await late.ended)?.details).toMatch(/sess[aã]o/i);
    await acked(watching);
    expect(watching.events.filter((event) => event.type === EventType.EVENT_TYPE_PEER_LEFT)).toEqual([]);
    const page = await call(
      a.client,
      'listFiles',
      { peer: '127.0.0.3:6000', pageSize: 10, pageToken: '', nameContains: '', sha256Prefix: '', holder: '' },
      watcher.sessionToken,
    );
    expect(page.files.map((file) => file.name)).toEqual(['a.txt']);
    // The stream that holds the session still carries it: its beats are answered.
    await acked(resumed);
  });

  it('a file unregistered on one replica leaves the listing on the other, which had it in its listing cache', async () => {
    const [a, b] = await startReplicas();
    const holder = await a.register('127.0.0.2:6000');
    const reader = await b.register('127.0.0.3:6000');
    const listAtB = async (): Promise<string[]> => {
      const page = await call(
        b.client,
        'listFiles',
        { peer: reader.peer, pageSize: 10, pageToken: '', nameContains: '', sha256Prefix: '', holder: '' },
        reader.sessionToken,
      );
      return page.files.map((file) => `${file.path} ${file.sha256.slice(0, 1)}`);
    };
    for (const [path, digit] of [
      ['/s/a.txt', 'a'],
      ['/s/b.txt', 'b'],
    ] as const) {
      await call(a.client, 'registerFile', { peer: holder.peer, path, sha256: digit.repeat(64), size: 1 }, holder.sessionToken);
    }
    expect(await listAtB()).toEqual(['/s/a.txt a', '/s/b.txt b']);
    await call(a.client, 'unregisterFile', { peer: holder.peer, path: '/s/a.txt' }, holder.sessionToken);
    expect(await listAtB()).toEqual(['/s/b.txt b']);
    await call(b.client, 'registerFile', { peer: holder.peer, path: '/s/a.txt', sha256: 'c'.repeat(64), size: 1 }, holder.sessionToken);
    expect(await listAtB()).toEqual(['/s/b.txt b', '/s/a.txt c']);
  });

  it('holds one source to --max-sessions-per-ip over both replicas, a place freed on one usable on the other', async () => {
    const [a, b] = await startReplicas({ maxSessionsPerIp: 2 });
    // Every call comes from 127.0.0.1, whichever address it registers.
    const first = await a.register('127.0.0.2:6000');
    await b.register('127.0.0.3:6000');
    for (const replica of [a, b]) {
      const refused = await replica.rejection(replica.register('127.0.0.4:6000'));
      expect(refused.reason).toBe(Reason.SESSIONS_PER_IP_EXCEEDED);
      expect(refused.grpcMessage).toBe('Sessões demais a partir de 127.0.0.1: no máximo 2 peers online por endereço IP');
    }
    await call(a.client, 'disconnect', { peer: first.peer }, first.sessionToken);
    expect((await b.register('127.0.0.4:6000')).peer).toBe('127.0.0.4:6000');
    expect((await a.rejection(a.register('127.0.0.5:6000'))).reason).toBe(Reason.SESSIONS_PER_IP_EXCEEDED);
    expect(await a.registry.directory.counts()).toEqual({ peers: 2, files: 0 });
  });

  it('holds one source to --max-registrations-per-minute over both replicas, failed calls counted too', async () => {
    const [a, b] = await startReplicas({ maxRegistrationsPerMinute: 4 });
    expect((await a.rejection(a.register('not an address!'))).reason).toBe(Reason.INVALID_ARGUMENT);
    await b.register('127.0.0.2:6000');
    await a.register('127.0.0.3:6000');
    await b.register('127.0.0.4:6000');
    for (const replica of [a, b]) {
      const refused = await replica.rejection(replica.register('127.0.0.5:6000'));
      expect(refused.reason).toBe(Reason.REGISTRATION_RATE_EXCEEDED);
      expect(refused.grpcMessage).toBe('Registros demais a partir de 127.0.0.1: no máximo 4 por minuto; tente de novo em instantes');
    }
    expect(await b.registry.directory.counts()).toEqual({ peers: 3, files: 0 });
  });
});

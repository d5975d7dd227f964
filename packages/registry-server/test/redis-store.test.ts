import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from '@redis/client';
import { RedisServer, redisAvailable } from '../../../test/support/redis-server';
import { KompartError } from '@kompart/core';
import { Reason } from '@kompart/protocol';
import { CommandTimeoutError, RedisStore } from '../src/redis-store.js';
import { describeStoreContract } from './store-contract.js';

const describeIfRedis = redisAvailable() ? describe : describe.skip;

describeIfRedis('RedisStore', () => {
  let redis: RedisServer;
  let suite = 0;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await redis.close();
  });

  it('does not count an outage against anyone: after a gap in sweeping longer than an expiry period, deadlines move out by it plus that period', async () => {
    const store = await RedisStore.connect({ url: redis.url, prefix: 'outage:', origin: 'r1' });
    try {
      const timing = { expiryMs: 300, outageMs: 200 };
      await store.openSession({ id: 'p1', target: 'p1:50052', token: 't1', since: 0 }, 300);
      expect(await store.sweep(10, timing)).toBe(0);
      // Nobody sweeps for 500 ms (Redis away, or every replica down): p1's deadline passes meanwhile.
      await sleep(500);
      expect(await store.sweep(10, timing)).toBe(0);
      expect(await store.session('p1')).toBeDefined();
      // Sweeping again as usual, p1 still gets its period; then, silent, it expires.
      for (let n = 0; n < 5; n++) {
        await sleep(40);
        expect(await store.sweep(10, timing)).toBe(0);
      }
      let expired = 0;
      for (let n = 0; n < 30 && expired === 0; n++) {
        await sleep(40);
        expired = await store.sweep(10, timing);
      }
      expect(expired).toBe(1);
      expect(await store.session('p1')).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('moves deadlines out by about twice a short gap (a stall, not an outage): far less than a whole expiry period more', async () => {
    const store = await RedisStore.connect({ url: redis.url, prefix: 'stall:', origin: 'r1' });
    const reader = createClient({ url: redis.url });
    await reader.connect();
    try {
      // A long expiry period, so that the old rule (the gap plus a whole period) cannot pass for the new one.
      const timing = { expiryMs: 20_000, outageMs: 200 };
      expect(await store.sweep(10, timing)).toBe(0);
      const before = Date.now();
      await sleep(300);
      expect(await store.sweep(10, timing)).toBe(0);
      const gap = Date.now() - before;
      const offset = Number(await reader.get('stall:offset'));
      expect(offset).toBeGreaterThanOrEqual(2 * 300 - 20);
      expect(offset).toBeLessThanOrEqual(2 * gap + 20);
    } finally {
      await reader.close();
      await store.close();
    }
  });

  it('fails a command that a frozen Redis (SIGSTOP: its connections stay open) does not answer within the command timeout, then works again once Redis resumes', async () => {
    const store = await RedisStore.connect({ url: redis.url, prefix: 'frozen:', origin: 'r1', commandTimeoutMs: 300 });
    try {
      expect(await store.counts()).toEqual({ peers: 0, files: 0 });
      process.kill(redis.pid!, 'SIGSTOP');
      let failure: unknown;
      const started = performance.now();
      try {
        await store.counts();
      } catch (error) {
        failure = error;
      } finally {
        process.kill(redis.pid!, 'SIGCONT');
      }
      const waited = performance.now() - started;
      expect(failure).toBeInstanceOf(KompartError);
      expect((failure as KompartError).reason).toBe(Reason.STORE_UNAVAILABLE);
      expect((failure as KompartError).cause).toBeInstanceOf(CommandTimeoutError);
      expect(waited).toBeGreaterThanOrEqual(300);
      // Resumed, Redis answers the late command (ignored) and the next ones.
      await store.openSession({ id: 'p1', target: 'p1:50052', token: 't1', since: 0 }, 10_000);
      expect(await store.counts()).toEqual({ peers: 1, files: 0 });
    } finally {
      process.kill(redis.pid!, 'SIGCONT');
      await store.close();
    }
  });

  it('never applies a change it answered STORE_UNAVAILABLE for: a session and a file sent to a frozen Redis are not made when it resumes', async () => {
    const store = await RedisStore.connect({ url: redis.url, prefix: 'late:', origin: 'r1', commandTimeoutMs: 300 });
    const reader = createClient({ url: redis.url });
    await reader.connect();
    try {
      await store.openSession({ id: 'p1', target: 'p1:50052', token: 't1', since: 0 }, 60_000);
      const logged = await reader.xLen('late:events');
      process.kill(redis.pid!, 'SIGSTOP');
      let failures: unknown[];
      try {
        failures = await Promise.all([
          store.openSession({ id: 'p2', target: 'p2:50052', token: 't2', since: 0 }, 60_000).catch((error: unknown) => error),
          store.addFile({ peer: 'p1', path: '/share/a.txt', name: 'a.txt', sha256: 'a'.repeat(64), size: 1 }, 10).catch((error: unknown) => error),
          store.closeSession('p1', 't1', 'disconnect').catch((error: unknown) => error),
        ]);
      } finally {
        process.kill(redis.pid!, 'SIGCONT');
      }
      for (const failure of failures) expect((failure as KompartError).reason).toBe(Reason.STORE_UNAVAILABLE);
      // Resumed, Redis runs the three scripts it had received, which find they came too late.
      expect(await store.counts()).toEqual({ peers: 1, files: 0 });
      expect(await store.session('p2')).toBeUndefined();
      expect(await store.session('p1')).toEqual(expect.objectContaining({ token: 't1' }));
      expect(await reader.xLen('late:events')).toBe(logged);
      // And the same calls, in time, do what they say.
      expect(await store.addFile({ peer: 'p1', path: '/share/a.txt', name: 'a.txt', sha256: 'a'.repeat(64), size: 1 }, 10)).toBe('added');
      expect(await store.counts()).toEqual({ peers: 1, files: 1 });
    } finally {
      process.kill(redis.pid!, 'SIGCONT');
      await reader.close();
      await store.close();
    }
  });

  it('closes within the command timeout while Redis is frozen, however many replies are still due', async () => {
    const store = await RedisStore.connect({ url: redis.url, prefix: 'frozen-close:', origin: 'r1', commandTimeoutMs: 300 });
    process.kill(redis.pid!, 'SIGSTOP');
    try {
      const due = store.counts().catch((error: unknown) => error);
      await store.close();
      expect(await due).toBeInstanceOf(KompartError);
    } finally {
      process.kill(redis.pid!, 'SIGCONT');
    }
  });

  it("never keeps a source's place for a session ended by a replica that does not keep the per-source sets (an older version)", async () => {
    const store = await RedisStore.connect({ url: redis.url, prefix: 'mixed:', origin: 'new' });
    const raw = createClient({ url: redis.url });
    await raw.connect();
    try {
      const from = { key: '10.0.0.1', max: 2 };
      for (const id of ['p1', 'p2']) expect(await store.openSession({ id, target: `${id}:50052`, token: `t-${id}`, since: 0 }, 60_000, 0, from)).toBe('opened');
      expect(await store.openSession({ id: 'p3', target: 'p3:50052', token: 't-p3', since: 0 }, 60_000, 0, from)).toBe('source-full');
      // p1 ends the way an older replica ended sessions: its keys go, the source's set is left alone.
      await raw.del(['mixed:peer:p1', 'mixed:token:t-p1']);
      await raw.zRem('mixed:presence', 'p1');
      expect(await raw.sCard('mixed:source:10.0.0.1')).toBe(2);
      expect(await store.openSession({ id: 'p3', target: 'p3:50052', token: 't-p3', since: 0 }, 60_000, 0, from)).toBe('opened');
      expect((await raw.sMembers('mixed:source:10.0.0.1')).sort()).toEqual(['p2', 'p3']);
      expect(await store.openSession({ id: 'p4', target: 'p4:50052', token: 't-p4', since: 0 }, 60_000, 0, from)).toBe('source-full');
      // Ended by this version, a session leaves the set at once.
      await store.closeSession('p2', 't-p2', 'disconnect');
      expect(await raw.sMembers('mixed:source:10.0.0.1')).toEqual(['p3']);
    } finally {
      await raw.quit();
      await store.close();
    }
  });

  it('refuses a command timeout that is not a positive number of milliseconds', async () => {
    await expect(RedisStore.connect({ url: redis.url, commandTimeoutMs: 0 })).rejects.toThrow(RangeError);
  });

  describeStoreContract('redis', async () => {
    // Every test on keys of its own, two replicas (connections) each.
    const prefix = `contract-${++suite}:`;
    const replicas = [
      await RedisStore.connect({ url: redis.url, prefix, origin: 'r1' }),
      await RedisStore.connect({ url: redis.url, prefix, origin: 'r2' }),
    ] as const;
    return {
      replicas,
      // Deadlines are on Redis's own clock (TIME), which only real time moves.
      advance: (ms) => sleep(ms),
      close: async () => {
        await Promise.all(replicas.map((store) => store.close()));
      },
    };
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import { RedisServer, redisAvailable } from '../../../test/support/redis-server';
import { RedisStore } from '../src/redis-store.js';
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

  describeStoreContract('redis', async () => {
    // Every test on keys of its own, two replicas (connections) each.
    const prefix = `contract-${++suite}:`;
    const replicas = [await RedisStore.connect({ url: redis.url, prefix, origin: 'r1' }), await RedisStore.connect({ url: redis.url, prefix, origin: 'r2' })] as const;
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

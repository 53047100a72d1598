/**
 * The behavioural suite against the Redis backend: the shared Redis on 127.0.0.1:6379 under a
 * key prefix unique to this run (deleted afterwards), and a private redis-server for the outage.
 */
import { randomBytes } from 'node:crypto';
import { RedisStore } from '../../functions/memory/store/redis';
import { deleteKeys, startPrivateRedis, TEST_REDIS_URL } from './redis-server';
import { describeMemoryStore } from './store-suite';

const PREFIX = `ddotest-redis-${randomBytes(4).toString('hex')}`;
let stores = 0;

afterAll(async () => {
  await deleteKeys(PREFIX);
});

describeMemoryStore('redis', {
  makeStore: async ({ runRetentionSeconds }) => {
    stores += 1;
    return new RedisStore({ url: TEST_REDIS_URL, keyPrefix: `${PREFIX}-${stores}`, runRetentionSeconds });
  },
  openOutage: async () => {
    const server = await startPrivateRedis();
    const store = new RedisStore({ url: server.url, keyPrefix: 'ddo', runRetentionSeconds: 60 });
    return {
      store,
      stop: server.stop,
      start: server.start,
      dispose: async () => {
        await store.close();
        await server.dispose();
      },
    };
  },
});

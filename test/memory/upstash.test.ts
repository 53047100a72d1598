/**
 * The behavioural suite against the Upstash backend: the real @upstash/redis client, through the
 * local REST server in test/support, onto the shared Redis under a key prefix unique to this run.
 */
import { randomBytes } from 'node:crypto';
import { UpstashStore } from '../../functions/memory/store/upstash';
import { startUpstashServer, type UpstashTestServer } from '../support/upstash-server';
import { deleteKeys, TEST_REDIS_URL } from './redis-server';
import { describeMemoryStore } from './store-suite';

const PREFIX = `ddotest-upstash-${randomBytes(4).toString('hex')}`;
let server: UpstashTestServer;
let stores = 0;

beforeAll(async () => {
  server = await startUpstashServer({ redisUrl: TEST_REDIS_URL });
});

afterAll(async () => {
  await server.close();
  await deleteKeys(PREFIX);
});

describeMemoryStore('upstash', {
  makeStore: async ({ runRetentionSeconds }) => {
    stores += 1;
    const keyPrefix = `${PREFIX}-${stores}`;
    return new UpstashStore({ url: server.url, token: server.token, keyPrefix, runRetentionSeconds });
  },
  openOutage: async () => {
    // A server of its own, so stopping it cannot disturb the other tests.
    const own = await startUpstashServer({ redisUrl: TEST_REDIS_URL });
    stores += 1;
    const keyPrefix = `${PREFIX}-${stores}`;
    const store = new UpstashStore({ url: own.url, token: own.token, keyPrefix, runRetentionSeconds: 60 });
    return { store, stop: own.stop, start: own.start, dispose: () => own.close() };
  },
});

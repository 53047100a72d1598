import { Writable } from 'node:stream';
import pino from 'pino';
import { loadSettings } from '../../shared/config';
import { ConfigError, TransientError } from '../../shared/errors';
import { memorySettings } from '../../functions/memory/settings';
import { createStore, reportStoreAtStartup } from '../../functions/memory/store/create';
import { EmbeddedStore } from '../../functions/memory/store/embedded';
import { RedisStore } from '../../functions/memory/store/redis';
import type { MemoryStore } from '../../functions/memory/store/types';
import { UpstashStore } from '../../functions/memory/store/upstash';
import { eventually } from './fixtures';
import { freePort, startPrivateRedis } from './redis-server';

const SECRET = 'hunter2-secret';
const UPSTASH_URL = { UPSTASH_REDIS_REST_URL: 'https://x.upstash.io' };
const REDIS = { DDO_MEMORY_BACKEND: 'redis', REDIS_URL: 'redis://h' };

function settingsFrom(env: Record<string, string>) {
  return loadSettings(memorySettings, env, () => undefined);
}

/** A pino logger writing into an array of lines. */
function captureLogs() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { log: pino({ level: 'debug' }, sink), lines };
}

describe('createStore', () => {
  const stores: MemoryStore[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  test.each([
    [{}, EmbeddedStore],
    [{ DDO_MEMORY_BACKEND: 'redis', REDIS_URL: 'redis://127.0.0.1:6379' }, RedisStore],
    [{ DDO_MEMORY_BACKEND: 'Upstash', ...UPSTASH_URL, UPSTASH_REDIS_REST_TOKEN: 't' }, UpstashStore],
  ])('builds the backend %j names', (env, kind) => {
    const store = createStore(settingsFrom(env));
    stores.push(store);

    expect(store).toBeInstanceOf(kind);
  });

  test.each([
    ['redis without REDIS_URL', { DDO_MEMORY_BACKEND: 'redis' }, /REDIS_URL/],
    ['upstash without a token', { DDO_MEMORY_BACKEND: 'upstash', ...UPSTASH_URL }, /UPSTASH_REDIS_REST_TOKEN/],
    ['an unknown backend', { DDO_MEMORY_BACKEND: 'redsi' }, /"redsi" is not a memory backend; use embedded, redis/],
    ['a key prefix with a separator', { ...REDIS, DDO_MEMORY_KEY_PREFIX: 'a:b' }, /prefix/],
    ['a REDIS_URL that is not redis://', { ...REDIS, REDIS_URL: `http://u:${SECRET}@h` }, /redis:\/\//],
    ['a REDIS_URL that is no URL', { ...REDIS, REDIS_URL: `:${SECRET}@` }, /not a URL/],
  ])('refuses %s with a ConfigError that names the setting and no secret', (_label, env, message) => {
    const attempt = () => createStore(settingsFrom(env));

    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
    expect(attempt).not.toThrow(SECRET);
  });
});

describe('the redis backend with an unreachable server', () => {
  it('answers a TransientError naming the backend and host, never the password', async () => {
    const port = await freePort();
    const url = `redis://ddo:${SECRET}@127.0.0.1:${port}/2`;
    const store = new RedisStore({ url, keyPrefix: 'ddo', runRetentionSeconds: 60 });

    const err = await store.getRun('acme', 'run_1').catch((e: unknown) => e);
    await store.close();

    expect(store.target).toBe(`127.0.0.1:${port}/2`);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).toContain(`redis memory store at 127.0.0.1:${port}/2`);
    expect((err as Error).message).not.toContain(SECRET);
  });
});

describe('reportStoreAtStartup', () => {
  it('logs the backend and host once while the store is down, then that it answers', async () => {
    const { log, lines } = captureLogs();
    const port = await freePort();
    const url = `redis://:${SECRET}@127.0.0.1:${port}`;
    const store = new RedisStore({ url, keyPrefix: 'ddo', runRetentionSeconds: 60, logger: log });
    const stop = reportStoreAtStartup(store, log, 100);
    await eventually(async () => expect(lines.join('\n')).toContain('unreachable at start-up'));
    const server = await startPrivateRedis({ port, password: SECRET });

    try {
      await eventually(async () => expect(lines.join('\n')).toContain('memory store answers'));
    } finally {
      stop();
      await store.close();
      await server.dispose();
    }

    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const startup = entries.filter((l) => String(l.msg).includes('start-up'));
    const where = { backend: 'redis', target: `127.0.0.1:${port}` };
    expect(startup).toEqual([expect.objectContaining({ level: 50, ...where })]);
    expect(lines.join('\n')).not.toContain(SECRET);
  });
});

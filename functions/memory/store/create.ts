/**
 * Chooses and builds the memory store from the memory settings, and reports at start-up
 * whether it answers. A store that does not answer yet is not fatal: the process stays up,
 * /healthz answers 503 (Knative keeps the instance out of rotation) and every call answers a
 * retryable 503 until the store is back. Only settings that can never work are fatal.
 */
import { ConfigError } from '../../../shared/errors';
import type { SettingsOf } from '../../../shared/config';
import type { Logger } from '../../../shared/log';
import { MEMORY_BACKENDS, type MemoryBackend, type memorySettings } from '../settings';
import { EmbeddedStore } from './embedded';
import type { MemoryStore } from './types';

export type MemorySettings = SettingsOf<typeof memorySettings>;

const STARTUP_RETRY_MS = 2_000;

function isBackend(value: string): value is MemoryBackend {
  return (MEMORY_BACKENDS as readonly string[]).includes(value);
}

/** Builds the store DDO_MEMORY_BACKEND names; throws a ConfigError on settings that cannot work. */
export function createStore(settings: MemorySettings, log?: Logger): MemoryStore {
  const backend = settings.backend;
  if (!isBackend(backend)) {
    const choices = MEMORY_BACKENDS.join(', ');
    const given = JSON.stringify(backend);
    throw new ConfigError(`DDO_MEMORY_BACKEND=${given} is not a memory backend; use ${choices}.`);
  }
  const common = {
    runRetentionSeconds: settings.runRetentionSeconds,
    keyPrefix: settings.keyPrefix,
    timeoutMs: settings.storeTimeoutMs,
  };
  switch (backend) {
    case 'embedded':
      return new EmbeddedStore({ runRetentionSeconds: settings.runRetentionSeconds });
    case 'redis':
      if (settings.redisUrl === '') {
        throw new ConfigError(
          'DDO_MEMORY_BACKEND=redis needs REDIS_URL, for example redis://127.0.0.1:6379.',
        );
      }
      // Loaded only when chosen: a memory function on another backend never pays for the client.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { RedisStore } = require('./redis') as typeof import('./redis');
      return new RedisStore({ ...common, url: settings.redisUrl, logger: log });
    case 'upstash':
      if (settings.upstashUrl === '' || settings.upstashToken === '') {
        throw new ConfigError(
          'DDO_MEMORY_BACKEND=upstash needs UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN.',
        );
      }
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { UpstashStore } = require('./upstash') as typeof import('./upstash');
      return new UpstashStore({
        ...common,
        url: settings.upstashUrl,
        token: settings.upstashToken,
      });
    default: {
      const unreachable: never = backend;
      throw new ConfigError(`Unknown memory backend ${String(unreachable)}.`);
    }
  }
}

/**
 * Pings the store once at start-up and, while it does not answer, every two seconds, logging
 * the backend and where it is (never a password or token). Returns a function that stops it.
 */
export function reportStoreAtStartup(
  store: MemoryStore,
  log: Logger,
  retryMs = STARTUP_RETRY_MS,
): () => void {
  const where = { backend: store.backend, target: (store as { target?: string }).target };
  let timer: NodeJS.Timeout | undefined;
  let isStopped = false;
  let hasFailed = false;

  const check = async (): Promise<void> => {
    try {
      await store.ping();
      if (hasFailed) log.info(where, 'memory store answers; /healthz is ready');
      return;
    } catch (err) {
      if (!hasFailed) {
        const why = (err as Error).message;
        const msg = 'memory store unreachable at start-up; /healthz answers 503 until it answers';
        log.error({ ...where, why }, msg);
      }
      hasFailed = true;
    }
    if (isStopped) return;
    timer = setTimeout(() => void check(), retryMs);
    timer.unref();
  };
  void check();
  return () => {
    isStopped = true;
    clearTimeout(timer);
  };
}

/** Settings of the memory service, declared once. */
import { parse, type SettingsSpec } from '../../shared/config';
import { DEFAULT_STORE_TIMEOUT_MS } from './store/types';

/** The memory backends DDO_MEMORY_BACKEND may name. */
export const MEMORY_BACKENDS = ['embedded', 'redis', 'upstash'] as const;
export type MemoryBackend = (typeof MEMORY_BACKENDS)[number];

// The backend, the key prefix and the store credentials are read as plain text and checked by
// createStore, which fails start-up on a bad value: falling back to a default would quietly
// swap durable memory for the embedded store (or mix two deployments' keys), and the usual
// "ignoring malformed X" warning would print a REDIS_URL password into the logs.
export const memorySettings = {
  backend: {
    env: 'DDO_MEMORY_BACKEND',
    default: 'embedded',
    parse: (raw: string): string => raw.toLowerCase(),
    doc: 'Which store keeps memory: embedded (in-process, lost on restart), redis or upstash.',
  },
  runRetentionSeconds: {
    env: 'DDO_RUN_RETENTION_SECONDS',
    default: 7 * 24 * 3600,
    parse: parse.int(60, 366 * 24 * 3600),
    doc: 'How long a finished run and its event log are kept.',
  },
  redisUrl: {
    env: 'REDIS_URL',
    default: '',
    parse: parse.string,
    doc: 'redis://[user:password@]host[:port][/db] (rediss:// for TLS); needed by the redis backend.',
  },
  upstashUrl: {
    env: 'UPSTASH_REDIS_REST_URL',
    default: '',
    parse: parse.string,
    doc: 'The Upstash database REST URL; required by the upstash backend.',
  },
  upstashToken: {
    env: 'UPSTASH_REDIS_REST_TOKEN',
    default: '',
    parse: parse.string,
    doc: 'The Upstash database REST token; required by the upstash backend. Never logged.',
  },
  keyPrefix: {
    env: 'DDO_MEMORY_KEY_PREFIX',
    default: 'ddo',
    parse: parse.string,
    doc: 'First part of every redis/upstash key (1-64 letters, digits, _ or -), one per deployment.',
  },
  storeTimeoutMs: {
    env: 'DDO_MEMORY_STORE_TIMEOUT_MS',
    default: DEFAULT_STORE_TIMEOUT_MS,
    parse: parse.int(100, 60_000),
    doc: 'How long one redis/upstash call may take before the memory API answers 503.',
  },
} satisfies SettingsSpec;

/**
 * The Redis backend: the shared script store over one ioredis connection (TCP, RESP2), for
 * self-hosted clusters running Redis or Valkey.
 *
 * Outages fail fast and heal on their own. A command waits at most `timeoutMs`; a lost
 * connection rejects what is queued at once (maxRetriesPerRequest 0) instead of replaying it,
 * because a write that may already have landed must be retried by its caller through
 * compare-and-set, never blindly resent; and ioredis reconnects forever, at most a second
 * apart, so the same store works again as soon as Redis is back.
 *
 * Known limit: this is a single-node client, so a Redis Cluster is not supported yet; the keys
 * are already slot-safe (one hash tag per tenant), so switching to ioredis's Cluster client
 * behind the same transport would lift it.
 */
import { Redis, ReplyError } from 'ioredis';
import { ConfigError, DdoError, TransientError } from '../../../shared/errors';
import type { Logger } from '../../../shared/log';
import { ScriptStore, type ScriptStoreOptions, type ScriptTransport } from './script-store';
import { DEFAULT_STORE_TIMEOUT_MS } from './types';
import { assertKeyPrefix } from './keys';
import { ALL_SCRIPTS, type MemoryScript } from './scripts';

const MAX_RECONNECT_DELAY_MS = 1_000;

/** Server replies that mean "busy or not ready yet", which a retry can outlive. */
const TRANSIENT_REPLY = /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY|NOREPLICAS|OOM)\b/;

/** Options of the Redis backend. */
export interface RedisStoreOptions extends ScriptStoreOptions {
  /** redis://[user:password@]host[:port][/db] or rediss:// for TLS. */
  url: string;
  timeoutMs?: number;
  logger?: Logger;
}

/** The host, port and database of a Redis URL, never its credentials. */
export function describeRedisUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('REDIS_URL is not a URL; use redis://[user:password@]host[:port][/db].');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    const scheme = `${parsed.protocol}//`;
    throw new ConfigError(`REDIS_URL must start with redis:// or rediss://, not ${scheme}.`);
  }
  return `${parsed.host}${parsed.pathname.length > 1 ? parsed.pathname : ''}`;
}

/** A MemoryStore on Redis over TCP. */
export class RedisStore extends ScriptStore {
  constructor(options: RedisStoreOptions) {
    // The prefix is checked first, so a bad one never leaves a client behind.
    assertKeyPrefix(options.keyPrefix);
    super(new RedisTransport(options), options);
  }
}

/** Runs the memory scripts on one ioredis client and maps its failures to DdoErrors. */
export class RedisTransport implements ScriptTransport {
  readonly backend = 'redis';
  readonly target: string;
  private readonly client: Redis;
  private isDown = false;

  constructor(options: RedisStoreOptions) {
    this.target = describeRedisUrl(options.url);
    const timeoutMs = options.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS;
    this.client = new Redis(options.url, {
      protocol: 2,
      connectTimeout: timeoutMs,
      commandTimeout: timeoutMs,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
      connectionName: 'ddo-memory',
    });
    for (const script of ALL_SCRIPTS) {
      const { numberOfKeys, lua } = script;
      this.client.defineCommand(script.name, { numberOfKeys, lua });
    }
    // Without a listener ioredis prints every failed reconnect; log the first of each outage.
    const log = options.logger;
    const where = { backend: this.backend, target: this.target };
    this.client.on('error', (err: Error) => {
      if (this.isDown) return;
      this.isDown = true;
      log?.error({ ...where, why: err.message }, 'memory store unreachable');
    });
    this.client.on('ready', () => {
      if (!this.isDown) return;
      this.isDown = false;
      log?.info(where, 'memory store reachable again');
    });
  }

  async run(script: MemoryScript, keys: string[], args: string[]): Promise<unknown> {
    this.failIfKnownDown();
    // defineCommand adds a method per script that ioredis's types cannot know.
    const commands = this.client as unknown as Record<string, (...a: string[]) => Promise<unknown>>;
    try {
      return await commands[script.name].call(this.client, ...keys, ...args);
    } catch (err) {
      throw this.toDdoError(err, script.name);
    }
  }

  async ping(): Promise<void> {
    this.failIfKnownDown();
    try {
      await this.client.ping();
    } catch (err) {
      throw this.toDdoError(err, 'PING');
    }
  }

  async close(): Promise<void> {
    if (this.client.status === 'ready') {
      await this.client.quit().catch(() => this.client.disconnect());
      return;
    }
    this.client.disconnect();
  }

  /** Once a connection attempt has failed, calls fail at once rather than wait for the next. */
  private failIfKnownDown(): void {
    if (!this.isDown || this.client.status === 'ready') return;

    const message = `The redis memory store at ${this.target} is unreachable; retry shortly.`;
    throw new TransientError(message);
  }

  // ioredis attaches the command and its arguments (our stored values) to a reply error, so
  // only its message is kept: logging the error as a cause would log memory contents.
  private toDdoError(err: unknown, what: string): DdoError {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof ReplyError && !TRANSIENT_REPLY.test(message)) {
      const text = `The redis memory store rejected ${what}: ${message}`;
      return new DdoError(text, { reason: 'store_error' });
    }
    const text = `The redis memory store at ${this.target} did not answer: ${message}`;
    return new TransientError(text);
  }
}

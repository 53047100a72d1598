/**
 * The Upstash backend: the shared script store over Upstash Redis's REST API through
 * @upstash/redis. It holds no connection, which suits functions that scale to zero.
 *
 * Each store call is one EVALSHA (EVAL when the script is not cached yet), so it is atomic on
 * the server; the pipeline endpoint is not used because Upstash does not make it atomic.
 * The client's JSON parsing of replies is off (`automaticDeserialization: false`): with it,
 * a stored "123" or '{"a":1}' would come back as a number or an object. Replies still travel
 * base64-encoded (the client's default `Upstash-Encoding: base64`) and are decoded by the
 * client, so any UTF-8 survives the JSON transport.
 */
import { Redis, errors } from '@upstash/redis';
import { ConfigError, DdoError, TransientError } from '../../../shared/errors';
import { ScriptStore, type ScriptStoreOptions, type ScriptTransport } from './script-store';
import { DEFAULT_STORE_TIMEOUT_MS } from './types';
import { assertKeyPrefix } from './keys';
import { ALL_SCRIPTS, type MemoryScript } from './scripts';

/** Upstash answers these when a request may succeed later (rate limits, a busy or loading node). */
const TRANSIENT_ERROR = /max (daily )?requests? limit|rate limit|^(LOADING|BUSY|TRYAGAIN)\b/i;

/** Options of the Upstash backend. */
export interface UpstashStoreOptions extends ScriptStoreOptions {
  /** UPSTASH_REDIS_REST_URL, for example https://eu1-example.upstash.io. */
  url: string;
  /** UPSTASH_REDIS_REST_TOKEN. */
  token: string;
  timeoutMs?: number;
}

/** The host of an Upstash REST URL, never its token. */
export function describeUpstashUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(
      'UPSTASH_REDIS_REST_URL is not a URL; copy the REST URL from the Upstash console.',
    );
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    const scheme = `${parsed.protocol}//`;
    throw new ConfigError(`UPSTASH_REDIS_REST_URL must be an http(s) URL, not ${scheme}.`);
  }
  return parsed.host;
}

/** A MemoryStore on Upstash Redis over REST. */
export class UpstashStore extends ScriptStore {
  constructor(options: UpstashStoreOptions) {
    // The prefix is checked first, so a bad one never leaves a client behind.
    assertKeyPrefix(options.keyPrefix);
    super(new UpstashTransport(options), options);
  }
}

type UpstashScript = ReturnType<Redis['createScript']>;

/** Runs the memory scripts through @upstash/redis and maps its failures to DdoErrors. */
export class UpstashTransport implements ScriptTransport {
  readonly backend = 'upstash';
  readonly target: string;
  private readonly client: Redis;
  private readonly scripts = new Map<string, UpstashScript>();

  constructor(options: UpstashStoreOptions) {
    this.target = describeUpstashUrl(options.url);
    if (options.token === '') {
      throw new ConfigError('Set UPSTASH_REDIS_REST_TOKEN to the database REST token.');
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS;
    this.client = new Redis({
      url: options.url,
      token: options.token,
      automaticDeserialization: false,
      enableAutoPipelining: false,
      enableTelemetry: false,
      // One quick retry for a dropped keep-alive socket; the deadline below covers both tries.
      retry: { retries: 1, backoff: () => 50 },
      // A function, so each request gets its own deadline and a timeout throws (a plain signal
      // makes the client turn an abort into a successful "Aborted" reply).
      signal: () => AbortSignal.timeout(timeoutMs),
    });
    for (const script of ALL_SCRIPTS) {
      this.scripts.set(script.name, this.client.createScript(script.lua));
    }
  }

  async run(script: MemoryScript, keys: string[], args: string[]): Promise<unknown> {
    const compiled = this.scripts.get(script.name);
    if (!compiled) throw new DdoError(`Unknown memory script ${script.name}.`);
    try {
      return await compiled.exec(keys, args);
    } catch (err) {
      throw this.toDdoError(err, script.name);
    }
  }

  async ping(): Promise<void> {
    try {
      await this.client.ping();
    } catch (err) {
      throw this.toDdoError(err, 'PING');
    }
  }

  async close(): Promise<void> {
    // Connectionless: nothing to release.
  }

  private toDdoError(err: unknown, what: string): DdoError {
    // The client appends the whole command, our stored values included, to its messages.
    const message = (err instanceof Error ? err.message : String(err)).split(', command was:')[0];
    const isUpstash = err instanceof errors.UpstashError;
    const isRejection = isUpstash && !(err instanceof errors.UpstashJSONParseError);
    if (isRejection && !TRANSIENT_ERROR.test(message)) {
      const text = `The upstash memory store rejected ${what}: ${message}`;
      return new DdoError(text, { reason: 'store_error' });
    }
    // An UpstashError's own message carries the command, so it is not kept as the cause.
    const text = `The upstash memory store at ${this.target} did not answer: ${message}`;
    return new TransientError(text, isUpstash ? undefined : err);
  }
}

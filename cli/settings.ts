/**
 * Where the CLI sends requests and with which key. Each setting has one declaration: the flag
 * wins over the environment, which wins over the default. The local key file that `npm start`
 * writes is a last resort, and only for a loopback URL, so a key made for the laptop stack is
 * never sent to another host.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from './errors';

export const DEFAULT_API_URL = 'http://127.0.0.1:8080';
export const DEFAULT_BROKER_URL = 'http://127.0.0.1:8090/ddo/default';
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Flags the commands accept for these settings. */
export interface ConnectionFlags {
  url?: string;
  key?: string;
  broker?: string;
}

/** The resolved settings. */
export interface CliSettings {
  /** The api-gateway's base URL, without a trailing slash. */
  apiUrl: string;
  apiKey?: string;
  /** Where the key came from, for the message when there is none or it is refused. */
  keySource: 'flag' | 'DDO_API_KEY' | 'key file' | 'none';
  /** The broker ingress (`/{namespace}/{broker}`) that `events send` posts to. */
  brokerUrl: string;
}

/** Resolves the settings from flags, then `env`, then defaults and the local key file. */
export function resolveSettings(
  flags: ConnectionFlags,
  env: NodeJS.ProcessEnv,
  cwd: string,
): CliSettings {
  const apiUrl = httpUrl(
    flags.url ?? nonEmpty(env.DDO_URL) ?? DEFAULT_API_URL,
    flags.url ? '--url' : 'DDO_URL',
  );
  const brokerUrl = httpUrl(
    flags.broker ?? nonEmpty(env.DDO_BROKER_URL) ?? DEFAULT_BROKER_URL,
    flags.broker ? '--broker' : 'DDO_BROKER_URL',
  );
  if (flags.key) return { apiUrl, apiKey: flags.key, keySource: 'flag', brokerUrl };

  const fromEnv = nonEmpty(env.DDO_API_KEY);
  if (fromEnv) return { apiUrl, apiKey: fromEnv, keySource: 'DDO_API_KEY', brokerUrl };

  const fromFile = isLoopback(apiUrl) ? readKeyFile(cwd, env) : undefined;
  if (fromFile) return { apiUrl, apiKey: fromFile, keySource: 'key file', brokerUrl };
  return { apiUrl, keySource: 'none', brokerUrl };
}

/** Returns the key or explains every way to provide one. */
export function requireKey(settings: CliSettings): string {
  if (settings.apiKey) return settings.apiKey;

  throw new UsageError(
    'No API key: pass --key, set DDO_API_KEY, or run `ddo` in the folder where `npm start` runs ' +
      '(it keeps the local key in .ddo/local-api-key).',
  );
}

/** The broker's dead-letter API, which the local broker serves beside its ingress. */
export function deadLettersUrl(settings: CliSettings): string {
  return `${new URL(settings.brokerUrl).origin}/dead-letters`;
}

function readKeyFile(cwd: string, env: NodeJS.ProcessEnv): string | undefined {
  // The same folder the local stack uses for its state (DDO_DATA_DIR, default .ddo).
  const file = path.resolve(cwd, nonEmpty(env.DDO_DATA_DIR) ?? '.ddo', 'local-api-key');
  try {
    return nonEmpty(fs.readFileSync(file, 'utf8').trim());
  } catch {
    return undefined;
  }
}

function httpUrl(raw: string, from: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${from} must be an http or https URL, not ${JSON.stringify(raw)}.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${from} must be an http or https URL, not ${JSON.stringify(raw)}.`);
  }
  return url.toString().replace(/\/+$/, '');
}

function isLoopback(url: string): boolean {
  return LOOPBACK_HOSTS.has(new URL(url).hostname);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/**
 * Settings are declared once, as a table of { env, default, parse }. `loadSettings` reads them
 * from an injected environment at call time: a missing required setting is fatal, a malformed
 * optional one logs a warning naming the variable and falls back to its default.
 */
import { ConfigError } from './errors';

export type Env = Record<string, string | undefined>;

export interface Setting<T> {
  env: string;
  /** Omit to make the setting required. */
  default?: T;
  parse: (raw: string) => T;
  doc: string;
  /** A credential: its value never appears in a warning or an error. */
  isSecret?: boolean;
}

export type SettingsSpec = Record<string, Setting<unknown>>;
export type SettingsOf<S extends SettingsSpec> = { [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

type Warn = (msg: string, fields: Record<string, unknown>) => void;

/** Reads every declared setting from `env`; throws ConfigError naming each missing required one. */
export function loadSettings<S extends SettingsSpec>(
  spec: S,
  env: Env = process.env,
  warn: Warn = defaultWarn,
): SettingsOf<S> {
  const out: Record<string, unknown> = {};
  const missing: string[] = [];
  for (const [key, setting] of Object.entries(spec)) {
    const raw = env[setting.env]?.trim();
    if (raw === undefined || raw === '') {
      if (setting.default === undefined) missing.push(setting.env);
      out[key] = setting.default;
      continue;
    }
    try {
      out[key] = setting.parse(raw);
    } catch (err) {
      const shown = setting.isSecret ? '[redacted]' : raw;
      if (setting.default === undefined) {
        throw new ConfigError(`${setting.env}=${JSON.stringify(shown)} is invalid: ${(err as Error).message}`);
      }
      warn(`ignoring malformed ${setting.env}`, { value: shown, fallback: setting.default, why: (err as Error).message });
      out[key] = setting.default;
    }
  }
  if (missing.length > 0) {
    throw new ConfigError(`Set the required environment variable(s): ${missing.join(', ')}.`);
  }
  return out as SettingsOf<S>;
}

function defaultWarn(msg: string, fields: Record<string, unknown>): void {
  process.emitWarning(`${msg} ${JSON.stringify(fields)}`, 'DdoConfigWarning');
}

/** Parsers shared by the settings tables. */
export const parse = {
  string: (raw: string): string => raw,
  int:
    (min: number, max: number) =>
    (raw: string): number => {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < min || n > max) throw new Error(`expected an integer in ${min}..${max}`);
      return n;
    },
  bool: (raw: string): boolean => {
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new Error('expected true or false');
  },
  url: (raw: string): string => {
    const u = new URL(raw);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('expected an http(s) URL');
    return raw.replace(/\/+$/, '');
  },
  oneOf:
    <T extends string>(...values: T[]) =>
    (raw: string): T => {
      if (!values.includes(raw as T)) throw new Error(`expected one of ${values.join(', ')}`);
      return raw as T;
    },
};

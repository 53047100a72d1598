/**
 * API keys: DDO_API_KEYS holds `tenant:key` pairs. A request's bearer key is compared in
 * constant time against each key's hash; the tenant it maps to scopes everything it can see.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ConfigError, UnauthorizedError } from '../../shared/errors';
import { isValidId } from '../../shared/ids';

export interface Principal {
  tenant: string;
  /** A stable, non-secret handle for the key (for rate limits and logs). */
  keyId: string;
}

interface KeyEntry extends Principal {
  digest: Buffer;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Parses `tenant:key,tenant:key`; throws ConfigError naming the malformed entry. */
export function parseApiKeys(raw: string): KeyEntry[] {
  const entries = raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (entries.length === 0) throw new ConfigError('DDO_API_KEYS has no tenant:key pairs.');
  const seen = new Set<string>();
  return entries.map((entry, i) => {
    const at = entry.indexOf(':');
    const tenant = entry.slice(0, at).trim();
    const key = entry.slice(at + 1).trim();
    if (at <= 0 || !isValidId(tenant)) {
      throw new ConfigError(`DDO_API_KEYS entry ${i + 1} must start with a tenant id (letters, digits, . _ -) and a colon.`);
    }
    if (key.length < 8 || /\s/.test(key)) {
      throw new ConfigError(`DDO_API_KEYS entry ${i + 1} (tenant ${tenant}) needs a key of 8+ characters without spaces.`);
    }
    if (seen.has(key)) throw new ConfigError(`DDO_API_KEYS gives the key of entry ${i + 1} (tenant ${tenant}) to two entries; keys must be unique.`);
    seen.add(key);
    return { tenant, keyId: digest(key).toString('hex').slice(0, 12), digest: digest(key) };
  });
}

/** Returns the principal for the request's bearer key, or throws 401. */
export function authenticate(keys: KeyEntry[], headers: IncomingHttpHeaders): Principal {
  const header = headers.authorization;
  const m = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!m) throw new UnauthorizedError();
  const presented = digest(m[1]);
  const match = keys.find((k) => timingSafeEqual(k.digest, presented));
  if (!match) throw new UnauthorizedError('The API key is not valid.');
  return { tenant: match.tenant, keyId: match.keyId };
}

/**
 * API keys: DDO_API_KEYS holds `tenant:key` pairs. A request's bearer key is compared in
 * constant time against each key's hash; the tenant it maps to scopes everything it can see.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ConfigError, UnauthorizedError } from '../../shared/errors';
import { EXTERNAL_PRINCIPALS, TENANT_HEADER } from '../../shared/deploy/mesh';
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

/**
 * Whether the request's immediate mesh peer is the ingress gateway, from the client-certificate
 * header the sidecar sets (its last element is the peer that called us; a client cannot forge
 * it, because the sidecar replaces what the client sent).
 */
function isFromIngressGateway(headers: IncomingHttpHeaders): boolean {
  const xfcc = headers['x-forwarded-client-cert'];
  if (typeof xfcc !== 'string') return false;
  const peer = xfcc.split(',').pop() ?? '';
  const uri = /(?:^|;)URI=([^;]+)/.exec(peer)?.[1];
  return EXTERNAL_PRINCIPALS['ingress-gateway'].some((p) => uri === `spiffe://${p}`);
}

/**
 * Returns the caller's principal: the tenant the ingress gateway took from a verified JWT (only
 * when the request came through it), or the tenant of the bearer API key; otherwise 401.
 */
export function authenticate(keys: KeyEntry[], headers: IncomingHttpHeaders, acceptsIngressTenant = true): Principal {
  const claimed = headers[TENANT_HEADER];
  if (claimed !== undefined) {
    // Outside the mesh nothing strips a forged client-certificate header, so the local stack
    // leaves this off (DDO_ACCEPT_INGRESS_TENANT); the cluster manifests turn it on.
    if (!acceptsIngressTenant || !isFromIngressGateway(headers)) {
      throw new UnauthorizedError(`The ${TENANT_HEADER} header is accepted only from the ingress gateway.`);
    }
    if (typeof claimed !== 'string' || !isValidId(claimed)) throw new UnauthorizedError('The JWT tenant claim is not a valid tenant id.');
    return { tenant: claimed, keyId: `jwt:${claimed}` };
  }
  const header = headers.authorization;
  const m = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!m) throw new UnauthorizedError();
  const presented = digest(m[1]);
  const match = keys.find((k) => timingSafeEqual(k.digest, presented));
  if (!match) throw new UnauthorizedError('The API key is not valid.');
  return { tenant: match.tenant, keyId: match.keyId };
}

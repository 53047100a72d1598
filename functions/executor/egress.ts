/**
 * The executor's egress guard. Outbound HTTP may reach only hosts declared as Istio
 * ServiceEntries in istio/ (the same files the mesh applies), plus loopback addresses listed
 * explicitly in DDO_EGRESS_ALLOW_LOCAL for local development (an Ollama on 127.0.0.1:11434, say).
 * Everything else is refused before a socket opens, naming the host and where to declare it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { DdoError } from '../../shared/errors';

export class EgressDeniedError extends DdoError {
  constructor(host: string) {
    super(
      `Egress to ${host} is not allowed: declare it as a ServiceEntry host in istio/egress-service-entries.yaml ` +
        '(and, for loopback development servers, in DDO_EGRESS_ALLOW_LOCAL).',
      { status: 403, reason: 'egress_denied', details: { host } },
    );
  }
}

export interface EgressPolicy {
  /** Declared hosts, exact names or `*.suffix` wildcards. */
  hosts: string[];
  /** host:port pairs allowed on loopback for local development. */
  local: string[];
}

/** Reads the ServiceEntry hosts from every YAML file under `dir`. */
export function loadDeclaredHosts(dir: string): string[] {
  const hosts = new Set<string>();
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.ya?ml$/.test(entry.name)) {
        for (const doc of parseAllDocuments(fs.readFileSync(full, 'utf8'))) {
          const obj = doc.toJSON() as { kind?: string; spec?: { hosts?: unknown } } | null;
          if (obj?.kind !== 'ServiceEntry' || !Array.isArray(obj.spec?.hosts)) continue;
          for (const h of obj.spec.hosts) if (typeof h === 'string') hosts.add(h.toLowerCase());
        }
      }
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return [...hosts].sort();
}

/** Builds the policy from istio/ (DDO_ISTIO_DIR) and DDO_EGRESS_ALLOW_LOCAL. */
export function egressPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): EgressPolicy {
  const dir = path.resolve(env.DDO_ISTIO_DIR ?? path.join(process.cwd(), 'istio'));
  const local = (env.DDO_EGRESS_ALLOW_LOCAL ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  return { hosts: loadDeclaredHosts(dir), local };
}

/** Throws EgressDeniedError unless `url` may be reached under `policy`. */
export function assertEgressAllowed(policy: EgressPolicy, url: string | URL): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new DdoError(`${String(url)} is not a valid URL.`, { status: 400, reason: 'bad_url' });
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    throw new DdoError(`Only http and https URLs can be fetched, not ${u.protocol}.`, { status: 400, reason: 'bad_url' });
  }
  const host = u.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  if (isLoopback(host)) {
    if (policy.local.includes(`${host}:${port}`) || policy.local.includes(`[${host}]:${port}`)) return u;
    throw new EgressDeniedError(`${host}:${port}`);
  }
  const declared = policy.hosts.some((h) => (h.startsWith('*.') ? host.endsWith(h.slice(1)) : h === host));
  if (!declared) throw new EgressDeniedError(host);
  return u;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/**
 * The executor's egress guard. Outbound HTTP may reach only hosts declared as Istio
 * ServiceEntries in istio/ (the same files the mesh applies), plus loopback addresses listed
 * explicitly in DDO_EGRESS_ALLOW_LOCAL for local development (an Ollama on 127.0.0.1:11434, say).
 * Everything else is refused before a socket opens, naming the host and where to declare it.
 *
 * The SDK hooks at the end of this file put the same check in each model SDK's request path:
 * a fetch for openai, a wrapped request handler for Bedrock and an axios interceptor for
 * watsonx (service calls and IAM token calls alike).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import path from 'node:path';
import { meshEgressUrl, TLS_ORIGINATION_ENV } from '../../shared/deploy/egress-hosts';
import { DdoError } from '../../shared/errors';
import { hostMatches } from '../../shared/policy/match';
import { parseYamlDocuments } from '../../shared/yaml-reader';

/** A request to a host that is not declared (or a loopback address that is not listed). */
export class EgressDeniedError extends DdoError {
  constructor(host: string) {
    super(
      `Egress to ${host} is not allowed: declare it as a ServiceEntry host in istio/egress-service-entries.yaml ` +
        '(and, for loopback development servers, in DDO_EGRESS_ALLOW_LOCAL).',
      { status: 403, reason: 'egress_denied', details: { host } },
    );
  }
}

/** The hosts the executor may reach. */
export interface EgressPolicy {
  /** Declared hosts, exact names or `*.suffix` wildcards. */
  hosts: string[];
  /** host:port pairs allowed on loopback for local development. */
  local: string[];
  /** Inside the mesh with TLS origination at the egress gateway (DDO_EGRESS_TLS_ORIGINATION). */
  meshTlsOrigination?: boolean;
}

/** Reads the ServiceEntry hosts from every YAML file under `dir`. */
export function loadDeclaredHosts(dir: string): string[] {
  const hosts = new Set<string>();
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.ya?ml$/.test(entry.name)) {
        const text = fs.readFileSync(full, 'utf8');
        // Parsing YAML dominates the executor's cold start; most of istio/ declares no hosts.
        if (!/^kind:\s*ServiceEntry\b/m.test(text)) continue;
        for (const doc of parseYamlDocuments(text)) {
          const obj = doc as { kind?: string; spec?: { hosts?: unknown } } | null;
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
  return { hosts: loadDeclaredHosts(dir), local, meshTlsOrigination: env[TLS_ORIGINATION_ENV] === 'true' };
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
  const declared = policy.hosts.some((h) => hostMatches(h, host));
  if (!declared) throw new EgressDeniedError(host);
  return u;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** What a guarded call saw: the first refusal, kept even if an SDK rewraps the error. */
interface EgressScope {
  denied?: DdoError;
}

const scopes = new AsyncLocalStorage<EgressScope>();

/** Like assertEgressAllowed, and records a refusal in the surrounding `withEgressScope`. */
export function checkEgress(policy: EgressPolicy, url: string | URL): URL {
  try {
    return assertEgressAllowed(policy, url);
  } catch (err) {
    const scope = scopes.getStore();
    if (scope && !scope.denied && err instanceof DdoError) scope.denied = err;
    throw err;
  }
}

/**
 * Runs an SDK call; when the guard refused one of its requests, the refusal is what the call
 * throws. SDKs wrap errors thrown by their transport (openai in APIConnectionError, the IBM
 * core in a plain Error with only the message), which would hide the reason and the host.
 */
export async function withEgressScope<T>(fn: () => Promise<T>): Promise<T> {
  const scope: EgressScope = {};
  try {
    return await scopes.run(scope, fn);
  } catch (err) {
    throw scope.denied ?? err;
  }
}

/** The URL to open for an allowed `url`: rewritten for the egress gateway when the policy says so. */
export function routeForMesh(policy: EgressPolicy, url: URL): URL {
  if (!policy.meshTlsOrigination) return url;
  const routed = meshEgressUrl(url, { [TLS_ORIGINATION_ENV]: 'true' });
  return routed.href === url.href ? url : routed;
}

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

const MAX_SDK_REDIRECTS = 3;

/**
 * A fetch for SDKs that accept one (openai): every URL is checked before the request, and
 * redirects are followed by hand so each hop is checked too. Only 307/308 are followed (they
 * keep method and body, which a model call needs); other redirects reach the SDK as errors.
 */
export function guardedFetch(policy: EgressPolicy, inner: Fetch = fetch): Fetch {
  return async (input, init) => {
    let url = checkEgress(policy, input instanceof Request ? input.url : input);
    const request = input instanceof Request ? input : undefined;
    for (let hop = 0; ; hop++) {
      const target = routeForMesh(policy, url);
      const first = request && hop === 0 && target === url ? request : target;
      const res = await inner(first, { ...init, redirect: 'manual' });
      const location = res.headers.get('location');
      const isReplayable = init?.body === undefined || typeof init.body === 'string';
      const isKeptMethod = res.status === 307 || res.status === 308;
      if (!location || !isKeptMethod || !isReplayable || hop >= MAX_SDK_REDIRECTS) return res;
      await res.arrayBuffer();
      url = checkEgress(policy, new URL(location, url));
    }
  };
}

/** The parts of a Smithy HttpRequest the guard reads (Bedrock's requests). */
interface SmithyRequestLike {
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
}

/** The shape of a Smithy HttpHandler, as the AWS SDK calls it. */
export interface SmithyHandlerLike {
  handle(request: SmithyRequestLike, options?: unknown): Promise<unknown>;
  destroy?(): void;
  updateHttpClientConfig?(key: never, value: never): void;
  httpHandlerConfigs?(): unknown;
}

/**
 * Wraps an AWS SDK request handler (a NodeHttpHandler) so each request's URL is checked before
 * the inner handler opens a socket. The inner handler follows no redirects, so this is the
 * only check needed.
 */
export function guardSmithyHandler(policy: EgressPolicy, inner: SmithyHandlerLike): SmithyHandlerLike {
  return {
    handle: (request, options) => {
      const port = request.port ? `:${request.port}` : '';
      const url = checkEgress(policy, `${request.protocol}//${request.hostname}${port}${request.path}`);
      const target = routeForMesh(policy, url);
      if (target !== url) {
        // The signed Host header is unchanged; only the scheme and port the socket uses change.
        request.protocol = target.protocol;
        request.port = target.port ? Number(target.port) : undefined;
      }
      return inner.handle(request, options);
    },
    destroy: () => inner.destroy?.(),
    updateHttpClientConfig: (key, value) => inner.updateHttpClientConfig?.(key, value),
    httpHandlerConfigs: () => inner.httpHandlerConfigs?.() ?? {},
  };
}

/** The parts of an axios instance the guard uses (the IBM SDK core's HTTP client). */
export interface AxiosLike {
  interceptors: { request: { use(onFulfilled: (config: never) => unknown): unknown } };
  getUri(config?: unknown): string;
}

/**
 * Checks every request of an axios instance before it is sent. Redirects are switched off
 * (`maxRedirects: 0`): axios would follow them inside its Node adapter, after this check, and
 * neither watsonx nor IBM IAM redirects API calls, so a 3xx reaches the SDK as an error.
 */
export function guardAxios(policy: EgressPolicy, axios: AxiosLike): void {
  axios.interceptors.request.use(((config: Record<string, unknown>) => {
    const url = checkEgress(policy, axios.getUri(config));
    config.maxRedirects = 0;
    // The IBM SDK core sends absolute URLs with the query in `params`; only the origin changes.
    const target = typeof config.url === 'string' && /^https?:\/\//.test(config.url) ? config.url : undefined;
    if (target && routeForMesh(policy, url) !== url) {
      config.url = routeForMesh(policy, new URL(target)).toString();
    }
    return config;
  }) as never);
}

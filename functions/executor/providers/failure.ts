/**
 * How a model call failed, in the same terms for every provider: each provider maps its SDK's
 * errors onto a ModelCallError of one kind, and the retry and failover code reads only that.
 * Messages are rebuilt from scrubbed parts; the SDK error is not kept as `cause`, because SDK
 * errors can carry request headers, bodies and credentials.
 */
import { ConfigError, DdoError } from '../../../shared/errors';
import type { ModelTarget } from './context';

/** What went wrong, from the caller's side. */
export type FailureKind =
  | 'rate_limited'
  | 'server'
  | 'timeout'
  | 'connection'
  | 'auth'
  | 'bad_request'
  | 'egress_denied'
  | 'config'
  | 'model_behavior';

const RETRYABLE: ReadonlySet<FailureKind> = new Set(['rate_limited', 'server', 'timeout', 'connection']);

/** The stable `reason` each kind is reported with in model.completed and the run record. */
export const REASON_BY_KIND: Record<FailureKind, string> = {
  rate_limited: 'model_rate_limited',
  server: 'model_unavailable',
  timeout: 'model_timeout',
  connection: 'model_unavailable',
  auth: 'model_auth',
  bad_request: 'model_bad_request',
  egress_denied: 'egress_denied',
  config: 'model_config',
  model_behavior: 'model_behavior',
};

/** One failed model call, naming the provider and model. */
export class ModelCallError extends DdoError {
  readonly kind: FailureKind;
  readonly provider: string;
  readonly model: string;
  readonly httpStatus?: number;
  /** How long the provider asked us to wait (Retry-After), when it said. */
  readonly retryAfterMs?: number;

  constructor(
    target: { provider: string; model: string },
    kind: FailureKind,
    detail: string,
    extra: { httpStatus?: number; retryAfterMs?: number } = {},
  ) {
    super(`${target.provider} model ${target.model}: ${detail}`, {
      status: kind === 'bad_request' || kind === 'model_behavior' ? 422 : 502,
      reason: REASON_BY_KIND[kind],
      details: { provider: target.provider, model: target.model, kind, httpStatus: extra.httpStatus },
    });
    this.kind = kind;
    this.provider = target.provider;
    this.model = target.model;
    this.httpStatus = extra.httpStatus;
    this.retryAfterMs = extra.retryAfterMs;
  }

  /** Whether the same call may succeed later: rate limits, 5xx, timeouts, connection errors. */
  override get isRetryable(): boolean {
    return RETRYABLE.has(this.kind);
  }
}

/** Maps an HTTP status from a provider to a failure kind. */
export function kindOfStatus(status: number): FailureKind {
  if (status === 429) return 'rate_limited';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'server';
  if (status === 401 || status === 403) return 'auth';
  return 'bad_request';
}

/** Explains a kind in words, with a hint at what to check; `credentialsHint` names env vars. */
export function describeStatus(kind: FailureKind, status: number | undefined, hint: string): string {
  const http = status ? ` (HTTP ${status})` : '';
  switch (kind) {
    case 'auth':
      return `the provider refused the credentials${http}; check ${hint}`;
    case 'rate_limited':
      return `rate limited${http}`;
    case 'server':
      return `the provider failed${http}`;
    case 'timeout':
      return `the call timed out${http}`;
    case 'bad_request':
      return `the provider rejected the request${http}`;
    default:
      return `the call failed${http}`;
  }
}

/** Parses Retry-After (seconds or an HTTP date) or retry-after-ms into milliseconds. */
export function parseRetryAfter(
  header: string | null | undefined,
  msHeader?: string | null,
  now = Date.now(),
): number | undefined {
  if (msHeader) {
    const ms = Number(msHeader);
    if (Number.isFinite(ms) && ms >= 0) return ms;
  }
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1_000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

// Each pattern keeps its label and replaces the value: what was there stays readable.
const SECRET_PATTERNS: readonly [RegExp, string][] = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/gi, '$1 [redacted]'],
  [/\bsk-[A-Za-z0-9_-]{8,}/g, '[redacted]'],
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, '[redacted]'],
  [
    /\b(apikey|api_key|api-key|access_token|refresh_token|password|secret|token)(["']?\s*[:=]\s*["']?)[^\s"'&,}]+/gi,
    '$1$2[redacted]',
  ],
  [/\b(X-Amz-Security-Token|X-Amz-Signature|Signature|Credential)=[^\s&,]+/gi, '$1=[redacted]'],
];

const MAX_DETAIL_CHARS = 500;

/**
 * Removes credentials from text that came from an SDK or a provider: every known secret value
 * verbatim, then anything shaped like a bearer token, an API key or a signature.
 */
export function scrub(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out.length > MAX_DETAIL_CHARS ? `${out.slice(0, MAX_DETAIL_CHARS)}…` : out;
}

/** True for errors thrown because our own abort signal fired (per-call timeout). */
export function isAbort(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name;
  return name === 'AbortError' || name === 'TimeoutError' || name === 'APIUserAbortError';
}

/** True for transport errors that never got a response (refused, reset, DNS). */
export function isConnectionError(err: unknown): boolean {
  const e = err as { message?: unknown; code?: unknown; cause?: unknown } | null;
  const text = `${String(e?.message)} ${String(e?.code)} ${String(e?.cause)}`;
  return /ECONNREFUSED|ECONNRESET|EPIPE|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|socket hang up|fetch failed|network/i.test(text);
}

/**
 * Maps the failures every provider shares: a refusal by the egress guard, missing settings,
 * our timeout and transport errors. Returns undefined for anything provider-specific.
 */
export function commonFailure(target: ModelTarget, err: unknown): ModelCallError | undefined {
  if (err instanceof ModelCallError) return err;
  if (err instanceof DdoError && (err.reason === 'egress_denied' || err.reason === 'bad_url')) {
    return new ModelCallError(target, 'egress_denied', err.message);
  }
  if (err instanceof ConfigError) return new ModelCallError(target, 'config', err.message);
  if (isAbort(err)) return new ModelCallError(target, 'timeout', 'the call was cancelled or timed out');
  return undefined;
}

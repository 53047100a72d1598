/**
 * JSON over HTTP between services (orchestrator → memory, api-gateway → orchestrator). Connections
 * are kept alive; failures come back as DdoErrors so callers can tell a
 * retryable outage (TransientError) from a definite answer (404, 409, 4xx).
 */
import { ConflictError, DdoError, NotFoundError, TransientError } from '../errors';
import { traceHeaders } from '../telemetry/tracing';
import { send, type TransportResponse } from './transport';

export interface JsonResponse<T> {
  status: number;
  body: T;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Sends a JSON request (`body`, or `opts.rawBody` already encoded) and returns the parsed reply;
 * non-2xx statuses become DdoErrors.
 */
export async function requestJson<T>(
  method: string,
  url: string,
  body?: unknown,
  opts: { timeoutMs?: number; headers?: Record<string, string>; rawBody?: string } = {},
): Promise<JsonResponse<T>> {
  let res: TransportResponse;
  try {
    res = await send(method, url, {
      headers: {
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...traceHeaders(),
        ...opts.headers,
      },
      // A body already encoded by the caller (a CloudEvent in binary mode) goes as it is.
      body: opts.rawBody ?? (body === undefined ? undefined : JSON.stringify(body)),
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
  } catch (err) {
    throw new TransientError(`${new URL(url).host} is unreachable: ${(err as Error).message}`, err);
  }
  const raw = res.body.toString('utf8');
  const parsed = raw === '' ? undefined : safeJson(raw);
  if (res.status >= 200 && res.status < 300) return { status: res.status, body: parsed as T };
  throw errorFromResponse(res.status, parsed, url);
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return { detail: raw.slice(0, 500) };
  }
}

function errorFromResponse(status: number, body: unknown, url: string): DdoError {
  const detail =
    typeof body === 'object' && body !== null && typeof (body as { detail?: unknown }).detail === 'string'
      ? (body as { detail: string }).detail
      : `HTTP ${status} from ${new URL(url).host}`;
  const reason = (body as { reason?: string } | undefined)?.reason;
  if (status === 404) return new NotFoundError(detail);
  if (status === 409) return new ConflictError(detail, { body });
  if (status >= 500 || status === 429) return new TransientError(detail);
  return new DdoError(detail, { status, reason: reason ?? 'upstream_rejected' });
}

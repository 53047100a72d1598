/**
 * The CLI's HTTP client for the api-gateway and the local broker. Connection failures become
 * UnreachableError (the stack is not running), non-2xx answers become ApiError carrying the
 * problem's reason and detail, and the run event stream reconnects with Last-Event-ID.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, CliError, EXIT, UnreachableError } from './errors';
import { requireKey, type CliSettings } from './settings';
import { readSse } from './sse';

/** One entry of a run's event log, as the event stream sends it. */
export interface LogEntry {
  seq: number;
  at: string;
  type: string;
  [field: string]: unknown;
}

/** The run record of `GET /v1/runs/{runId}`; see docs/openapi.yaml. */
export interface RunRecord {
  runId: string;
  agentId: string;
  sessionId: string;
  status: 'running' | 'awaiting_approval' | 'completed' | 'failed';
  output: string | null;
  error: { reason: string; message: string } | null;
  iterations: number;
  steps?: RunStep[];
  usage?: { inputTokens?: number; outputTokens?: number; modelCalls?: number };
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
}

/** One step of the run's current plan. */
export interface RunStep {
  id: string;
  tool: string;
  status: string;
  durationMs?: number;
  args?: Record<string, unknown>;
  dependsOn?: string[];
  output?: unknown;
  error?: { reason: string; message: string };
}

const REQUEST_TIMEOUT_MS = 15_000;
const MAX_STREAM_RECONNECTS = 5;

/** Sends one request; a failure to connect is reported as the stack not running. */
export async function send(what: string, url: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    if (init.signal?.aborted) {
      if ((init.signal.reason as Error | undefined)?.name !== 'TimeoutError') throw err;
      const message = `${what} at ${new URL(url).origin} did not answer in time; try again.`;
      throw new CliError(message, EXIT.usage);
    }
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new UnreachableError(what, new URL(url).origin, why);
  }
}

/** Throws ApiError for a non-2xx response, with the problem's detail when there is one. */
export async function expectOk(res: Response, hint401 = ''): Promise<Response> {
  if (res.ok) return res;

  const text = await res.text();
  let problem: { detail?: unknown; reason?: unknown } = {};
  try {
    problem = JSON.parse(text) as typeof problem;
  } catch {
    // Not problem+json (a proxy's error page, say): the first line of the text says enough.
  }
  const firstLine = text.split('\n')[0].slice(0, 200) || res.statusText;
  const detail = typeof problem.detail === 'string' ? problem.detail : firstLine;
  const reason = typeof problem.reason === 'string' ? problem.reason : '';
  const hint = res.status === 401 && hint401 ? ` ${hint401}` : '';
  throw new ApiError(res.status, reason, `${detail}${hint}`);
}

/** The api-gateway, authenticated with the settings' key. */
export class ApiClient {
  /** `interrupt` (Ctrl-C) cancels whatever request is in flight. */
  constructor(
    private readonly settings: CliSettings,
    private readonly interrupt?: AbortSignal,
  ) {}

  /** GETs JSON from a path under the API URL. */
  async get<T>(pathAndQuery: string, timeoutMs = REQUEST_TIMEOUT_MS): Promise<T> {
    const res = await this.request('GET', pathAndQuery, undefined, this.deadline(timeoutMs));
    return (await res.json()) as T;
  }

  /** POSTs JSON to a path under the API URL. */
  async post<T>(pathAndQuery: string, body: unknown, timeoutMs = REQUEST_TIMEOUT_MS): Promise<T> {
    const res = await this.request('POST', pathAndQuery, body, this.deadline(timeoutMs));
    return (await res.json()) as T;
  }

  /**
   * Waits for a run to settle, long-polling the run record, and returns it: ended, or paused
   * awaiting approval (the record's long poll answers at once then; the event stream does not).
   */
  async waitForRun(runId: string): Promise<RunRecord> {
    for (;;) {
      const run = await this.get<RunRecord>(`${runPath(runId)}?wait=60`, 75_000);
      if (run.status !== 'running') return run;
    }
  }

  /**
   * Yields the run's log entries until its final status. A stream that breaks before then is
   * resumed after the last entry seen, so nothing is shown twice or skipped.
   */
  async *events(runId: string): AsyncGenerator<LogEntry> {
    const signal = this.interrupt;
    let lastId = '';
    let reconnects = 0;
    for (;;) {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (lastId) headers['last-event-id'] = lastId;
      const res = await this.request('GET', `${runPath(runId)}/events`, undefined, signal, headers);
      let isFinished = false;
      try {
        for await (const message of readSse(res.body)) {
          const entry = JSON.parse(message.data) as LogEntry;
          lastId = message.id || lastId;
          reconnects = 0;
          yield entry;
          if (entry.type === 'status' && entry.status !== 'running') isFinished = true;
        }
      } catch (err) {
        if (signal?.aborted) throw err;
      }
      if (isFinished) return;
      reconnects += 1;
      if (reconnects > MAX_STREAM_RECONNECTS) {
        const see = `see it with \`ddo runs show ${runId}\``;
        throw new CliError(`The event stream of run ${runId} kept breaking; ${see}.`);
      }
      await sleep(200 * reconnects, undefined, { signal });
    }
  }

  private deadline(timeoutMs: number): AbortSignal {
    const timeout = AbortSignal.timeout(timeoutMs);
    return this.interrupt ? AbortSignal.any([timeout, this.interrupt]) : timeout;
  }

  private async request(
    method: string,
    pathAndQuery: string,
    body: unknown,
    signal: AbortSignal | undefined,
    extraHeaders: Record<string, string> = {},
  ): Promise<Response> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${requireKey(this.settings)}`,
      ...extraHeaders,
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await send('DDO', `${this.settings.apiUrl}${pathAndQuery}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
    const from = describeKeySource(this.settings);
    return expectOk(res, `The key came from ${from}; check it against the server's DDO_API_KEYS.`);
  }
}

/** The API path of one run. */
export function runPath(runId: string): string {
  return `/v1/runs/${encodeURIComponent(runId)}`;
}

function describeKeySource(settings: CliSettings): string {
  switch (settings.keySource) {
    case 'flag':
      return '--key';
    case 'DDO_API_KEY':
      return 'DDO_API_KEY';
    case 'key file':
      return '.ddo/local-api-key';
    case 'none':
      return 'nowhere';
    default: {
      const never: never = settings.keySource;
      return never;
    }
  }
}

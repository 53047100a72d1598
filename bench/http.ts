/**
 * The benchmark's own HTTP client: node:http over a keep-alive agent, the same kind of client
 * for every subject and baseline, so client cost is identical on both sides of each ratio.
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** One answered request. */
export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A keep-alive agent that allows `maxSockets` requests in flight to one host. */
export function keepAliveAgent(maxSockets = 1_024): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
}

const sharedAgent = keepAliveAgent();

type RequestOptions = {
  headers?: Record<string, string>;
  body?: string;
  agent?: http.Agent | false;
  timeoutMs?: number;
};

/**
 * Sends one request and reads the whole answer; rejects on network errors and timeouts only.
 * A reused keep-alive socket that the server closed while idle is retried once on a fresh one,
 * as Node's documentation advises: the server never saw that request.
 */
export async function request(method: string, url: string, opts: RequestOptions = {}): Promise<HttpResult> {
  try {
    return await requestOnce(method, url, opts);
  } catch (err) {
    if (!(err as { isReusedSocket?: boolean }).isReusedSocket) throw err;
    return requestOnce(method, url, opts);
  }
}

function requestOnce(method: string, url: string, opts: RequestOptions): Promise<HttpResult> {
  const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
  const headers: Record<string, string | number> = { ...opts.headers };
  if (body) headers['content-length'] = body.length;
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method, headers, agent: opts.agent ?? sharedAgent, timeout: opts.timeoutMs ?? 90_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      const isStale = req.reusedSocket && err.code === 'ECONNRESET';
      reject(Object.assign(err, { isReusedSocket: isStale }));
    });
    req.end(body);
  });
}

/** Times `fn` in milliseconds with the monotonic clock. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

const NOT_YET = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE']);

/**
 * Polls until `attempt` resolves true, every `intervalMs`, or rejects after `timeoutMs`.
 * Used for cold starts: a refused connection simply means "not yet".
 */
export async function pollUntil(
  attempt: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 2,
  what = 'the server',
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      if (await attempt()) return;
    } catch (err) {
      // Refused or reset: not listening yet. Anything else is a real answer and a real failure.
      if (!NOT_YET.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
    }
    if (performance.now() > deadline) throw new Error(`${what} did not answer within ${timeoutMs} ms.`);
    await sleep(intervalMs);
  }
}

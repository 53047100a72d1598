/**
 * One HTTP request over a shared keep-alive agent. Every hop of a run makes several calls
 * between services (emit to the broker, delivery, memory), and on this path node:http with a
 * keep-alive agent costs a fifth of what Node 20's fetch does, so the platform uses this instead.
 */
import http from 'node:http';
import https from 'node:https';

export interface TransportResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 });

/** Sends one request; rejects on network errors, timeouts and `signal`, never on a status code. */
export function send(
  method: string,
  url: string,
  opts: { headers?: Record<string, string>; body?: string | Buffer; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<TransportResponse> {
  const u = new URL(url);
  const isHttps = u.protocol === 'https:';
  const body = opts.body === undefined ? undefined : Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body);
  const headers: Record<string, string | number> = { ...opts.headers };
  if (body) headers['content-length'] = body.length;
  return new Promise((resolve, reject) => {
    const req = (isHttps ? https : http).request(
      u,
      { method, headers, agent: isHttps ? httpsAgent : httpAgent, timeout: opts.timeoutMs, signal: opts.signal },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${u.host} within ${opts.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

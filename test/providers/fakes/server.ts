/**
 * A scripted HTTP/1.1 server on 127.0.0.1 for provider tests: it records every request (path,
 * headers, parsed body, arrival time) and answers from a script the test sets up. Each
 * provider's fake (openai.ts, bedrock.ts, watsonx.ts) builds that provider's wire replies on it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the fake received it. */
export interface RecordedRequest {
  method: string;
  /** Path with query string, e.g. `/ml/v1/text/chat?version=2024-05-31`. */
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON, or the raw text for other content types. */
  body: any;
  rawBody: string;
  /** Date.now() when the request arrived. */
  at: number;
}

/** What the fake answers. */
export interface FakeReply {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Picks the reply for a request. */
export type Responder = (req: RecordedRequest) => FakeReply | Promise<FakeReply>;

/** A running fake. */
export interface FakeServer {
  url: string;
  port: number;
  /** host:port, as DDO_EGRESS_ALLOW_LOCAL lists it. */
  hostPort: string;
  requests: RecordedRequest[];
  /** Replaces the responder. */
  respond(responder: Responder): void;
  close(): Promise<void>;
}

/** Starts a fake on a free loopback port. */
export async function startFakeServer(responder: Responder = () => ({ status: 404, body: { error: 'no script' } })): Promise<FakeServer> {
  let current = responder;
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: unknown = rawBody;
      if (String(req.headers['content-type'] ?? '').includes('json') && rawBody) {
        try {
          body = JSON.parse(rawBody);
        } catch {
          body = rawBody;
        }
      }
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        rawBody,
        at: Date.now(),
      };
      requests.push(recorded);
      Promise.resolve(current(recorded))
        .then((reply) => {
          const payload = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
          res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
          res.end(payload);
        })
        .catch((err: unknown) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: String(err) }));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    hostPort: `127.0.0.1:${port}`,
    requests,
    respond: (next) => {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A responder that answers with `replies` in order and then repeats the last one. */
export function inOrder(...replies: FakeReply[]): Responder {
  let i = 0;
  return () => replies[Math.min(i++, replies.length - 1)];
}

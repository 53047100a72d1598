/**
 * A local stand-in for Upstash Redis's REST API, on 127.0.0.1, backed by a real Redis through
 * ioredis, so the real @upstash/redis client can be tested without the internet.
 *
 * What it implements, after https://upstash.com/docs/redis/features/restapi:
 * - `POST /` with the command as a JSON array (`["SET","k","v"]`) → `{"result": …}`;
 * - `GET|POST /<command>/<arg>/…` with URL-encoded path segments (a POST body is appended as
 *   the last argument);
 * - `POST /pipeline` with an array of commands → an array of `{"result"}` / `{"error"}`, run in
 *   order but not atomically, like Upstash;
 * - `POST /multi-exec` → the same array, run atomically inside MULTI/EXEC;
 * - `Authorization: Bearer <token>` (or `?_token=`), else 401;
 * - `Upstash-Encoding: base64`: every string in the result is base64-encoded, recursively in
 *   arrays, except a top-level "OK"; integers stay numbers and nil stays null;
 * - failures as `{"error": "<Redis error>"}` with 400, and 405 for other methods.
 *
 * Known limit: ioredis hands over simple and bulk strings alike, so a stored value "OK" read
 * at the top level is also sent as plain "OK", where Upstash would encode it; @upstash/redis
 * decodes both to "OK", and a raw RESP reader in place of ioredis would lift the difference.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';

/** A running server; `stop` and `start` simulate an outage on the same port. */
export interface UpstashTestServer {
  url: string;
  token: string;
  port: number;
  /** Paths of the requests served so far, in order (for example `/`, `/pipeline`). */
  paths: string[];
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and closes its Redis connection. */
  close(): Promise<void>;
}

type Reply = Buffer | string | number | null | Reply[] | Record<string, Buffer>;

/** Commands that would break the shared connection or need a streaming response. */
const REFUSED = new Set([
  'multi',
  'exec',
  'discard',
  'watch',
  'unwatch',
  'subscribe',
  'psubscribe',
  'monitor',
  'quit',
]);

class CommandError extends Error {}

/** Starts the server in front of `redisUrl` (default redis://127.0.0.1:6379). */
export async function startUpstashServer(
  options: { redisUrl?: string; token?: string; port?: number } = {},
): Promise<UpstashTestServer> {
  const redisUrl = options.redisUrl ?? 'redis://127.0.0.1:6379';
  const redis = new Redis(redisUrl, { protocol: 2, lazyConnect: true });
  redis.on('error', () => undefined);
  await redis.connect();
  const token = options.token ?? 'upstash-test-token';
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    paths.push(req.url?.split('?')[0] ?? '/');
    handle(redis, token, req).then(
      ({ status, body }) => send(res, status, body),
      (err: unknown) => send(res, 500, { error: (err as Error).message }),
    );
  });
  let port = options.port ?? 0;
  const start = async () => {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    port = (server.address() as AddressInfo).port;
  };
  const stop = async () => {
    if (!server.listening) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Keep-alive sockets would otherwise keep serving the client through the "outage".
    server.closeAllConnections();
    await closed;
  };
  await start();
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    get port() {
      return port;
    },
    paths,
    stop,
    start,
    close: async () => {
      await stop();
      redis.disconnect();
    },
  };
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function handle(
  redis: Redis,
  token: string,
  req: http.IncomingMessage,
): Promise<{ status: number; body: unknown }> {
  const url = new URL(req.url ?? '/', 'http://upstash.local');
  const given = req.headers.authorization?.replace(/^Bearer /, '') ?? url.searchParams.get('_token');
  if (given !== token) return { status: 401, body: { error: 'Unauthorized' } };
  if (!['GET', 'POST', 'PUT', 'HEAD'].includes(req.method ?? '')) {
    return { status: 405, body: { error: 'Method Not Allowed' } };
  }

  const isBase64 = String(req.headers['upstash-encoding'] ?? '').toLowerCase() === 'base64';
  const encode = (reply: Reply) => (isBase64 ? toBase64(reply, true) : toText(reply));
  const raw = await readBody(req);
  try {
    if (url.pathname === '/pipeline' || url.pathname === '/multi-exec') {
      const commands = parseCommands(raw);
      const batch = url.pathname === '/pipeline' ? redis.pipeline() : redis.multi();
      for (const [name, ...args] of commands) batch.callBuffer(name, ...args);
      // EXEC of a transaction that Redis refused to queue rejects here, as one 400.
      const results = (await batch.exec()) ?? [];
      const body = results.map(([err, reply]) =>
        err ? { error: err.message } : { result: encode(reply as Reply) },
      );
      return { status: 200, body };
    }
    const command =
      url.pathname === '/' ? parseCommand(JSON.parse(raw || 'null')) : pathCommand(url.pathname, raw);
    const [name, ...args] = command;
    return { status: 200, body: { result: encode((await redis.callBuffer(name, ...args)) as Reply) } };
  } catch (err) {
    return { status: 400, body: { error: (err as Error).message } };
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseCommands(raw: string): string[][] {
  const parsed = JSON.parse(raw) as unknown;
  if (!Array.isArray(parsed) || parsed.length === 0) {
    throw new CommandError('ERR send a non-empty array of commands');
  }
  return parsed.map(parseCommand);
}

/** A command as Upstash takes it: a JSON array of strings, numbers or booleans. */
function parseCommand(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new CommandError('ERR send the command as a JSON array');
  }
  const parts = value.map((v) => {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw new CommandError('ERR command arguments must be strings, numbers or booleans');
  });
  if (REFUSED.has(parts[0].toLowerCase())) {
    throw new CommandError(`ERR ${parts[0]} is not supported over REST`);
  }
  return parts;
}

function pathCommand(pathname: string, body: string): string[] {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  return parseCommand(body === '' ? parts : [...parts, body]);
}

/** The base64 response encoding; a top-level "OK" stays as it is, as the REST API documents. */
function toBase64(reply: Reply, isTop: boolean): unknown {
  if (Buffer.isBuffer(reply)) {
    return isTop && reply.toString('utf8') === 'OK' ? 'OK' : reply.toString('base64');
  }
  if (typeof reply === 'string') {
    return isTop && reply === 'OK' ? 'OK' : Buffer.from(reply).toString('base64');
  }
  if (Array.isArray(reply)) return reply.map((r) => toBase64(r, false));
  if (reply !== null && typeof reply === 'object') return toBase64(flatten(reply), isTop);
  return reply;
}

function toText(reply: Reply): unknown {
  if (Buffer.isBuffer(reply)) return reply.toString('utf8');
  if (Array.isArray(reply)) return reply.map(toText);
  if (reply !== null && typeof reply === 'object') return toText(flatten(reply));
  return reply;
}

/** ioredis turns HGETALL replies into objects; the REST API answers the flat array Redis sent. */
function flatten(reply: Record<string, Buffer>): Reply[] {
  return Object.entries(reply).flatMap(([k, v]) => [Buffer.from(k), v]);
}

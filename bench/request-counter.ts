/**
 * Loaded with --require into every process of a profiled stack (DDO_BENCH_COUNT_DIR set): it
 * notes each HTTP request a server of that process receives, with its time on the monotonic
 * clock, and writes them to <dir>/<process>.requests.json at exit. The profile keeps those in
 * its window and reports requests per run by server and route: the hop and round-trip count.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

/** One received request: when (µs, monotonic), and what (method, route shape, event type). */
export type RequestNote = [number, string];

// Path segments that are followed by an id in DDO's APIs.
const ID_AFTER = /^(tenants|runs|agents|sessions)$/;

/** The route shape of a URL: ids and query values blanked so requests group by route. */
export function routeOf(method: string, url: string, eventType?: string): string {
  const [pathname, query] = url.split('?');
  const shape = pathname
    .split('/')
    .map((seg, i, all) => (i > 0 && ID_AFTER.test(all[i - 1]) ? ':id' : seg))
    .join('/');
  const params = query ? `?${query.split('&').map((kv) => kv.split('=')[0]).join('&')}` : '';
  return `${method} ${shape}${params}${eventType ? ` [${eventType}]` : ''}`;
}

const dir = process.env.DDO_BENCH_COUNT_DIR;
if (dir) {
  const target = process.argv.find((a) => a.startsWith('--target='));
  const name = target?.slice('--target='.length) ?? 'broker+host';
  const notes: RequestNote[] = [];
  type Emit = (this: http.Server, event: string, ...args: unknown[]) => boolean;
  const emit = http.Server.prototype.emit as Emit;
  http.Server.prototype.emit = function counted(this: http.Server, event: string, ...args: unknown[]) {
    if (event === 'request') {
      const req = args[0] as http.IncomingMessage;
      const route = routeOf(req.method ?? '?', req.url ?? '/', req.headers['ce-type'] as string | undefined);
      notes.push([Number(process.hrtime.bigint() / 1_000n), route]);
    }
    return emit.call(this, event, ...args);
  } as typeof http.Server.prototype.emit;
  const file = path.join(dir, `${name}.requests.json`);
  process.on('exit', () => fs.writeFileSync(file, JSON.stringify(notes)));
}

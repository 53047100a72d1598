/**
 * Loaded with `node --require` before the functions-framework starts a function, in the local
 * stack and in the container image alike. It is the one seam where DDO adjusts the framework:
 *
 * - the framework has no host option, so DDO_BIND_HOST (127.0.0.1 locally) pins `listen()`;
 * - OpenTelemetry starts here, before the function is loaded, when OTEL_TRACES_EXPORTER asks;
 * - under the local stack, DDO_EXIT_WITH_PARENT ends the process when the stack dies;
 * - the framework's per-request `domain` is replaced by a plain scope (runtime/request-domain.ts);
 * - the framework's body parsers reject malformed or oversized bodies through Express's default
 *   HTML error page; this renders those as problem+json instead and enforces DDO_MAX_BODY_BYTES
 *   from Content-Length before a byte of the body is read.
 */
import http from 'node:http';
import net from 'node:net';
import './request-domain';
import { BadRequestError, DdoError, NotFoundError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors';
import { toProblem, PROBLEM_CONTENT_TYPE } from '../http/problem';
import { startTelemetry } from '../telemetry/sdk';

// Before anything else is loaded, so every module the function loads sees the SDK.
startTelemetry();

const bindHost = process.env.DDO_BIND_HOST;

if (process.env.DDO_EXIT_WITH_PARENT === 'true') {
  // Set by the local stack: its end of our stdin closes when it dies, so no child is orphaned.
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}
const maxBodyBytes = Number(process.env.DDO_MAX_BODY_BYTES ?? 1_048_576);

if (bindHost) {
  const listen = net.Server.prototype.listen as (this: net.Server, ...a: unknown[]) => net.Server;
  net.Server.prototype.listen = function patchedListen(this: net.Server, ...args: unknown[]) {
    if (typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\d+$/.test(args[0]))) {
      const cb = args.find((a) => typeof a === 'function');
      return listen.call(this, Number(args[0]), bindHost, cb);
    }
    return listen.apply(this, args);
  } as typeof net.Server.prototype.listen;
}

type ExpressLike = ((req: http.IncomingMessage, res: http.ServerResponse, next: (err?: unknown) => void) => void) & {
  handle: unknown;
};

const createServer = http.createServer;
(http as { createServer: unknown }).createServer = function patchedCreateServer(...args: unknown[]) {
  const app = args.find((a) => typeof a === 'function') as ExpressLike | undefined;
  if (!app || typeof app.handle !== 'function') return (createServer as (...a: unknown[]) => http.Server)(...args);
  return createServer((req, res) => {
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > maxBodyBytes) {
      writeProblem(res, new PayloadTooLargeError(maxBodyBytes));
      req.resume();
      return;
    }
    if (req.headers['content-length'] === undefined) limitUndeclaredBody(req, res);
    app(req, res, (err?: unknown) => writeProblem(res, err ? fromParserError(err) : new NotFoundError('No such route.')));
  });
};

/**
 * A body sent without Content-Length (chunked) is counted as it arrives: past the limit the
 * client gets its 413 at once and the rest is read and dropped, so an oversized upload never
 * sits in memory. The connection stays open until the upload ends: closing it under a client
 * that is still sending would reset it, and the client could lose the 413.
 */
function limitUndeclaredBody(req: http.IncomingMessage, res: http.ServerResponse): void {
  let received = 0;
  const push = req.push.bind(req);
  req.push = (chunk: unknown, encoding?: BufferEncoding) => {
    if (chunk === null) return push(chunk, encoding);
    received += (chunk as Buffer).length;
    if (received <= maxBodyBytes) return push(chunk, encoding);
    if (!res.headersSent) writeProblem(res, new PayloadTooLargeError(maxBodyBytes), false);
    return true;
  };
}

function fromParserError(err: unknown): DdoError {
  const e = err as { type?: string; message?: string; status?: number };
  switch (e.type) {
    case 'entity.parse.failed':
      // The parser only takes objects and arrays; say so when the body was valid JSON after all.
      return isJson((e as { body?: string }).body)
        ? new BadRequestError('The body must be a JSON object.', 'body')
        : new BadRequestError(`The body is not valid JSON: ${e.message}.`, 'body');
    case 'entity.too.large':
      return new PayloadTooLargeError(maxBodyBytes);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new UnsupportedMediaTypeError(undefined, 'UTF-8 JSON');
    case 'request.aborted':
      return new BadRequestError('The request was aborted before the body arrived.', 'body');
    default:
      if (e.status && e.status >= 400 && e.status < 500) return new DdoError(e.message ?? 'Bad request', { status: e.status, reason: 'bad_request' });
      return err instanceof DdoError ? err : new DdoError(e.message ?? 'Unexpected error', { cause: err });
  }
}

function isJson(text: string | undefined): boolean {
  try {
    JSON.parse(text ?? '');
    return true;
  } catch {
    return false;
  }
}

function writeProblem(res: http.ServerResponse, err: unknown, close = true): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const problem = toProblem(err);
  res.writeHead(problem.status, { 'content-type': PROBLEM_CONTENT_TYPE, ...(close ? { connection: 'close' } : {}) });
  res.end(JSON.stringify(problem));
}

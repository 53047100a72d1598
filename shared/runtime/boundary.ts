/**
 * The one error boundary of every function: `httpBoundary` wraps an HTTP handler and maps any
 * error to problem+json. Client faults are logged at debug, server faults with their stack.
 * Functions that take CloudEvents put `eventBoundary` (event-boundary.ts) inside it; the memory
 * function takes none, so this module loads nothing of the CloudEvents SDK.
 */
import type { Request, Response } from 'express';
import { BadRequestError, asDdoError } from '../errors';
import { isCloudEventRequest } from '../events/detect';
import { sendProblem } from '../http/problem';
import type { Logger } from '../log';
import { contextFrom, inSpan, SpanKind } from '../telemetry/tracing';

export type HttpHandler = (req: Request, res: Response) => Promise<void>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The raw request body as text; invalid UTF-8 is a client fault, not something to repair. */
export function rawText(req: Request): string {
  const raw = (req as Request & { rawBody?: Buffer }).rawBody;
  if (!raw || raw.length === 0) return typeof req.body === 'string' ? req.body : '';
  try {
    return utf8.decode(raw);
  } catch {
    throw new BadRequestError('The body is not valid UTF-8.', 'body');
  }
}

/** Wraps a handler so every error becomes one problem response and one log line. */
export function httpBoundary(log: Logger, handler: HttpHandler): (req: Request, res: Response) => Promise<void> {
  return (req, res) => {
    // A CloudEvent delivery gets its span from the event boundary (`process <type>`), with the
    // same parent; a second span for the HTTP request would only double the cost of tracing it.
    if (isCloudEventRequest(req.headers)) return handle(log, handler, req, res);
    return inSpan(
      // Renamed to the matched route (low cardinality) by the router.
      req.method,
      { kind: SpanKind.SERVER, parent: contextFrom(traceHeadersOf(req)), attributes: { 'http.request.method': req.method } },
      (span) => handle(log, handler, req, res).finally(() => span.setAttribute('http.response.status_code', res.statusCode)),
    );
  };
}

export function traceHeadersOf(req: Request): { traceparent?: string; tracestate?: string } {
  const { traceparent, tracestate } = req.headers;
  return { traceparent: typeof traceparent === 'string' ? traceparent : undefined, tracestate: typeof tracestate === 'string' ? tracestate : undefined };
}

async function handle(log: Logger, handler: HttpHandler, req: Request, res: Response): Promise<void> {
  try {
    await handler(req, res);
  } catch (err) {
    const e = asDdoError(err);
    if (e.status >= 500) log.error({ err: e, path: req.path, method: req.method }, 'request failed');
    else log.debug({ reason: e.reason, status: e.status, path: req.path }, 'request rejected');
    if (res.headersSent) {
      res.end();
      return;
    }
    sendProblem(res, e);
  }
}

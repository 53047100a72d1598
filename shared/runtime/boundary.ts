/**
 * The one error boundary of every function. `httpBoundary` wraps an HTTP handler and maps any
 * error to problem+json; `eventBoundary` additionally parses and validates the CloudEvent and
 * dispatches it by type. Client faults are logged at debug, server faults with their stack.
 */
import type { Request, Response } from 'express';
import type { CloudEventV1 } from 'cloudevents';
import { BadRequestError, MethodNotAllowedError, asDdoError } from '../errors';
import { sendProblem } from '../http/problem';
import { parseEvent } from '../events/receive';
import type { EventType } from '../events/catalogue';
import { withLogContext, type Logger } from '../log';
import { contextFrom, inSpan, SpanKind } from '../telemetry/tracing';
import { eventAttributes } from '../telemetry/attributes';

export type HttpHandler = (req: Request, res: Response) => Promise<void>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each handler narrows its own data type
export type EventHandler = (event: CloudEventV1<any>) => Promise<unknown>;
export type EventHandlers = Partial<Record<EventType, EventHandler>>;

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
  return (req, res) =>
    inSpan(
      // Renamed to the matched route (low cardinality) by the router.
      req.method,
      { kind: SpanKind.SERVER, parent: contextFrom(traceHeadersOf(req)), attributes: { 'http.request.method': req.method } },
      (span) => handle(log, handler, req, res).finally(() => span.setAttribute('http.response.status_code', res.statusCode)),
    );
}

function traceHeadersOf(req: Request): { traceparent?: string; tracestate?: string } {
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

/** Parses, validates and dispatches CloudEvents; the handler's return value is the reply body. */
export function eventBoundary(log: Logger, handlers: EventHandlers): HttpHandler {
  return async (req, res) => {
    if (req.method !== 'POST') throw new MethodNotAllowedError(req.method, ['POST']);
    const event = parseEvent(req.headers, rawText(req));
    const handler = handlers[event.type as EventType];
    if (!handler) throw new BadRequestError(`This service does not handle ${event.type} events.`, 'type');
    // The distributed-tracing extension first; the plain W3C header when only that came.
    const headers = event.traceparent
      ? { traceparent: String(event.traceparent), tracestate: event.tracestate ? String(event.tracestate) : undefined }
      : traceHeadersOf(req);
    const traceId = /^00-([0-9a-f]{32})-/.exec(headers.traceparent ?? '')?.[1];
    const result = await inSpan(
      `process ${event.type}`,
      { kind: SpanKind.CONSUMER, parent: contextFrom(headers), attributes: eventAttributes(event) },
      () => withLogContext({ traceId }, () => handler(event)),
    );
    if (result === undefined) res.status(204).end();
    else res.status(200).json(result);
  };
}

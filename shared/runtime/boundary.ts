/**
 * The one error boundary of every function. `httpBoundary` wraps an HTTP handler and maps any
 * error to problem+json; `eventBoundary` additionally parses and validates the CloudEvent,
 * dispatches it by type and sends on the events the handler produced. Client faults are logged
 * at debug, server faults with their stack.
 */
import type { Request, Response } from 'express';
import type { CloudEventV1 } from 'cloudevents';
import { BadRequestError, MethodNotAllowedError, asDdoError } from '../errors';
import { sendProblem } from '../http/problem';
import { parseEvent } from '../events/receive';
import { toBinaryMessage, type Emitter, type OutgoingEvent } from '../events/emit';
import type { EventType } from '../events/catalogue';
import { withLogContext, type Logger } from '../log';
import { contextFrom, inSpan, SpanKind } from '../telemetry/tracing';
import { eventAttributes } from '../telemetry/attributes';

export type HttpHandler = (req: Request, res: Response) => Promise<void>;
/**
 * What a handler sends on: events for the broker and, for a caller that is not the broker, an
 * answer body. A delivery from the broker (which asks for a reply) gets the last event as its
 * reply, so the most common hop costs no request of its own; the others are emitted first.
 */
export class EventReply {
  readonly events: OutgoingEvent[];

  constructor(events: OutgoingEvent | OutgoingEvent[], readonly body?: unknown) {
    this.events = Array.isArray(events) ? events : [events];
  }
}

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

/** Who sends the events handlers produce: the function's name and its broker emitter. */
export interface EventOutlet {
  service: string;
  emitter: Emitter;
}

/**
 * Parses, validates and dispatches CloudEvents. A handler's return value is the answer body, or
 * an EventReply whose events go on: as the reply to a broker delivery (Knative and the local
 * broker send `Prefer: reply`) or, for a direct caller, emitted to the broker before answering.
 */
export function eventBoundary(log: Logger, handlers: EventHandlers, outlet?: EventOutlet): HttpHandler {
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
    const wantsReply = /\breply\b/i.test(String(req.headers.prefer ?? ''));
    const answer = await inSpan(
      `process ${event.type}`,
      { kind: SpanKind.CONSUMER, parent: contextFrom(headers), attributes: eventAttributes(event) },
      () =>
        withLogContext({ traceId }, async () => {
          const result = await handler(event);
          if (!(result instanceof EventReply)) return { body: result };
          // Built inside the span, so the events carry this delivery's trace context.
          return { body: result.body, reply: await sendOn(result.events, wantsReply, outlet) };
        }),
    );
    if (answer.reply) {
      const body = Buffer.from(answer.reply.body);
      res.writeHead(200, { ...answer.reply.headers, 'content-length': body.length });
      res.end(body);
    } else if (answer.body === undefined) res.status(204).end();
    else res.status(200).json(answer.body);
  };
}

/** Emits all events but the one that becomes the reply; returns that reply's HTTP message. */
async function sendOn(events: OutgoingEvent[], wantsReply: boolean, outlet?: EventOutlet) {
  if (events.length === 0) return undefined;
  if (!outlet) throw new Error('A handler produced events, but this function has no broker to send them to.');
  const last = events[events.length - 1];
  const reply = wantsReply ? toBinaryMessage(outlet.service, last) : undefined;
  const emitted = wantsReply ? events.slice(0, -1) : events;
  if (emitted.length > 0) await outlet.emitter.emit(emitted);
  return reply;
}

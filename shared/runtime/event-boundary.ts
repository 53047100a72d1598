/**
 * The event side of the error boundary: `eventBoundary` parses and validates the CloudEvent,
 * dispatches it by type and sends on the events the handler produced, as the reply to a broker
 * delivery or posted to the broker.
 */
import type { CloudEventV1 } from 'cloudevents';
import { BadRequestError, MethodNotAllowedError } from '../errors';
import { parseEvent } from '../events/receive';
import { toBinaryMessage, type BrokerEmitter, type OutgoingEvent } from '../events/emit';
import type { EventType } from '../events/catalogue';
import { withLogContext, type Logger } from '../log';
import { contextFrom, inSpan, SpanKind } from '../telemetry/tracing';
import { eventAttributes } from '../telemetry/attributes';
import { rawText, traceHeadersOf, type HttpHandler } from './boundary';

/** An answer worked out only once the events are sent, for example one that waits for them. */
export type LaterAnswer = () => Promise<unknown>;

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

/** What a handler learns from the request besides the event. */
export interface Delivery {
  /** How long a direct caller will wait for its answer (`ddo-wait-ms`); 0 for the broker. */
  waitMs: number;
}

const WAIT_HEADER = 'ddo-wait-ms';
const MAX_WAIT_MS = 60_000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each handler narrows its own data type
export type EventHandler = (event: CloudEventV1<any>, delivery?: Delivery) => Promise<unknown>;
export type EventHandlers = Partial<Record<EventType, EventHandler>>;

/**
 * Parses, validates and dispatches CloudEvents. A handler's return value is the answer body, or
 * an EventReply whose events go on: as the reply to a broker delivery (Knative and the local
 * broker send `Prefer: reply`) or, for a direct caller, emitted to the broker before answering.
 */
export function eventBoundary(log: Logger, handlers: EventHandlers, broker?: BrokerEmitter): HttpHandler {
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
    const delivery = { waitMs: wantsReply ? 0 : waitOf(req.headers[WAIT_HEADER]) };
    const answer = await inSpan(
      `process ${event.type}`,
      { kind: SpanKind.CONSUMER, parent: contextFrom(headers), attributes: eventAttributes(event) },
      () =>
        withLogContext({ traceId }, async () => {
          const result = await handler(event, delivery);
          if (!(result instanceof EventReply)) return { body: result };
          // Built inside the span, so the events carry this delivery's trace context.
          const reply = await sendOn(result.events, wantsReply, broker);
          if (reply) return { reply };
          return { body: typeof result.body === 'function' ? await (result.body as LaterAnswer)() : result.body };
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

function waitOf(raw: string | string[] | undefined): number {
  if (raw === undefined) return 0;
  const ms = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || ms > MAX_WAIT_MS) {
    throw new BadRequestError(`${WAIT_HEADER} must be a whole number of milliseconds from 0 to ${MAX_WAIT_MS}.`, WAIT_HEADER);
  }
  return ms;
}

/** Emits all events but the one that becomes the reply; returns that reply's HTTP message. */
async function sendOn(events: OutgoingEvent[], wantsReply: boolean, broker?: BrokerEmitter) {
  if (events.length === 0) return undefined;
  if (!broker) throw new Error('A handler produced events, but this function has no broker to send them to.');
  const last = events[events.length - 1];
  const reply = wantsReply ? toBinaryMessage(broker.service, last) : undefined;
  const emitted = wantsReply ? events.slice(0, -1) : events;
  if (emitted.length > 0) await broker.emit(emitted);
  return reply;
}

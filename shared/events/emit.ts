/**
 * Sends CloudEvents to the broker ingress in HTTP binary mode. Data is validated against the
 * catalogue before it leaves (a failure there is our bug, not the receiver's), and event ids are
 * chosen by the caller, deterministically, so a re-sent event is recognised as a duplicate.
 */
import { CloudEvent, HTTP } from 'cloudevents';
import { DdoError, TransientError } from '../errors';
import { validatorFor, describeError } from '../schema';
import { definitionOf, EVENT_SOURCE_PREFIX, type EventType } from './catalogue';
import { traceHeaders } from '../telemetry/tracing';
import { send as sendHttp } from '../http/transport';

export interface OutgoingEvent {
  type: EventType;
  id: string;
  data: unknown;
  /**
   * Extension attributes, for example the purpose a model reply is routed by. `traceparent` and
   * `tracestate` (the distributed-tracing extension) default to the active trace context.
   */
  extensions?: Record<string, string>;
}

export interface Emitter {
  emit(events: OutgoingEvent | OutgoingEvent[]): Promise<void>;
}

/** An emitter to the broker on behalf of one service, which also names that service as source. */
export interface BrokerEmitter extends Emitter {
  readonly service: string;
}

/** Builds the binary-mode HTTP message for an event sent by `service`. */
export function toBinaryMessage(service: string, event: OutgoingEvent): { headers: Record<string, string>; body: string } {
  const definition = definitionOf(event.type);
  if (!definition) throw new DdoError(`Event type ${event.type} is not in the catalogue.`);
  const validate = validatorFor(definition.schema);
  if (!validate(event.data)) {
    const { message } = describeError(validate.errors, 'data');
    throw new DdoError(`Refusing to emit an invalid ${event.type}: ${message}.`, { reason: 'invalid_emit' });
  }
  const trace = { ...traceHeaders(), ...event.extensions };
  const ce = new CloudEvent({
    specversion: '1.0',
    type: event.type,
    source: `${EVENT_SOURCE_PREFIX}/${service}`,
    id: event.id,
    datacontenttype: 'application/json',
    data: event.data,
    ...trace,
  });
  const message = HTTP.binary(ce);
  const headers = message.headers as Record<string, string>;
  // The plain W3C header too, so HTTP-level tracing (the mesh's sidecars) continues the trace.
  if (trace.traceparent) headers.traceparent = trace.traceparent;
  if (trace.tracestate) headers.tracestate = trace.tracestate;
  return { headers, body: message.body as string };
}

/** An emitter that POSTs each event to the broker ingress URL. */
export function brokerEmitter(service: string, brokerUrl: string, timeoutMs = 5_000): BrokerEmitter {
  const send = async (event: OutgoingEvent): Promise<void> => {
    const { headers, body } = toBinaryMessage(service, event);
    let status: number;
    try {
      status = (await sendHttp('POST', brokerUrl, { headers, body, timeoutMs })).status;
    } catch (err) {
      throw new TransientError(`The broker at ${brokerUrl} is unreachable: ${(err as Error).message}`, err);
    }
    if (status < 200 || status >= 300) throw new TransientError(`The broker refused ${event.type} with HTTP ${status}.`);
  };
  return {
    service,
    async emit(events) {
      const list = Array.isArray(events) ? events : [events];
      await Promise.all(list.map(send));
    },
  };
}

/**
 * Handlers called directly, without the event boundary: what each returns as its reply (an
 * EventReply) is added to `into` after whatever it emitted itself, in the order the boundary
 * sends them, so a test sees everything the function would have sent to the broker.
 */
import type { OutgoingEvent } from '../../shared/events/emit';
import { EventReply, type EventHandler, type EventHandlers } from '../../shared/runtime/event-boundary';

export function collectReplies(handlers: EventHandlers, into: OutgoingEvent[]): EventHandlers {
  const wrapped: EventHandlers = {};
  for (const [type, handler] of Object.entries(handlers) as Array<[keyof EventHandlers, EventHandler]>) {
    wrapped[type] = async (event, delivery) => {
      const result = await handler(event, delivery);
      if (result instanceof EventReply) into.push(...result.events);
      return result;
    };
  }
  return wrapped;
}

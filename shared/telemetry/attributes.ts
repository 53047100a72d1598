/** Span attribute names, so a run reads the same way in every service's spans. */
import type { CloudEventV1 } from 'cloudevents';
import type { Attributes } from '@opentelemetry/api';

export const ATTR = {
  runId: 'ddo.run.id',
  agentId: 'ddo.agent.id',
  tenant: 'ddo.tenant',
  phase: 'ddo.phase',
  iteration: 'ddo.iteration',
  stepId: 'ddo.step.id',
  toolName: 'gen_ai.tool.name',
  outcome: 'ddo.outcome',
  eventType: 'cloudevents.event_type',
  eventId: 'cloudevents.event_id',
  eventSource: 'cloudevents.event_source',
  redelivery: 'ddo.redelivery',
} as const;

/** The attributes of a consumer span for an incoming event: the event and the run it belongs to. */
export function eventAttributes(event: CloudEventV1<unknown>): Attributes {
  const data = (event.data ?? {}) as Record<string, unknown>;
  const attrs: Attributes = {
    [ATTR.eventType]: event.type,
    [ATTR.eventId]: event.id,
    [ATTR.eventSource]: event.source,
    'messaging.operation.type': 'process',
  };
  if (typeof data.runId === 'string') attrs[ATTR.runId] = data.runId;
  if (typeof data.agentId === 'string') attrs[ATTR.agentId] = data.agentId;
  if (typeof data.tenant === 'string') attrs[ATTR.tenant] = data.tenant;
  if (typeof data.iteration === 'number') attrs[ATTR.iteration] = data.iteration;
  if (typeof data.purpose === 'string') attrs[ATTR.phase] = data.purpose;
  const step = data.step as { id?: unknown; tool?: unknown } | undefined;
  if (typeof step?.id === 'string') attrs[ATTR.stepId] = step.id;
  if (typeof step?.tool === 'string') attrs[ATTR.toolName] = step.tool;
  if (typeof data.stepId === 'string') attrs[ATTR.stepId] = data.stepId;
  return attrs;
}

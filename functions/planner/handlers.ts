/**
 * The planner: stateless. A plan request becomes a model request to the executor (the planner
 * never calls a model itself); the model's reply becomes a validated plan. A reply that does not
 * validate gets one repair round in which the model sees what was wrong; then planning fails.
 */
import type { CloudEventV1 } from 'cloudevents';
import type { AgentRegistry } from '../../shared/agents/registry';
import { BadRequestError } from '../../shared/errors';
import {
  EventTypes,
  PURPOSE_ATTRIBUTE,
  type ModelCompleted,
  type ModelRequested,
  type PlanCreated,
  type PlanRequested,
  runEventId,
  runRefOf,
} from '../../shared/events/catalogue';
import type { OutgoingEvent } from '../../shared/events/emit';
import { callUsageOf, type ChatMessage } from '../../shared/model/types';
import { EventReply, type EventHandlers } from '../../shared/runtime/event-boundary';
import { buildPlan } from './plan';

export const MAX_PLAN_ATTEMPTS = 2;

/** Builds the planner's handlers. */
export function plannerHandlers(agents: AgentRegistry): EventHandlers {
  const agentFor = (agentId: string) => {
    const agent = agents.get(agentId);
    if (!agent) throw new BadRequestError(`There is no agent ${JSON.stringify(agentId)}.`, 'data/agentId');
    return agent;
  };

  return {
    [EventTypes.planRequested]: async (event: CloudEventV1<PlanRequested>) => {
      const data = event.data as PlanRequested;
      const agent = agentFor(data.agentId);
      const ref = runRefOf(data);
      if (data.proposal?.length) {
        // REFLECT already asked for these tool calls; validate them instead of asking again.
        const { plan, problems } = buildPlan(agent, data.proposal);
        const assistant: ChatMessage = { role: 'assistant', toolCalls: data.proposal };
        if (problems.length === 0) return new EventReply(planCreated({ ...ref, plan, assistant }));
      }
      const { messages, stepsLeft, stream } = data;
      return new EventReply(modelRequest({ ...ref, purpose: 'plan', attempt: 1, messages, stepsLeft, ...(stream === false ? { stream } : {}) }));
    },

    [EventTypes.modelCompleted]: async (event: CloudEventV1<ModelCompleted>) => {
      const data = event.data as ModelCompleted;
      if (data.purpose !== 'plan') throw new BadRequestError('The planner only takes model replies for planning.', 'data/purpose');
      const agent = agentFor(data.agentId);
      const ref = runRefOf(data);
      if (data.error || !data.reply) {
        return new EventReply(planCreated({ ...ref, error: data.error ?? { reason: 'model_error', message: 'The model returned nothing.' } }));
      }
      const reply = data.reply;
      const assistant: ChatMessage = {
        role: 'assistant',
        ...(reply.text ? { content: reply.text } : {}),
        ...(reply.toolCalls.length ? { toolCalls: reply.toolCalls } : {}),
      };
      const { plan, problems } = buildPlan(agent, reply.toolCalls, reply.text);
      if (problems.length === 0) {
        return new EventReply(
          planCreated({ ...ref, plan, assistant, usage: reply.usage, modelCall: callUsageOf(reply), ...(data.policy ? { policy: data.policy } : {}) }),
        );
      }
      const summary = problems.map((p) => p.message).join(' ');
      if (data.attempt >= MAX_PLAN_ATTEMPTS) {
        return new EventReply(
          planCreated({ ...ref, usage: reply.usage, modelCall: callUsageOf(reply), error: { reason: 'invalid_plan', message: `The model's plan did not validate: ${summary}` } }),
        );
      }
      // Every tool call is answered, so the repaired conversation stays valid for every provider.
      const repair: ChatMessage[] = reply.toolCalls.map((call) => ({
        role: 'tool',
        toolCallId: call.id,
        name: call.name,
        isError: true,
        content: problems.find((p) => p.toolCallId === call.id)?.message ?? 'Not run: another call in this reply was invalid.',
      }));
      const messages = [...data.messages, assistant, ...repair];
      if (repair.length === 0) messages.push({ role: 'user', content: `Your reply was not a valid plan: ${summary} Try again.` });
      const next = { ...ref, purpose: 'plan' as const, attempt: data.attempt + 1, messages, stepsLeft: data.stepsLeft };
      return new EventReply(modelRequest(data.stream === false ? { ...next, stream: false } : next));
    },
  };
}

function modelRequest(data: ModelRequested): OutgoingEvent {
  return {
    type: EventTypes.modelRequested,
    id: runEventId(data, 'plan-model', data.iteration, data.attempt),
    extensions: { [PURPOSE_ATTRIBUTE]: data.purpose },
    data,
  };
}

function planCreated(data: PlanCreated): OutgoingEvent {
  return { type: EventTypes.planCreated, id: runEventId(data, 'planned', data.iteration), data };
}

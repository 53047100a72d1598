/**
 * The orchestrator's event handlers: thin adapters from a validated CloudEvent to a
 * transition applied by the engine. THINK (gathering the context) happens when a run starts.
 */
import type { CloudEventV1 } from 'cloudevents';
import { BadRequestError } from '../../shared/errors';
import {
  EventTypes,
  type ModelCompleted,
  type PlanCreated,
  type RunRequested,
  type StepCompleted,
  type ModelDelta,
} from '../../shared/events/catalogue';
import { stableId } from '../../shared/ids';
import type { AgentRegistry } from '../../shared/agents/registry';
import { DEFAULT_HISTORY_TURNS, DEFAULT_STEP_TIMEOUT_SECONDS } from '../../shared/agents/schema';
import { EventReply, type Delivery, type EventHandlers } from '../../shared/runtime/event-boundary';
import { budgetsOf, loadPolicies, policiesFor, pricesOf, redactWith } from '../../shared/policy/registry';
import type { Applied, RunEngine } from './engine';
import type { MemoryClient } from './memory-client';
import { toView, type RunLimits } from './run-state';
import { onPlanCreated, onReflection, onStepCompleted, startRun, onModelDelta } from './transitions';
import { onStepHeld } from './approval-transitions';
import { readWindowUsage } from './window-usage';

const eventKey = (event: CloudEventV1<unknown>): string => `${event.source} ${event.id}`;
// What an applied event must send on goes back as the reply to its delivery.
const replyOf = async (applied: Promise<Applied>) => new EventReply((await applied).events);

/** Builds the handlers for every event type the orchestrator subscribes to. */
export function orchestratorHandlers(agents: AgentRegistry, memory: MemoryClient, engine: RunEngine, now = Date.now): EventHandlers {
  return {
    [EventTypes.runRequested]: async (event: CloudEventV1<RunRequested>, delivery?: Delivery) => {
      const data = event.data as RunRequested;
      const agent = agents.get(data.agentId);
      // A 4xx, not a 404: Knative retries 404s, and an unknown agent will not appear by retrying.
      if (!agent) throw new BadRequestError(`There is no agent ${JSON.stringify(data.agentId)}.`, 'data/agentId');
      const runId = data.runId ?? stableId('run', eventKey(event));
      const sessionId = data.sessionId ?? runId;
      // A run that exists already is found when it is stored (engine.create): a repeated request
      // costs a context read, and every new run saves a read.

      const limits: RunLimits = {
        maxIterations: agent.limits.maxIterations,
        maxSteps: agent.limits.maxSteps,
        timeoutSeconds: agent.limits.timeoutSeconds,
        stepTimeoutMs: (agent.limits.stepTimeoutSeconds ?? DEFAULT_STEP_TIMEOUT_SECONDS) * 1_000,
        factScope: agent.memory?.factScope ?? 'session',
        historyTurns: agent.memory?.historyTurns ?? DEFAULT_HISTORY_TURNS,
      };
      // The input is redacted before it is stored, so no secret in a prompt reaches the run.
      const policies = policiesFor(loadPolicies(), agent, data.tenant);
      const budget = budgetsOf(policies);
      const startedAt = now();
      const [context, windowUsage] = await Promise.all([
        memory.context(data.tenant, agent.id, sessionId, limits.factScope, limits.historyTurns * 2),
        readWindowUsage(memory, budget, data.tenant, agent.id, startedAt),
      ]);
      const start = startRun(
        {
          tenant: data.tenant,
          runId,
          agentId: agent.id,
          sessionId,
          input: redactWith(policies, data.input),
          instructions: agent.instructions,
          limits,
          history: context.history,
          facts: context.facts,
          budget,
          ...(windowUsage ? { windowUsage } : {}),
          prices: pricesOf(policies),
          modelChain: [agent.model, ...(agent.model.fallbacks ?? [])].map((m) => `${m.provider}/${m.name}`),
          ...(data.stream === false ? { stream: false } : {}),
        },
        startedAt,
      );
      const { state, events } = await engine.create(start, eventKey(event));
      // A caller that waits (the api-gateway) is answered once the run settles, in this request.
      const waitMs = delivery?.waitMs ?? 0;
      if (waitMs === 0) return new EventReply(events, toView(state));
      const settled = async () => toView((await engine.waitForRun(state.tenant, state.runId, waitMs, state)) ?? state);
      return new EventReply(events, settled);
    },

    [EventTypes.planCreated]: async (event: CloudEventV1<PlanCreated>) => {
      const data = event.data as PlanCreated;
      return replyOf(engine.apply(data.tenant, data.runId, eventKey(event), (s, t) => onPlanCreated(s, data, t)));
    },

    [EventTypes.stepCompleted]: async (event: CloudEventV1<StepCompleted>) => {
      const data = event.data as StepCompleted;
      // A held reply (the call was not made) pauses the run for approval instead.
      const transition = data.held ? onStepHeld : onStepCompleted;
      return replyOf(engine.apply(data.tenant, data.runId, eventKey(event), (s, t) => transition(s, data, t)));
    },

    [EventTypes.modelDelta]: async (event: CloudEventV1<ModelDelta>) => {
      const data = event.data as ModelDelta;
      return replyOf(engine.apply(data.tenant, data.runId, eventKey(event), (s, t) => onModelDelta(s, data, t)));
    },

    [EventTypes.modelCompleted]: async (event: CloudEventV1<ModelCompleted>) => {
      const data = event.data as ModelCompleted;
      if (data.purpose !== 'reflect') {
        throw new BadRequestError('The orchestrator only takes model replies for reflection.', 'data/purpose');
      }
      return replyOf(engine.apply(data.tenant, data.runId, eventKey(event), (s, t) => onReflection(s, data, t)));
    },
  };
}

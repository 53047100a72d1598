/**
 * The executor's handlers: one model turn per model request, one tool call per step request.
 * Failures of the model or the tool become part of the reply event (the run decides what to do
 * with them); only a failure to send the reply makes the delivery fail and be retried.
 */
import type { CloudEventV1 } from 'cloudevents';
import type { AgentRegistry } from '../../shared/agents/registry';
import { asDdoError, BadRequestError } from '../../shared/errors';
import {
  EventTypes,
  PURPOSE_ATTRIBUTE,
  type ModelCompleted,
  type ModelRequested,
  type StepCompleted,
  type StepRequested,
} from '../../shared/events/catalogue';
import type { Emitter, OutgoingEvent } from '../../shared/events/emit';
import type { Logger } from '../../shared/log';
import { findTool } from '../../shared/tools/catalogue';
import type { EventHandlers } from '../../shared/runtime/boundary';
import { OnceCache } from './once';
import { providerFor } from './providers';
import { runTool, type createTools } from './tools';

export interface ExecutorDeps {
  agents: AgentRegistry;
  emitter: Emitter;
  tools: ReturnType<typeof createTools>;
  log: Logger;
  modelTimeoutMs: number;
}

/** Builds the executor's handlers. */
export function executorHandlers(deps: ExecutorDeps): EventHandlers {
  const once = new OnceCache<OutgoingEvent>();
  const agentFor = (agentId: string) => {
    const agent = deps.agents.get(agentId);
    if (!agent) throw new BadRequestError(`There is no agent ${JSON.stringify(agentId)}.`, 'data/agentId');
    return agent;
  };
  const reply = async (event: CloudEventV1<unknown>, work: () => Promise<OutgoingEvent>) => {
    const { result } = once.run(`${event.source} ${event.id}`, work);
    await deps.emitter.emit(await result);
  };

  return {
    [EventTypes.modelRequested]: async (event: CloudEventV1<ModelRequested>) => {
      const data = event.data as ModelRequested;
      const agent = agentFor(data.agentId);
      await reply(event, async () => {
        const out: ModelCompleted = { ...data };
        try {
          const provider = providerFor(agent.model.provider);
          const tools = agent.tools.map((t) => findTool(t)).filter((t) => t !== undefined);
          out.reply = await provider.complete(
            { model: agent.model.name, messages: data.messages, tools, options: agent.model.options },
            AbortSignal.timeout(deps.modelTimeoutMs),
          );
        } catch (err) {
          const e = asDdoError(err);
          deps.log.warn({ runId: data.runId, provider: agent.model.provider, reason: e.reason }, 'model call failed');
          out.error = { reason: 'model_error', message: `${agent.model.provider}/${agent.model.name}: ${e.message}` };
        }
        return {
          type: EventTypes.modelCompleted,
          id: `${event.id}.reply`,
          extensions: { [PURPOSE_ATTRIBUTE]: data.purpose },
          data: out,
        };
      });
    },

    [EventTypes.stepRequested]: async (event: CloudEventV1<StepRequested>) => {
      const data = event.data as StepRequested;
      const agent = agentFor(data.agentId);
      await reply(event, async () => {
        const started = performance.now();
        const out: StepCompleted = { tenant: data.tenant, runId: data.runId, agentId: data.agentId, iteration: data.iteration, stepId: data.step.id, ok: false, durationMs: 0 };
        try {
          if (!agent.tools.includes(data.step.tool)) {
            throw new BadRequestError(`Agent ${agent.id} may not use the tool ${data.step.tool}.`, 'step/tool');
          }
          const result = await runTool(deps.tools, data.step.tool, data.step.args, AbortSignal.timeout(data.timeoutMs));
          out.ok = true;
          out.output = result.output;
          if (result.remember?.length) out.remember = result.remember;
        } catch (err) {
          const e = asDdoError(err);
          const timedOut = (err as Error)?.name === 'TimeoutError';
          out.error = timedOut
            ? { reason: 'step_timeout', message: `${data.step.tool} did not finish within ${data.timeoutMs} ms.` }
            : { reason: e.reason === 'internal' ? 'tool_error' : e.reason, message: e.message };
        }
        out.durationMs = performance.now() - started;
        return { type: EventTypes.stepCompleted, id: `${data.runId}.step-done.${data.iteration}.${data.step.id}`, data: out };
      });
    },
  };
}

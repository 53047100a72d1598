/**
 * The executor's handlers: one model turn per model request, one tool call per step request.
 * Failures of the model or the tool become part of the reply event (the run decides what to do
 * with them); only a failure to send the reply makes the delivery fail and be retried.
 * A model turn retries, fails over along the agent's fallbacks and repairs malformed tool
 * arguments (providers/turn.ts); its reply carries the latency the run record sums.
 */
import type { CloudEventV1 } from 'cloudevents';
import type { AgentRegistry } from '../../shared/agents/registry';
import { asDdoError, BadRequestError } from '../../shared/errors';
import {
  EventTypes,
  PURPOSE_ATTRIBUTE,
  type ModelCompleted,
  type ModelDelta,
  type ModelRequested,
  type RunRef,
  type StepCompleted,
  type StepRequested,
  runEventId,
  runRefOf,
} from '../../shared/events/catalogue';
import type { Emitter, OutgoingEvent } from '../../shared/events/emit';
import type { Logger } from '../../shared/log';
import { findTool } from '../../shared/tools/catalogue';
import { EventReply, type EventHandlers } from '../../shared/runtime/event-boundary';
import { OnceCache } from './once';
import type { ProviderRegistry } from './providers';
import { scrub } from './providers/failure';
import { modelChain, runModelTurn } from './providers/turn';
import type { RetryPolicy } from './providers/retry';
import { runTool, type createTools } from './tools';
import { withHooks } from './hooks/run';
import type { CallFailure, CallHooks } from './hooks/types';
import { policiesFor, type PolicyRegistry } from '../../shared/policy/registry';
import { CallGovernor, PolicyHeldError } from './policy';

function failureOf(err: unknown, durationMs: number): CallFailure {
  const e = asDdoError(err);
  const reason = (err as Error)?.name === 'TimeoutError' ? 'timeout' : e.reason;
  return { durationMs, reason, message: scrub(e.message).slice(0, 1_000) };
}

/** What the executor's handlers are built from; tests pass scripted providers and emitters. */
export interface ExecutorDeps {
  agents: AgentRegistry;
  emitter: Emitter;
  tools: ReturnType<typeof createTools>;
  log: Logger;
  providers: ProviderRegistry;
  retry: RetryPolicy;
  /** Around every tool and model call (spans, metrics, logs, users' own); none by default. */
  hooks?: readonly CallHooks[];
  /** Policies evaluated before and after every call (policies/); none means no governance. */
  policies?: PolicyRegistry;
}

/** Builds the executor's handlers. */
export function executorHandlers(deps: ExecutorDeps): EventHandlers {
  const once = new OnceCache<OutgoingEvent | OutgoingEvent[]>();
  const agentFor = (agentId: string) => {
    const agent = deps.agents.get(agentId);
    if (!agent) throw new BadRequestError(`There is no agent ${JSON.stringify(agentId)}.`, 'data/agentId');
    return agent;
  };
  const governor = (data: RunRef, call: ConstructorParameters<typeof CallGovernor>[2]) =>
    new CallGovernor(deps.policies ? policiesFor(deps.policies, agentFor(data.agentId), data.tenant) : [], runRefOf(data), call, deps.log);
  // The audit events go out with the reply, so a re-sent reply re-sends them (as duplicates).
  const withAudit = (gov: CallGovernor, out: StepCompleted | ModelCompleted, reply: OutgoingEvent) => {
    if (!gov.isGoverned) return reply;
    out.policy = gov.decisions;
    return [...gov.events(), reply];
  };
  const reply = async (event: CloudEventV1<unknown>, work: () => Promise<OutgoingEvent | OutgoingEvent[]>) => {
    const { result } = once.run(`${event.source} ${event.id}`, work);
    return new EventReply(await result);
  };

  return {
    [EventTypes.modelRequested]: async (event: CloudEventV1<ModelRequested>) => {
      const data = event.data as ModelRequested;
      const agent = agentFor(data.agentId);
      return reply(event, async () => {
        const out: ModelCompleted = { ...data };
        const fullChain = modelChain(agent.model);
        const gov = governor(data, { kind: 'model', purpose: data.purpose, attempt: data.attempt, model: `${fullChain[0].provider}/${fullChain[0].name}` });
        try {
          const tools = agent.tools.map((t) => findTool(t)).filter((t) => t !== undefined);
          const { chain, messages } = gov.isGoverned ? gov.beforeModel(fullChain, data.messages) : { chain: fullChain, messages: data.messages };
          // The reply echoes the request's messages; echo them as the model saw them.
          out.messages = messages;
          const call = { kind: 'model' as const, ...runRefOf(data), purpose: data.purpose, provider: chain[0].provider, model: chain[0].name };
          const reply = await withHooks(
            deps.hooks ?? [],
            deps.log,
            call,
            messages,
            async () => {
              // Redaction needs the whole answer (a secret may span pieces), so a governed agent's
              // answer is not streamed; it arrives whole with the reply, as it does for a run
              // whose starter waits for the answer (nobody would see the pieces).
              const isStreamed = !gov.isGoverned && data.stream !== false;
              const deltas = isStreamed ? deltaSender(deps, data) : undefined;
              const r = await runModelTurn(deps, chain, { messages, tools, onDelta: deltas?.send });
              await deltas?.sent();
              return gov.isGoverned ? gov.afterModel(r) : r;
            },
            (r, durationMs) => ({ durationMs, provider: r.provider, model: r.model, usage: r.usage, finishReason: r.finishReason, toolCalls: r.toolCalls.length }),
            failureOf,
          );
          // The repair flag is executor-internal; the event schema does not carry it.
          const toolCalls = reply.toolCalls.map(({ argumentsError: _flag, ...call }) => call);
          out.reply = { ...reply, toolCalls };
        } catch (err) {
          const e = asDdoError(err);
          const isUnexpected = e.reason === 'internal';
          const reason = isUnexpected ? 'model_error' : e.reason;
          // ModelCallError messages name provider and model and are already scrubbed.
          const { provider, name } = agent.model;
          const message = gov.redact(isUnexpected ? `${provider} model ${name}: ${scrub(e.message)}` : e.message);
          out.error = { reason, message: message.slice(0, 4_000) };
          deps.log.warn({ runId: data.runId, reason, error: out.error.message }, 'model turn failed');
        }
        return withAudit(gov, out, {
          type: EventTypes.modelCompleted,
          id: `${event.id}.reply`,
          extensions: { [PURPOSE_ATTRIBUTE]: data.purpose },
          data: out,
        });
      });
    },

    [EventTypes.stepRequested]: async (event: CloudEventV1<StepRequested>) => {
      const data = event.data as StepRequested;
      const agent = agentFor(data.agentId);
      return reply(event, async () => {
        const started = performance.now();
        const out: StepCompleted = { tenant: data.tenant, runId: data.runId, agentId: data.agentId, iteration: data.iteration, stepId: data.step.id, ok: false, durationMs: 0 };
        const gov = governor(data, { kind: 'tool', tool: data.step.tool, stepId: data.step.id });
        try {
          if (!agent.tools.includes(data.step.tool)) {
            throw new BadRequestError(`Agent ${agent.id} may not use the tool ${data.step.tool}.`, 'step/tool');
          }
          const args = gov.isGoverned ? gov.beforeTool(data.step.tool, data.step.args, data.approved === true) : data.step.args;
          const call = { kind: 'tool' as const, ...runRefOf(data), stepId: data.step.id, tool: data.step.tool };
          const result = await withHooks(
            deps.hooks ?? [],
            deps.log,
            call,
            args,
            async () => {
              const r = await runTool(deps.tools, data.step.tool, args, AbortSignal.timeout(data.timeoutMs));
              return gov.isGoverned ? gov.afterTool(r) : r;
            },
            (r, durationMs) => ({ durationMs, output: r.output }),
            failureOf,
          );
          out.ok = true;
          out.output = result.output;
          if (result.remember?.length) out.remember = result.remember;
        } catch (err) {
          const e = asDdoError(err);
          const timedOut = (err as Error)?.name === 'TimeoutError';
          if (err instanceof PolicyHeldError) out.held = err.held;
          else out.error = timedOut
            ? { reason: 'step_timeout', message: `${data.step.tool} did not finish within ${data.timeoutMs} ms.` }
            : { reason: e.reason === 'internal' ? 'tool_error' : e.reason, message: gov.redact(e.message) };
        }
        out.durationMs = performance.now() - started;
        // A held reply has its own id: the real result after approval must not look like its duplicate.
        const kind = out.held ? 'step-held' : 'step-done';
        return withAudit(gov, out, { type: EventTypes.stepCompleted, id: runEventId(data, kind, data.iteration, data.step.id), data: out });
      });
    },
  };
}

/**
 * Sends streamed answer pieces as `dev.ddo.model.delta` events, in order, one event in flight at
 * a time: pieces that arrive while one is being sent go together in the next, so a fast model
 * costs a few events however many pieces it yields, and a slow one streams piece by piece. The
 * reply waits for them (`sent`), so the broker has every piece before the answer itself. A piece
 * that cannot be sent is dropped with a warning: the whole answer still arrives with the reply.
 */
function deltaSender(deps: ExecutorDeps, data: ModelRequested) {
  let pending: string[] = [];
  let index = 0;
  let inFlight: Promise<void> | undefined;
  const drain = async (): Promise<void> => {
    while (pending.length > 0) {
      const text = pending.join('');
      pending = [];
      const delta: ModelDelta = { ...runRefOf(data), purpose: data.purpose, index: index++, text };
      const id = runEventId(data, 'delta', data.purpose, data.attempt, delta.index);
      await deps.emitter.emit({ type: EventTypes.modelDelta, id, data: delta }).catch((err: unknown) => {
        deps.log.warn({ runId: data.runId, err: { message: (err as Error).message } }, 'a streamed piece was not sent');
      });
    }
    inFlight = undefined;
  };
  return {
    send: (text: string) => {
      pending.push(text);
      // Started on the next turn, so the pieces a provider yields at once leave together.
      inFlight ??= new Promise<void>((resolve) => setImmediate(resolve)).then(drain);
    },
    sent: () => inFlight ?? Promise.resolve(),
  };
}

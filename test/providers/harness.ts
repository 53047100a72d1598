/**
 * Drives model turns through the executor's real handler (providers, retries, failover, repair
 * and the SDKs) with an in-memory emitter and a captured logger, for the provider tests.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import type { AgentDefinition, ModelRef } from '../../shared/agents/schema';
import { EventTypes, type ModelCompleted, type ModelRequested } from '../../shared/events/catalogue';
import type { OutgoingEvent } from '../../shared/events/emit';
import { modelCompletedData } from '../../shared/events/schemas';
import type { ChatMessage, ToolCall } from '../../shared/model/types';
import { describeError, validatorFor } from '../../shared/schema';
import type { EgressPolicy } from '../../functions/executor/egress';
import { executorHandlers } from '../../functions/executor/handlers';
import { collectReplies } from '../support/replies';
import { createProviderRegistry } from '../../functions/executor/providers';
import type { RetryPolicy } from '../../functions/executor/providers/retry';
import { createTools } from '../../functions/executor/tools';

/** Fast retries so the tests take milliseconds, except where Retry-After says otherwise. */
export const TEST_RETRY: RetryPolicy = { maxRetries: 2, baseDelayMs: 10, maxDelayMs: 3_000, timeoutMs: 5_000, budgetMs: 20_000 };

/** An agent on `model` with the calculator and http_get tools. */
export function makeAgent(model: ModelRef & { fallbacks?: ModelRef[] }, tools = ['calculator', 'http_get']): AgentDefinition {
  return {
    id: 'tester',
    instructions: 'Use the tools.',
    model,
    tools,
    limits: { maxIterations: 3, maxSteps: 6, timeoutSeconds: 60 },
  };
}

/** The opening of a conversation: instructions and one question. */
export function opening(question = 'What is 17 * 23?'): ChatMessage[] {
  return [
    { role: 'system', content: 'Use the tools.' },
    { role: 'user', content: question },
  ];
}

/** The assistant message of a reply's tool calls and a successful tool message for each. */
export function answered(calls: ToolCall[], outputs: unknown[]): ChatMessage[] {
  return [
    { role: 'assistant', toolCalls: calls },
    ...calls.map((c, i): ChatMessage => ({ role: 'tool', toolCallId: c.id, name: c.name, content: JSON.stringify(outputs[i]) })),
  ];
}

/** A running harness around one agent. */
export interface Harness {
  /** Runs one model turn and returns the model.completed data the executor emitted. */
  turn(messages: ChatMessage[]): Promise<ModelCompleted>;
  /** Everything the executor logged, as text. */
  logs(): string;
}

/** Builds the executor for `agent` with `env` and an egress policy allowing `local` loopback ports. */
export function makeHarness(opts: {
  agent: AgentDefinition;
  env: NodeJS.ProcessEnv;
  local: string[];
  hosts?: string[];
  retry?: RetryPolicy;
}): Harness {
  const policy: EgressPolicy = { hosts: opts.hosts ?? [], local: opts.local };
  const emitted: OutgoingEvent[] = [];
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const handlers = collectReplies(executorHandlers({
    agents: new Map([[opts.agent.id, opts.agent]]),
    emitter: { emit: async (events) => void emitted.push(...[events].flat()) },
    tools: createTools(policy),
    log: pino({ level: 'debug' }, sink),
    providers: createProviderRegistry({ policy, env: opts.env }),
    retry: opts.retry ?? TEST_RETRY,
  }), emitted);
  let n = 0;
  return {
    async turn(messages) {
      const data: ModelRequested = {
        tenant: 'acme',
        runId: 'run_1',
        agentId: opts.agent.id,
        iteration: 1,
        purpose: 'plan',
        attempt: 1,
        messages,
        stepsLeft: 6,
      };
      n += 1;
      const event = { id: `evt-${n}`, source: '/test', type: EventTypes.modelRequested, specversion: '1.0' as const, data };
      await handlers[EventTypes.modelRequested]?.(event);
      const out = emitted.pop();
      if (!out) throw new Error('the executor emitted nothing');
      // The real emitter refuses events that break the catalogue; so does the harness.
      const validate = validatorFor(modelCompletedData);
      if (!validate(out.data)) throw new Error(`invalid model.completed: ${describeError(validate.errors, 'data').message}`);
      return out.data as ModelCompleted;
    },
    logs: () => lines.join(''),
  };
}

/**
 * One model turn as the executor runs it: retries on each model (retry.ts), failover along the
 * agent's model chain (primary, then `fallbacks` in order), and one repair round when the
 * model's tool arguments are not a JSON object. A failure retrying cannot fix (credentials, a
 * bad request, an undeclared host, missing settings) ends the turn at once.
 */
import type { ModelRef } from '../../../shared/agents/schema';
import { DdoError } from '../../../shared/errors';
import type { Logger } from '../../../shared/log';
import {
  addUsage,
  type ChatMessage,
  type ModelReply,
  type ToolCall,
  type ToolSpec,
} from '../../../shared/model/types';
import { commonFailure, ModelCallError } from './failure';
import type { ProviderRegistry } from './index';
import { withRetries, type RetryPolicy } from './retry';

/** What a model turn needs from the executor. */
export interface TurnDeps {
  providers: ProviderRegistry;
  retry: RetryPolicy;
  log: Logger;
}

/** The conversation and tools of one turn. */
export interface TurnInput {
  messages: ChatMessage[];
  tools: ToolSpec[];
  /** Receives streamed answer text, for providers that stream. */
  onDelta?: (text: string) => void;
}

/**
 * The models to try, in order: the primary, then its fallbacks. A fallback on the primary's
 * provider inherits the primary's options (base URL, region, project, sampling) and overrides
 * what it sets itself, so a same-provider fallback needs only a name.
 */
export function modelChain(model: ModelRef & { fallbacks?: ModelRef[] }): ModelRef[] {
  const { fallbacks = [], ...primary } = model;
  return [
    primary,
    ...fallbacks.map((f) =>
      f.provider === primary.provider ? { ...f, options: { ...primary.options, ...f.options } } : f,
    ),
  ];
}

/**
 * Runs one turn on `chain` and returns the reply of the model that answered. The reply's
 * usage and latency cover the repair round too, when there was one.
 */
export async function runModelTurn(
  deps: TurnDeps,
  chain: readonly ModelRef[],
  input: TurnInput,
): Promise<ModelReply> {
  const deadline = Date.now() + deps.retry.budgetMs;
  const first = await completeWithFailover(deps, chain, input, deadline);
  const malformed = first.toolCalls.filter((c) => c.argumentsError);
  if (malformed.length === 0) return first;

  const { provider, model } = first;
  deps.log.warn({ provider, model, calls: malformed.length }, 'malformed tool arguments; repair round');
  const messages = [...input.messages, ...repairMessages(first)];
  const second = await completeWithFailover(deps, chain, { ...input, messages }, deadline);
  const stillBad = second.toolCalls.find((c) => c.argumentsError);
  if (stillBad) {
    const why = `sent tool arguments that are not a JSON object again after a repair round`;
    throw new ModelCallError(second, 'model_behavior', `${why} (${stillBad.argumentsError})`);
  }
  return {
    ...second,
    usage: addUsage(first.usage, second.usage),
    latencyMs: (first.latencyMs ?? 0) + (second.latencyMs ?? 0),
  };
}

/**
 * The repair round's additions: the reply's calls, each answered by an error result, so the
 * conversation stays valid for every provider (Bedrock insists every toolUse is answered).
 */
function repairMessages(reply: ModelReply): ChatMessage[] {
  const assistant: ChatMessage = {
    role: 'assistant',
    ...(reply.text ? { content: reply.text } : {}),
    toolCalls: reply.toolCalls.map(withoutFlag),
  };
  return [
    assistant,
    ...reply.toolCalls.map((call): ChatMessage => ({
      role: 'tool',
      toolCallId: call.id,
      name: call.name,
      isError: true,
      content: call.argumentsError
        ? `Error: ${call.argumentsError}. Call ${call.name} again with arguments that are one JSON ` +
          'object matching its schema.'
        : 'Error: not run, because another call in this reply had invalid arguments; call it again ' +
          'if you still need it.',
    })),
  ];
}

/** Tries each model of the chain in order until one answers. */
async function completeWithFailover(
  deps: TurnDeps,
  chain: readonly ModelRef[],
  input: TurnInput,
  deadline: number,
): Promise<ModelReply> {
  const failures: ModelCallError[] = [];
  for (const ref of chain) {
    const target = { provider: ref.provider, model: ref.name };
    try {
      const provider = deps.providers.get(ref.provider);
      return await withRetries(
        target,
        async (signal) => {
          const started = performance.now();
          const { messages, tools, onDelta } = input;
          const request = { model: ref.name, messages, tools, options: ref.options, onDelta };
          const reply = await provider.complete(request, signal);
          return { ...reply, latencyMs: Math.round(performance.now() - started) };
        },
        deps.retry,
        deadline,
        (err, delayMs, attempt) => {
          deps.log.warn({ ...target, reason: err.reason, delayMs, attempt }, 'model call failed; retrying');
        },
      );
    } catch (err) {
      const failure =
        commonFailure(target, err) ??
        new ModelCallError(target, 'config', err instanceof Error ? err.message : String(err));
      failures.push(failure);
      // Credentials, bad requests and undeclared hosts do not get better on another try.
      if (!failure.isRetryable) throw combined(failures);
      if (Date.now() >= deadline) break;
      deps.log.warn({ ...target, reason: failure.reason }, 'model unavailable; failing over');
    }
  }
  throw combined(failures);
}

/** One error for the whole chain: the last failure's reason, each model's story in the message. */
function combined(failures: ModelCallError[]): DdoError {
  const last = failures[failures.length - 1];
  if (failures.length === 1) return last;
  return new DdoError(`No model answered: ${failures.map((f) => f.message).join('; then ')}.`, {
    status: last.status,
    reason: last.reason,
    details: { models: failures.map((f) => `${f.provider}/${f.model}`) },
  });
}

function withoutFlag(call: ToolCall): ToolCall {
  return { id: call.id, name: call.name, arguments: call.arguments };
}

/**
 * The chat-completions wire format, both ways: OpenAI's `/v1/chat/completions` and watsonx's
 * `/ml/v1/text/chat` share it (messages with `tool_calls` and `tool_call_id`, tools as
 * `{type: 'function', function: {name, description, parameters}}`, arguments as a JSON string).
 * @see https://platform.openai.com/docs/api-reference/chat/create
 */
import type { ChatMessage, ModelReply, ToolCall, ToolSpec } from '../../../shared/model/types';
import { nonEmpty, pairToolResults, toolCallFrom, toolResultText } from './conversation';

/** A tool call as it travels in a chat-completions message. */
export interface WireToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** A chat-completions message. */
export type WireMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content?: string; tool_calls?: WireToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

/** A tool definition in chat-completions form. */
export interface WireTool {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

/** A tool call as a response carries it; every field is checked before use. */
interface WireToolCallIn {
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: unknown };
}

/** The parts of a chat-completions response this module reads. */
export interface WireResponse {
  choices?: {
    message?: { content?: string | null; tool_calls?: WireToolCallIn[] | null };
    finish_reason?: string | null;
  }[];
  usage?: { prompt_tokens?: number | null; completion_tokens?: number | null } | null;
}

/** Maps our conversation to chat-completions messages, tool calls paired with their results. */
export function toWireMessages(messages: readonly ChatMessage[]): WireMessage[] {
  return pairToolResults(messages).map((m): WireMessage => {
    switch (m.role) {
      case 'system':
      case 'user':
        return { role: m.role, content: nonEmpty(m.content) };
      case 'assistant': {
        const calls = m.toolCalls ?? [];
        if (calls.length === 0) return { role: 'assistant', content: nonEmpty(m.content) };
        return {
          role: 'assistant',
          // Content is optional next to tool calls; an empty string is rejected by some servers.
          ...(m.content?.trim() ? { content: m.content } : {}),
          tool_calls: calls.map(toWireToolCall),
        };
      }
      case 'tool':
        return { role: 'tool', tool_call_id: m.toolCallId, content: toolResultText(m) };
      default: {
        const never: never = m;
        throw new Error(`unknown message role in ${JSON.stringify(never)}`);
      }
    }
  });
}

/** Maps tool specs to chat-completions tool definitions. */
export function toWireTools(tools: readonly ToolSpec[]): WireTool[] {
  return tools.map((t) => ({
    type: 'function',
    function: { name: t.name, description: t.description, parameters: t.inputSchema },
  }));
}

/** Maps the first choice of a response to our reply. */
export function fromWireResponse(provider: string, model: string, res: WireResponse): ModelReply {
  const choice = res.choices?.[0];
  const message = choice?.message;
  const toolCalls: ToolCall[] = (message?.tool_calls ?? [])
    .filter((c) => (c.type ?? 'function') === 'function' && c.function?.name)
    .map((c, i) => toolCallFrom(c.id || `call_${i + 1}`, String(c.function?.name), c.function?.arguments));
  const text = typeof message?.content === 'string' && message.content !== '' ? message.content : undefined;
  return {
    provider,
    model,
    ...(text !== undefined ? { text } : {}),
    toolCalls,
    usage: {
      inputTokens: tokenCount(res.usage?.prompt_tokens),
      outputTokens: tokenCount(res.usage?.completion_tokens),
    },
    finishReason: toolCalls.length > 0 ? 'tool_calls' : choice?.finish_reason === 'length' ? 'length' : 'stop',
  };
}

/** Sampling settings every provider understands. */
export interface SamplingOptions {
  temperature?: number;
  topP?: number;
  maxTokens?: number;
}

/** Sampling options shared by all providers, from the agent's `model.options`. */
export function samplingOptions(options: Record<string, unknown> | undefined): SamplingOptions {
  const number = (v: unknown) => (typeof v === 'number' ? v : undefined);
  return {
    temperature: number(options?.temperature),
    topP: number(options?.topP),
    maxTokens: number(options?.maxTokens),
  };
}

function toWireToolCall(call: ToolCall): WireToolCall {
  const args = JSON.stringify(call.arguments);
  return { id: call.id, type: 'function', function: { name: call.name, arguments: args } };
}

function tokenCount(n: number | null | undefined): number {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.round(n) : 0;
}

/**
 * Provider-neutral conversation types. Every provider maps these to its own wire format and
 * back; tool-call ids pair each result with the call that asked for it.
 */

export interface ToolCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
  /**
   * Set by a provider when the model's arguments were not one JSON object (`arguments` is then
   * `{}`). The executor answers such calls with a repair round; this field never leaves it.
   */
  argumentsError?: string;
}

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content?: string; toolCalls?: ToolCall[] }
  | { role: 'tool'; toolCallId: string; name: string; content: string; isError?: boolean };

/** What a model is told about one tool: the same JSON Schema the executor validates against. */
export interface ToolSpec {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

export interface ModelReply {
  provider: string;
  model: string;
  text?: string;
  toolCalls: ToolCall[];
  usage: Usage;
  finishReason: 'stop' | 'tool_calls' | 'length' | 'error';
  /** Wall-clock time of the call that produced this reply, set by the executor. */
  latencyMs?: number;
}

/** One model turn as the run record counts it: who answered, what it cost, how long it took. */
export interface ModelCallUsage extends Usage {
  provider: string;
  model: string;
  latencyMs: number;
}

/** The usage record of a reply, for the run's per-model breakdown. */
export function callUsageOf(reply: ModelReply): ModelCallUsage {
  return {
    provider: reply.provider,
    model: reply.model,
    inputTokens: reply.usage.inputTokens,
    outputTokens: reply.usage.outputTokens,
    latencyMs: Math.round(reply.latencyMs ?? 0),
  };
}

export interface ModelRequest {
  model: string;
  messages: ChatMessage[];
  tools: ToolSpec[];
  /** Options from the agent file, passed through to the provider. */
  options?: Record<string, unknown>;
  /**
   * Called with each piece of answer text as it arrives, by providers that stream. Only the
   * offline provider does so far; the others would need their SDKs' streaming calls.
   */
  onDelta?: (text: string) => void;
}

/** One model backend. Implementations live in the executor, the only holder of credentials. */
export interface ModelProvider {
  readonly name: string;
  complete(request: ModelRequest, signal: AbortSignal): Promise<ModelReply>;
}

export const ZERO_USAGE: Usage = Object.freeze({ inputTokens: 0, outputTokens: 0 });

/** Adds two usage records. */
export function addUsage(a: Usage, b: Usage | undefined): Usage {
  if (!b) return a;
  return { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens };
}

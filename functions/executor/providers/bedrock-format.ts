/**
 * The Bedrock Converse format, both ways. Converse is stricter than chat completions, and these
 * rules hold for everything we send, whatever the conversation went through (failed, cut-short
 * or repaired steps, history from another provider):
 * - the conversation starts with a user turn and roles alternate (same-role messages merge);
 * - every toolUse is answered by a toolResult in the very next user turn, results first;
 * - no content block is empty or whitespace-only (a placeholder text stands in);
 * - toolUse ids match `[a-zA-Z0-9_-]{1,64}` (other ids are rewritten consistently).
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
 */
import type { ChatMessage, ModelReply, ToolCall, ToolSpec } from '../../../shared/model/types';
import { EMPTY_TEXT, nonEmpty, pairToolResults, toolCallFrom, toolResultText } from './conversation';

/** One Converse content block, as sent and received (only the kinds we use). */
export type ConverseBlock =
  | { text: string }
  | { toolUse: { toolUseId: string; name: string; input: unknown } }
  | { toolResult: { toolUseId: string; content: { text: string }[]; status?: 'success' | 'error' } };

/** One Converse message. */
export interface ConverseMessage {
  role: 'user' | 'assistant';
  content: ConverseBlock[];
}

/** A tool definition in Converse form. */
export interface ConverseToolSpec {
  name: string;
  description: string;
  inputSchema: { json: unknown };
}

/** The Converse request fields this module builds. */
export interface ConverseInput {
  system?: { text: string }[];
  messages: ConverseMessage[];
  toolConfig?: { tools: { toolSpec: ConverseToolSpec }[] };
}

/** The parts of a Converse response this module reads. */
export interface ConverseOutput {
  output?: { message?: { content?: Record<string, unknown>[] } };
  stopReason?: string;
  usage?: { inputTokens?: number; outputTokens?: number };
}

/** Appended when the conversation would end on an assistant turn, which most models reject. */
export const CONTINUE_TEXT = 'Continue.';

const TOOL_ID_RE = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * Maps our conversation to a Converse request. Without tools, Converse refuses toolUse and
 * toolResult blocks, so earlier tool calls are then told as text.
 * `withResultStatus` sends toolResult.status, which only some models (Claude, Nova) accept.
 */
export function toConverseInput(
  messages: readonly ChatMessage[],
  tools: readonly ToolSpec[],
  withResultStatus: boolean,
): ConverseInput {
  const paired = pairToolResults(messages);
  const hasTools = tools.length > 0;
  const ids = new ToolIdMap();
  const system = paired.flatMap((m) => (m.role === 'system' && m.content.trim() ? [{ text: m.content }] : []));

  const turns: ConverseMessage[] = [];
  for (const m of paired) {
    if (m.role === 'system') continue;
    const role = m.role === 'assistant' ? 'assistant' : 'user';
    const blocks = blocksOf(m, hasTools, ids, withResultStatus);
    const last = turns[turns.length - 1];
    if (last?.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  }
  for (const turn of turns) {
    // Results first in a user turn: the answers must directly follow the assistant's toolUse.
    if (turn.role !== 'user') continue;
    turn.content.sort((a, b) => Number('toolResult' in b) - Number('toolResult' in a));
  }
  if (turns[0]?.role !== 'user') turns.unshift({ role: 'user', content: [{ text: EMPTY_TEXT }] });
  if (turns[turns.length - 1].role === 'assistant') {
    turns.push({ role: 'user', content: [{ text: CONTINUE_TEXT }] });
  }

  return {
    ...(system.length > 0 ? { system } : {}),
    messages: turns,
    ...(hasTools ? { toolConfig: { tools: tools.map((t) => ({ toolSpec: toToolSpec(t) })) } } : {}),
  };
}

/** Maps a Converse response to our reply. */
export function fromConverseOutput(provider: string, model: string, res: ConverseOutput): ModelReply {
  const texts: string[] = [];
  const toolCalls: ToolCall[] = [];
  for (const block of res.output?.message?.content ?? []) {
    if (typeof block.text === 'string') texts.push(block.text);
    const use = block.toolUse as { toolUseId?: string; name?: string; input?: unknown } | undefined;
    if (!use?.name) continue;
    toolCalls.push(toolCallFrom(use.toolUseId || `tooluse_${toolCalls.length + 1}`, use.name, use.input ?? {}));
  }
  const text = texts.join('\n');
  return {
    provider,
    model,
    ...(text.trim() !== '' ? { text } : {}),
    toolCalls,
    usage: { inputTokens: count(res.usage?.inputTokens), outputTokens: count(res.usage?.outputTokens) },
    finishReason: toolCalls.length > 0 ? 'tool_calls' : res.stopReason === 'max_tokens' ? 'length' : 'stop',
  };
}

function toToolSpec(tool: ToolSpec): ConverseToolSpec {
  return { name: tool.name, description: tool.description, inputSchema: { json: tool.inputSchema } };
}

function blocksOf(
  m: Exclude<ChatMessage, { role: 'system' }>,
  hasTools: boolean,
  ids: ToolIdMap,
  withStatus: boolean,
): ConverseBlock[] {
  switch (m.role) {
    case 'user':
      return [{ text: nonEmpty(m.content) }];
    case 'assistant': {
      const blocks: ConverseBlock[] = m.content?.trim() ? [{ text: m.content }] : [];
      for (const call of m.toolCalls ?? []) {
        blocks.push(
          hasTools
            ? { toolUse: { toolUseId: ids.get(call.id), name: call.name, input: call.arguments } }
            : { text: `Called ${call.name} with ${JSON.stringify(call.arguments)}.` },
        );
      }
      return blocks.length > 0 ? blocks : [{ text: EMPTY_TEXT }];
    }
    case 'tool': {
      const text = toolResultText(m);
      if (!hasTools) return [{ text: `Result of ${m.name}: ${text}` }];
      const status = withStatus ? { status: m.isError ? ('error' as const) : ('success' as const) } : {};
      return [{ toolResult: { toolUseId: ids.get(m.toolCallId), content: [{ text }], ...status } }];
    }
    default: {
      const never: never = m;
      throw new Error(`unknown message role in ${JSON.stringify(never)}`);
    }
  }
}

/** Rewrites tool-call ids Converse would reject, the same way for a call and its result. */
class ToolIdMap {
  private readonly map = new Map<string, string>();
  private readonly taken = new Set<string>();

  get(id: string): string {
    const known = this.map.get(id);
    if (known) return known;
    const base = TOOL_ID_RE.test(id) ? id : id.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64) || 'tool';
    let safe = base;
    for (let n = 2; this.taken.has(safe); n++) safe = `${base.slice(0, 58)}_${n}`;
    this.map.set(id, safe);
    this.taken.add(safe);
    return safe;
  }
}

function count(n: number | undefined): number {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.round(n) : 0;
}

/**
 * Provider-neutral clean-up before a conversation is mapped to any wire format, and the
 * parsing of tool arguments coming back. Every provider with native tool calling requires that
 * each tool call is answered, right after the message that made it, and that no answer comes
 * without a call; a failed, cut-short or repaired step must not break that.
 */
import type { ChatMessage, ToolCall } from '../../../shared/model/types';

/** Stands in for empty text: several providers reject empty or whitespace-only content. */
export const EMPTY_TEXT = '(empty)';

/** The answer sent for a tool call whose result never arrived. */
export const MISSING_RESULT = 'Error: no result was recorded for this call; the step did not finish.';

type ToolMessage = Extract<ChatMessage, { role: 'tool' }>;

/** Parses a model's tool arguments: one JSON object, or why they are not one. */
export function parseToolArguments(raw: unknown): { value: Record<string, unknown>; error?: string } {
  if (isPlainObject(raw)) return { value: raw };
  if (typeof raw !== 'string') return { value: {}, error: notAnObject(raw) };
  // Some servers send "" for a call without arguments.
  if (raw.trim() === '') return { value: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    const excerpt = raw.length > 120 ? `${raw.slice(0, 120)}…` : raw;
    return { value: {}, error: `the arguments are not valid JSON (${(err as Error).message}): ${excerpt}` };
  }
  if (!isPlainObject(parsed)) return { value: {}, error: notAnObject(parsed) };
  return { value: parsed };
}

/** Builds a ToolCall from a parsed reply, flagging arguments that are not one JSON object. */
export function toolCallFrom(id: string, name: string, rawArguments: unknown): ToolCall {
  const { value, error } = parseToolArguments(rawArguments);
  return { id, name, arguments: value, ...(error ? { argumentsError: error } : {}) };
}

/**
 * Returns the conversation with every assistant tool call answered by a tool message right
 * after it: its result, found by id anywhere before the next assistant message, or an error
 * result when there is none. A tool message that answers no call of the assistant message
 * before it becomes plain user text, so nothing the model was told is lost.
 */
export function pairToolResults(messages: readonly ChatMessage[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i];
    if (message.role !== 'assistant' || !message.toolCalls?.length) {
      out.push(message.role === 'tool' ? strayResult(message) : message);
      continue;
    }

    let end = i + 1;
    while (end < messages.length && messages[end].role !== 'assistant') end++;
    const window = messages.slice(i + 1, end);
    const used = new Set<ChatMessage>();
    out.push(message);
    for (const call of message.toolCalls) {
      const isAnswer = (r: ChatMessage): r is ToolMessage => r.role === 'tool' && r.toolCallId === call.id;
      const result = window.find((r): r is ToolMessage => isAnswer(r) && !used.has(r));
      if (result) used.add(result);
      out.push(result ?? missingResult(call));
    }
    for (const m of window) {
      if (!used.has(m)) out.push(m.role === 'tool' ? strayResult(m) : m);
    }
    i = end - 1;
  }
  return out;
}

/** The text of a tool message as the model should read it; errors say so. */
export function toolResultText(message: ToolMessage): string {
  const text = message.content.trim() === '' ? EMPTY_TEXT : message.content;
  return message.isError && !/^error\b/i.test(text) ? `Error: ${text}` : text;
}

/** `text`, or the placeholder when it is empty or only whitespace. */
export function nonEmpty(text: string | undefined): string {
  return text && text.trim() !== '' ? text : EMPTY_TEXT;
}

function missingResult(call: ToolCall): ToolMessage {
  return { role: 'tool', toolCallId: call.id, name: call.name, content: MISSING_RESULT, isError: true };
}

function strayResult(message: ToolMessage): ChatMessage {
  const text = toolResultText(message);
  return { role: 'user', content: `Result of ${message.name} (call ${message.toolCallId}): ${text}` };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function notAnObject(value: unknown): string {
  const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
  return `the arguments are ${what}, not a JSON object`;
}

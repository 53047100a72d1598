/**
 * The offline model: deterministic, no network, the default for local runs and tests. It
 * behaves like a model with native tool calling: it proposes tool calls for what it recognises,
 * and once it sees their results it answers from them. Anything else gets a plain refusal that
 * says how to configure a real provider.
 */
import type { ChatMessage, ModelProvider, ModelReply, ModelRequest, ToolCall } from '../../../shared/model/types';
import { factsInPrompt } from '../../../shared/model/prompt';
import { bestFact, findCount, findExpression, findRemember, findTimeZone, isRecallQuestion, restate } from './offline-intents';

export const OFFLINE_REFUSAL =
  'The offline model cannot answer that: it only does arithmetic, the time in a named time zone, word and ' +
  'character counts of quoted text, and remembering facts. Set model.provider to openai, bedrock or watsonx ' +
  'in the agent file (see the README) to ask open questions.';

/** The offline provider. */
export class OfflineProvider implements ModelProvider {
  readonly name = 'offline';

  async complete(request: ModelRequest): Promise<ModelReply> {
    const reply = decide(request);
    // Streams its answer as a real model would, a few words at a time.
    if (reply.text && request.onDelta) for (const piece of chunks(reply.text, 6)) request.onDelta(piece);
    return {
      provider: this.name,
      model: request.model,
      ...reply,
      finishReason: reply.toolCalls.length > 0 ? 'tool_calls' : 'stop',
      usage: { inputTokens: estimateTokens(request.messages), outputTokens: estimateTokens([{ role: 'assistant', content: reply.text ?? JSON.stringify(reply.toolCalls) }]) },
    };
  }
}

function decide(request: ModelRequest): { text?: string; toolCalls: ToolCall[] } {
  const { messages } = request;
  const last = messages[messages.length - 1];
  if (last?.role === 'tool') return { text: answerFromResults(messages), toolCalls: [] };

  const input = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  const has = (tool: string) => request.tools.some((t) => t.name === tool);
  const callNo = messages.reduce((n, m) => n + (m.role === 'assistant' ? m.toolCalls?.length ?? 0 : 0), 0) + 1;
  const call = (name: string, args: Record<string, unknown>): { toolCalls: ToolCall[] } => ({
    toolCalls: [{ id: `call_${callNo}`, name, arguments: args }],
  });

  const fact = findRemember(input);
  if (fact && has('remember')) return call('remember', { fact });
  const zone = findTimeZone(input);
  if (zone && has('clock')) return call('clock', { timeZone: zone });
  const count = findCount(input);
  if (count && has('text_stats')) return call('text_stats', { text: count.text });
  const expression = findExpression(input);
  if (expression && has('calculator')) return call('calculator', { expression });
  if (isRecallQuestion(input)) {
    const facts = rememberedFacts(messages);
    const match = bestFact(input, facts);
    return { text: match ? restate(match) : "I don't remember anything about that yet.", toolCalls: [] };
  }
  return { text: OFFLINE_REFUSAL, toolCalls: [] };
}

/** Composes the answer from the latest tool calls and their results. */
function answerFromResults(messages: ChatMessage[]): string {
  const lastCall = [...messages].reverse().find((m) => m.role === 'assistant' && m.toolCalls?.length);
  const calls = lastCall?.role === 'assistant' ? lastCall.toolCalls ?? [] : [];
  const input = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  const results = new Map(messages.filter((m) => m.role === 'tool').map((m) => [m.role === 'tool' ? m.toolCallId : '', m]));
  return calls
    .map((c) => {
      const r = results.get(c.id);
      if (!r || r.role !== 'tool') return `I did not get a result from ${c.name}.`;
      if (r.isError) return `I could not use ${c.name}: ${r.content.replace(/^Error:\s*/, '')}`;
      return describe(c, JSON.parse(r.content) as Record<string, unknown>, input);
    })
    .join(' ');
}

function describe(call: ToolCall, out: Record<string, unknown>, input: string): string {
  switch (call.name) {
    case 'calculator':
      return `${String(out.expression)} = ${String(out.result)}.`;
    case 'clock':
      return `It is ${String(out.localTime)} in ${String(out.timeZone)}.`;
    case 'text_stats': {
      const unit = findCount(input)?.unit ?? 'words';
      const n = unit === 'words' ? out.words : out.characters;
      return `There are ${String(n)} ${n === 1 ? unit.replace(/s$/, '') : unit} in "${String(call.arguments.text)}".`;
    }
    case 'remember':
      return `I'll remember that ${restate(String(out.remembered)).replace(/^./, (c) => c.toLowerCase())}`;
    case 'http_get':
      return `${String(out.url)} answered HTTP ${String(out.status)} with ${String(out.body).length} characters.`;
    default:
      return `${call.name} returned ${JSON.stringify(out)}.`;
  }
}

function rememberedFacts(messages: ChatMessage[]): string[] {
  return factsInPrompt(messages.find((m) => m.role === 'system')?.content ?? '');
}

function estimateTokens(messages: ChatMessage[]): number {
  const chars = messages.reduce((n, m) => n + (('content' in m && m.content) || '').length, 0);
  return Math.ceil(chars / 4);
}

/** Splits text into pieces of about `words` words, keeping the spaces so they join back exactly. */
export function chunks(text: string, words: number): string[] {
  const parts = text.match(/\S+\s*/g) ?? [text];
  const out: string[] = [];
  for (let i = 0; i < parts.length; i += words) out.push(parts.slice(i, i + words).join(''));
  const leading = /^\s*/.exec(text)?.[0] ?? '';
  if (leading && out.length > 0) out[0] = leading + out[0];
  return out;
}

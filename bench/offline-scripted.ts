/**
 * A benchmark-only extension of the offline model, so runs of a chosen plan width and a chosen
 * number of iterations exist. The product's offline model proposes one tool call per input and
 * always answers once it sees a result, so every offline run is one step and one iteration.
 *
 * Recognised inputs (anything else goes to the product's offline logic unchanged):
 * - `compute: 1+1; 2+2; 3+3` → one calculator call per expression in one reply: a plan of N
 *   parallel steps, then the usual answer from their results;
 * - `compute in turn: 1+1; 2+2; 3+3` → one calculator call per model turn, the next one after
 *   each result: N iterations of one step each.
 *
 * It is plugged in without product changes: the local stack passes NODE_OPTIONS on to its
 * children, and loading this file with `--require` in the executor patches
 * `OfflineProvider.prototype.complete` of the very module instance the executor then uses.
 */
import { OfflineProvider } from '../functions/executor/providers/offline';
import type { ChatMessage, ModelReply, ModelRequest, ToolCall } from '../shared/model/types';

const PATTERN = /^\s*compute( in turn)?:\s*(.+?)\s*$/is;

/** The scripted reply to `messages`, or undefined when the product's logic should answer. */
export function scriptedToolCalls(messages: readonly ChatMessage[]): ToolCall[] | undefined {
  const input = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  const match = PATTERN.exec(input);
  if (!match) return undefined;

  const expressions = match[2].split(';').map((e) => e.trim()).filter(Boolean);
  const results = messages.filter((m) => m.role === 'tool').length;
  const call = (i: number): ToolCall => ({
    id: `call_${i + 1}`,
    name: 'calculator',
    arguments: { expression: expressions[i] },
  });
  if (match[1]) {
    // In turn: the k-th result asks for expression k+1, until all have been computed.
    return results < expressions.length ? [call(results)] : undefined;
  }
  return results === 0 ? expressions.map((_e, i) => call(i)) : undefined;
}

let isInstalled = false;

/** Patches the offline provider (once per process) to answer the scripted inputs above. */
export function installScriptedOffline(): void {
  if (isInstalled) return;
  isInstalled = true;

  const original = OfflineProvider.prototype.complete;
  OfflineProvider.prototype.complete = async function scripted(
    this: OfflineProvider,
    request: ModelRequest,
  ): Promise<ModelReply> {
    const hasCalculator = request.tools.some((t) => t.name === 'calculator');
    const toolCalls = hasCalculator ? scriptedToolCalls(request.messages) : undefined;
    if (!toolCalls) return original.call(this, request);

    // Tokens estimated as the product's offline model does: four characters a token.
    const chars = request.messages.reduce((n, m) => n + (('content' in m && m.content) || '').length, 0);
    const outputTokens = Math.ceil(JSON.stringify(toolCalls).length / 4);
    return {
      provider: this.name,
      model: request.model,
      toolCalls,
      finishReason: 'tool_calls',
      usage: { inputTokens: Math.ceil(chars / 4), outputTokens },
    };
  };
}

// Loaded with --require into every function of the stack; only the executor holds the model.
if (process.argv.includes('--target=executor')) installScriptedOffline();

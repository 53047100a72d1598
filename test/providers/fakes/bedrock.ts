/**
 * Replies in the Bedrock Converse wire format (REST JSON over HTTP/1.1), and a check of the
 * conversation rules Bedrock enforces, so the fake refuses what Bedrock would refuse.
 */
import type { FakeReply, RecordedRequest } from './server';

/** A Converse response with text and/or toolUse blocks. */
export function converseReply(opts: {
  text?: string;
  toolUses?: { toolUseId: string; name: string; input: unknown }[];
  usage?: [number, number];
}): FakeReply {
  const [input, output] = opts.usage ?? [13, 5];
  const content = [...(opts.text ? [{ text: opts.text }] : []), ...(opts.toolUses ?? []).map((toolUse) => ({ toolUse }))];
  return {
    body: {
      output: { message: { role: 'assistant', content } },
      stopReason: opts.toolUses?.length ? 'tool_use' : 'end_turn',
      usage: { inputTokens: input, outputTokens: output, totalTokens: input + output },
      metrics: { latencyMs: 5 },
    },
  };
}

/** A Bedrock error: the type travels in `x-amzn-errortype`, the message in the body. */
export function bedrockError(status: number, name: string, message: string, headers: Record<string, string> = {}): FakeReply {
  const type = `${name}:http://internal.amazon.com/coral/com.amazon.bedrock/`;
  return { status, headers: { 'x-amzn-errortype': type, ...headers }, body: { message } };
}

/** The model id of a `POST /model/{modelId}/converse` request. */
export function modelIdOf(req: RecordedRequest): string {
  const match = /^\/model\/([^/]+)\/converse/.exec(req.path);
  return match ? decodeURIComponent(match[1]) : '';
}

type Block = { text?: string; toolUse?: { toolUseId: string }; toolResult?: { toolUseId: string; content: { text?: string }[] } };

/** Lists the ways a Converse request breaks Bedrock's rules; empty when it is valid. */
export function converseViolations(body: { messages?: { role: string; content: Block[] }[]; toolConfig?: unknown }): string[] {
  const problems: string[] = [];
  const messages = body.messages ?? [];
  if (messages[0]?.role !== 'user') problems.push('the first message must be a user message');
  messages.forEach((m, i) => {
    if (i > 0 && messages[i - 1].role === m.role) problems.push(`messages ${i - 1} and ${i} have the same role`);
    if (m.content.length === 0) problems.push(`message ${i} has no content`);
    for (const b of m.content) {
      if (b.text !== undefined && b.text.trim() === '') problems.push(`message ${i} has a blank text block`);
      if ((b.toolUse || b.toolResult) && !body.toolConfig) problems.push('tool blocks without toolConfig');
      const isBlankResult = b.toolResult?.content.some((c) => c.text !== undefined && c.text.trim() === '');
      if (isBlankResult) problems.push(`message ${i} has a blank toolResult`);
    }
    const uses = m.content.filter((b) => b.toolUse).map((b) => b.toolUse?.toolUseId);
    const next = messages[i + 1];
    for (const id of uses) {
      const isAnswered = next?.content.some((b) => b.toolResult?.toolUseId === id);
      if (!isAnswered) problems.push(`toolUse ${String(id)} is not answered in the next turn`);
    }
    for (const b of m.content) {
      if (b.toolResult && !messages[i - 1]?.content.some((p) => p.toolUse?.toolUseId === b.toolResult?.toolUseId)) {
        problems.push(`toolResult ${b.toolResult.toolUseId} answers no toolUse of the previous turn`);
      }
    }
  });
  return problems;
}

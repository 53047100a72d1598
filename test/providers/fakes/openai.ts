/** Replies in the OpenAI chat-completions wire format, for the fake server. */
import type { FakeReply, RecordedRequest } from './server';

/** A tool call as the fake sends it; `arguments` is the raw string, so tests can break it. */
export interface FakeToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** A tool call in chat-completions form, as sent and as the server should receive it back. */
export function wireToolCall(id: string, name: string, args: string) {
  return { id, type: 'function', function: { name, arguments: args } };
}

/** A `chat.completion` with text or tool calls. */
export function chatReply(opts: {
  text?: string;
  toolCalls?: FakeToolCall[];
  model?: string;
  usage?: [number, number];
}): FakeReply {
  const [prompt, completion] = opts.usage ?? [11, 7];
  return {
    body: {
      id: 'chatcmpl-test',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: opts.model ?? 'gpt-test',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: opts.text ?? null,
            ...(opts.toolCalls ? { tool_calls: opts.toolCalls.map((c) => wireToolCall(c.id, c.name, c.arguments)) } : {}),
          },
          finish_reason: opts.toolCalls ? 'tool_calls' : 'stop',
        },
      ],
      usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
    },
  };
}

/** An OpenAI error body with `status`. */
export function openaiError(status: number, message: string, headers: Record<string, string> = {}): FakeReply {
  const type = status === 429 ? 'rate_limit_exceeded' : 'server_error';
  return { status, headers, body: { error: { message, type, code: null } } };
}

/** The model a request asked for. */
export function modelOf(req: RecordedRequest): string {
  return String(req.body?.model);
}

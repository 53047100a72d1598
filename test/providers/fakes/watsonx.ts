/**
 * Replies in the watsonx.ai text-chat wire format (`POST /ml/v1/text/chat`) and the IBM Cloud
 * IAM token exchange (`POST /identity/token`, answering with a JWT that carries `exp`).
 */
import type { FakeReply } from './server';
import { wireToolCall, type FakeToolCall } from './openai';

/** An unsigned JWT with `iat` and `exp`, which is all the IBM SDK core reads. */
export function fakeJwt(ttlSeconds = 3_600, subject = 'ServiceId-test'): string {
  const now = Math.floor(Date.now() / 1_000);
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ sub: subject, iat: now, exp: now + ttlSeconds })}.c2lnbmF0dXJl`;
}

/** The IAM token endpoint's success answer. */
export function iamTokenReply(token = fakeJwt()): FakeReply {
  const now = Math.floor(Date.now() / 1_000);
  return {
    body: {
      access_token: token,
      refresh_token: 'not-supported',
      token_type: 'Bearer',
      expires_in: 3_600,
      expiration: now + 3_600,
      scope: 'ibm openid',
    },
  };
}

/** A text-chat response with text or tool calls. */
export function textChatReply(opts: {
  text?: string;
  toolCalls?: FakeToolCall[];
  model?: string;
  usage?: [number, number];
}): FakeReply {
  const [prompt, completion] = opts.usage ?? [17, 9];
  return {
    body: {
      id: 'chatcmpl-wx',
      model_id: opts.model ?? 'ibm/granite-test',
      created: 1_700_000_000,
      created_at: '2024-01-01T00:00:00.000Z',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            ...(opts.text ? { content: opts.text } : {}),
            ...(opts.toolCalls ? { tool_calls: opts.toolCalls.map((c) => wireToolCall(c.id, c.name, c.arguments)) } : {}),
          },
          finish_reason: opts.toolCalls ? 'tool_calls' : 'stop',
        },
      ],
      usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
    },
  };
}

/** A watsonx error body. */
export function watsonxError(status: number, message: string, headers: Record<string, string> = {}): FakeReply {
  return { status, headers, body: { errors: [{ code: 'test_error', message }], trace: 'trace-1', status_code: status } };
}

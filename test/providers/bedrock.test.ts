/**
 * The bedrock provider with the real `@aws-sdk/client-bedrock-runtime` (through its
 * NodeHttpHandler, HTTP/1.1) against a local Converse server that enforces Bedrock's
 * conversation rules, driven through the executor's model handler.
 */
import type { ChatMessage } from '../../shared/model/types';
import { BUILTIN_TOOLS } from '../../shared/tools/catalogue';
import { bedrockError, converseReply, converseViolations, modelIdOf } from './fakes/bedrock';
import { inOrder, startFakeServer, type FakeReply, type FakeServer, type Responder } from './fakes/server';
import { answered, makeAgent, makeHarness, opening } from './harness';

const MODEL = 'anthropic.claude-3-haiku-20240307-v1:0';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYTESTKEY';
const BEARER = 'bedrock-api-key-TESTTOKEN0123456789';
const SAVED = { ...process.env };

let fake: FakeServer;

beforeAll(() => {
  // Never look for instance metadata; the credentials are explicit.
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
});

afterAll(() => {
  process.env = SAVED;
});

beforeEach(async () => {
  fake = await startFakeServer();
});

afterEach(async () => {
  await fake.close();
});

/** Answers like Bedrock: a ValidationException for a conversation that breaks the rules. */
function strict(next: Responder): Responder {
  return (req) => {
    const problems = converseViolations(req.body);
    return problems.length > 0 ? bedrockError(400, 'ValidationException', problems.join('; ')) : next(req);
  };
}

function harness(opts: { fallbacks?: { provider: string; name: string }[]; env?: NodeJS.ProcessEnv } = {}) {
  return makeHarness({
    agent: makeAgent({ provider: 'bedrock', name: MODEL, options: { maxTokens: 256 }, fallbacks: opts.fallbacks }),
    env: opts.env ?? {
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: fake.url,
      AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      AWS_SECRET_ACCESS_KEY: SECRET,
    },
    local: [fake.hostPort],
  });
}

describe('bedrock provider', () => {
  it('runs a tool-calling loop to a final answer with toolConfig and paired toolResults', async () => {
    fake.respond(
      strict(
        inOrder(
          converseReply({
            toolUses: [{ toolUseId: 'tooluse_A1', name: 'calculator', input: { expression: '17 * 23' } }],
            usage: [100, 20],
          }),
          converseReply({ text: '17 * 23 = 391.', usage: [140, 8] }),
        ),
      ),
    );
    const h = harness();

    const first = await h.turn(opening());
    const calls = first.reply?.toolCalls ?? [];
    const second = await h.turn([...opening(), ...answered(calls, [{ result: 391 }])]);

    expect(calls).toEqual([{ id: 'tooluse_A1', name: 'calculator', arguments: { expression: '17 * 23' } }]);
    expect(first.reply).toMatchObject({
      provider: 'bedrock',
      model: MODEL,
      finishReason: 'tool_calls',
      usage: { inputTokens: 100, outputTokens: 20 },
    });
    expect(second.reply).toMatchObject({ text: '17 * 23 = 391.', finishReason: 'stop' });
    const [req1, req2] = fake.requests;
    expect(req1.path).toBe(`/model/${encodeURIComponent(MODEL)}/converse`);
    expect(String(req1.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\//);
    expect(req1.body.system).toEqual([{ text: 'Use the tools.' }]);
    expect(req1.body.inferenceConfig).toEqual({ maxTokens: 256 });
    const calculator = BUILTIN_TOOLS.find((t) => t.name === 'calculator');
    expect(req1.body.toolConfig.tools[0]).toEqual({
      toolSpec: { name: 'calculator', description: calculator?.description, inputSchema: { json: calculator?.inputSchema } },
    });
    expect(req2.body.messages).toEqual([
      { role: 'user', content: [{ text: 'What is 17 * 23?' }] },
      { role: 'assistant', content: [{ toolUse: { toolUseId: 'tooluse_A1', name: 'calculator', input: { expression: '17 * 23' } } }] },
      { role: 'user', content: [{ toolResult: { toolUseId: 'tooluse_A1', content: [{ text: '{"result":391}' }], status: 'success' } }] },
    ]);
  });

  it('keeps Bedrock\'s rules after a failed, a missing and an empty step', async () => {
    fake.respond(strict(inOrder(converseReply({ text: 'Done.' }))));
    const messages: ChatMessage[] = [
      ...opening(),
      { role: 'user', content: '  ' },
      {
        role: 'assistant',
        content: '',
        toolCalls: [
          { id: 'call.1:x', name: 'calculator', arguments: { expression: '1/0' } },
          { id: 'call_2', name: 'http_get', arguments: { url: 'https://x' } },
        ],
      },
      { role: 'tool', toolCallId: 'call.1:x', name: 'calculator', content: 'Error: division by zero', isError: true },
      { role: 'tool', toolCallId: 'call_gone', name: 'calculator', content: '' },
      { role: 'user', content: 'And now?' },
    ];

    const done = await harness().turn(messages);

    expect(done.error).toBeUndefined();
    expect(converseViolations(fake.requests[0].body)).toEqual([]);
    const results = fake.requests[0].body.messages[2].content;
    expect(results.slice(0, 2)).toEqual([
      { toolResult: { toolUseId: 'call_1_x', content: [{ text: 'Error: division by zero' }], status: 'error' } },
      { toolResult: { toolUseId: 'call_2', content: [{ text: expect.stringMatching(/^Error: no result/) }], status: 'error' } },
    ]);
  });

  it('waits as long as Retry-After says after a ThrottlingException, then succeeds', async () => {
    const throttled = bedrockError(429, 'ThrottlingException', 'Too many requests', { 'retry-after': '1' });
    fake.respond(inOrder(throttled, converseReply({ text: 'ok' })));

    const done = await harness().turn(opening());

    expect(done.reply?.text).toBe('ok');
    expect(fake.requests[1].at - fake.requests[0].at).toBeGreaterThanOrEqual(950);
  });

  it('retries 500s, then fails over to the next model and answers from it', async () => {
    const fallback = 'amazon.nova-lite-v1:0';
    fake.respond((req): FakeReply =>
      modelIdOf(req) === MODEL ? bedrockError(500, 'InternalServerException', 'boom') : converseReply({ text: 'from nova' }),
    );

    const done = await harness({ fallbacks: [{ provider: 'bedrock', name: fallback }] }).turn(opening());

    expect(done.reply).toMatchObject({ model: fallback, text: 'from nova' });
    expect(fake.requests.map(modelIdOf)).toEqual([MODEL, MODEL, MODEL, fallback]);
  });

  it('gives a toolUse whose input is not a JSON object one repair round, answering it with an error result', async () => {
    fake.respond(
      strict(
        inOrder(
          converseReply({ toolUses: [{ toolUseId: 'tu_bad', name: 'calculator', input: '{"expression": "17 *' }] }),
          converseReply({ toolUses: [{ toolUseId: 'tu_good', name: 'calculator', input: { expression: '17 * 23' } }] }),
        ),
      ),
    );

    const done = await harness().turn(opening());

    expect(done.reply?.toolCalls).toEqual([{ id: 'tu_good', name: 'calculator', arguments: { expression: '17 * 23' } }]);
    const repair = fake.requests[1].body.messages;
    expect(repair[1]).toEqual({ role: 'assistant', content: [{ toolUse: { toolUseId: 'tu_bad', name: 'calculator', input: {} } }] });
    expect(repair[2].content[0].toolResult).toMatchObject({ toolUseId: 'tu_bad', status: 'error' });
  });

  it('fails at once on refused credentials, naming provider and model, without the secret', async () => {
    const said = `The security token included in the request is invalid. ${SECRET}`;
    fake.respond(inOrder(bedrockError(403, 'UnrecognizedClientException', said)));
    const h = harness({ fallbacks: [{ provider: 'bedrock', name: 'other' }] });

    const done = await h.turn(opening());

    expect(done.error?.reason).toBe('model_auth');
    expect(done.error?.message).toContain(`bedrock model ${MODEL}`);
    expect(fake.requests).toHaveLength(1);
    expect(JSON.stringify(done)).not.toContain(SECRET);
    expect(h.logs()).not.toContain(SECRET);
  });

  it('sends AWS_BEARER_TOKEN_BEDROCK as a bearer token, as the SDK does', async () => {
    fake.respond(inOrder(converseReply({ text: 'ok' })));
    const env = { AWS_REGION: 'us-west-2', AWS_ENDPOINT_URL_BEDROCK_RUNTIME: fake.url, AWS_BEARER_TOKEN_BEDROCK: BEARER };

    const done = await harness({ env }).turn(opening());

    expect(done.reply?.text).toBe('ok');
    expect(fake.requests[0].headers.authorization).toBe(`Bearer ${BEARER}`);
  });
});

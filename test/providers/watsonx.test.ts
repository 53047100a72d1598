/**
 * The watsonx provider with the real `@ibm-cloud/watsonx-ai` SDK against a local text-chat
 * server and a local IBM IAM token endpoint, driven through the executor's model handler.
 */
import { BUILTIN_TOOLS } from '../../shared/tools/catalogue';
import { inOrder, startFakeServer, type FakeReply, type FakeServer, type RecordedRequest } from './fakes/server';
import { wireToolCall } from './fakes/openai';
import { fakeJwt, iamTokenReply, textChatReply, watsonxError } from './fakes/watsonx';
import { answered, makeAgent, makeHarness, opening } from './harness';

const MODEL = 'ibm/granite-3-8b-instruct';
const APIKEY = 'wx-apikey-TEST-0123456789abcdef';
const TOKEN = fakeJwt();

let service: FakeServer;
let iam: FakeServer;

beforeEach(async () => {
  service = await startFakeServer();
  iam = await startFakeServer(inOrder(iamTokenReply(TOKEN)));
});

afterEach(async () => {
  await service.close();
  await iam.close();
});

function harness(opts: { fallbacks?: { provider: string; name: string }[]; env?: NodeJS.ProcessEnv; local?: string[] } = {}) {
  return makeHarness({
    agent: makeAgent({ provider: 'watsonx', name: MODEL, options: { projectId: 'proj-1', temperature: 0.2 }, fallbacks: opts.fallbacks }),
    env: opts.env ?? { WATSONX_AI_URL: service.url, WATSONX_AI_APIKEY: APIKEY, WATSONX_AI_AUTH_URL: iam.url },
    local: opts.local ?? [service.hostPort, iam.hostPort],
  });
}

const modelOf = (req: RecordedRequest) => String(req.body?.model_id);

describe('watsonx provider', () => {
  it('exchanges the API key at IAM and runs a tool-calling loop to a final answer', async () => {
    service.respond(
      inOrder(
        textChatReply({
          toolCalls: [{ id: 'chatcmpl-tool-1', name: 'calculator', arguments: '{"expression":"17 * 23"}' }],
          usage: [70, 15],
        }),
        textChatReply({ text: '17 * 23 = 391.' }),
      ),
    );
    const h = harness();

    const first = await h.turn(opening());
    const calls = first.reply?.toolCalls ?? [];
    const second = await h.turn([...opening(), ...answered(calls, [{ result: 391 }])]);

    expect(first.reply).toMatchObject({ provider: 'watsonx', model: MODEL, usage: { inputTokens: 70, outputTokens: 15 } });
    expect(calls).toEqual([{ id: 'chatcmpl-tool-1', name: 'calculator', arguments: { expression: '17 * 23' } }]);
    expect(second.reply?.text).toBe('17 * 23 = 391.');
    expect(iam.requests).toHaveLength(1);
    expect(iam.requests[0].path).toBe('/identity/token');
    expect(new URLSearchParams(iam.requests[0].rawBody).get('grant_type')).toBe('urn:ibm:params:oauth:grant-type:apikey');
    const [req1, req2] = service.requests;
    expect(req1.path).toMatch(/^\/ml\/v1\/text\/chat\?version=\d{4}-\d{2}-\d{2}$/);
    expect(req1.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req1.body).toMatchObject({ model_id: MODEL, project_id: 'proj-1', temperature: 0.2, tool_choice_option: 'auto' });
    const calculator = BUILTIN_TOOLS.find((t) => t.name === 'calculator');
    expect(req1.body.tools[0]).toEqual({
      type: 'function',
      function: { name: 'calculator', description: calculator?.description, parameters: calculator?.inputSchema },
    });
    expect(req2.body.messages.slice(2)).toEqual([
      { role: 'assistant', tool_calls: [wireToolCall('chatcmpl-tool-1', 'calculator', '{"expression":"17 * 23"}')] },
      { role: 'tool', tool_call_id: 'chatcmpl-tool-1', content: '{"result":391}' },
    ]);
  });

  it('waits as long as Retry-After says after a 429, then succeeds', async () => {
    service.respond(inOrder(watsonxError(429, 'Too many requests', { 'retry-after': '1' }), textChatReply({ text: 'ok' })));

    const done = await harness().turn(opening());

    expect(done.reply?.text).toBe('ok');
    expect(service.requests[1].at - service.requests[0].at).toBeGreaterThanOrEqual(950);
  });

  it('retries 500s, then fails over to the next model and answers from it', async () => {
    const fallback = 'meta-llama/llama-3-3-70b-instruct';
    service.respond((req): FakeReply => (modelOf(req) === MODEL ? watsonxError(500, 'boom') : textChatReply({ text: 'from llama' })));

    const done = await harness({ fallbacks: [{ provider: 'watsonx', name: fallback }] }).turn(opening());

    expect(done.reply).toMatchObject({ model: fallback, text: 'from llama' });
    expect(service.requests.map(modelOf)).toEqual([MODEL, MODEL, MODEL, fallback]);
  });

  it('gives malformed tool arguments one repair round', async () => {
    service.respond(
      inOrder(
        textChatReply({ toolCalls: [{ id: 't1', name: 'calculator', arguments: 'expression=17*23' }] }),
        textChatReply({ toolCalls: [{ id: 't2', name: 'calculator', arguments: '{"expression":"17*23"}' }] }),
      ),
    );

    const done = await harness().turn(opening());

    expect(done.reply?.toolCalls).toEqual([{ id: 't2', name: 'calculator', arguments: { expression: '17*23' } }]);
    expect(service.requests[1].body.messages[3]).toMatchObject({
      role: 'tool',
      tool_call_id: 't1',
      content: expect.stringMatching(/not valid JSON/),
    });
  });

  it('fails at once when IAM refuses the API key, naming provider and model, without the key', async () => {
    const refusal = { errorCode: 'BXNIM0415E', errorMessage: `Provided API key could not be found: ${APIKEY}` };
    iam.respond(inOrder({ status: 400, body: refusal }));
    const h = harness({ fallbacks: [{ provider: 'watsonx', name: 'other' }] });

    const done = await h.turn(opening());

    expect(done.error?.reason).toBe('model_auth');
    expect(done.error?.message).toContain(`watsonx model ${MODEL}`);
    expect(done.error?.message).toContain('IAM');
    expect(service.requests).toHaveLength(0);
    expect(JSON.stringify(done)).not.toContain(APIKEY);
    expect(h.logs()).not.toContain(APIKEY);
  });

  it('sends WATSONX_AI_BEARER_TOKEN without calling IAM', async () => {
    service.respond(inOrder(textChatReply({ text: 'ok' })));
    const env = { WATSONX_AI_URL: service.url, WATSONX_AI_AUTH_TYPE: 'bearertoken', WATSONX_AI_BEARER_TOKEN: TOKEN };

    const done = await harness({ env, local: [service.hostPort] }).turn(opening());

    expect(done.reply?.text).toBe('ok');
    expect(service.requests[0].headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(iam.requests).toHaveLength(0);
  });

  it('refuses an IAM endpoint that is not allowed, naming its host, before any request', async () => {
    const done = await harness({ local: [service.hostPort] }).turn(opening());

    expect(done.error?.reason).toBe('egress_denied');
    expect(done.error?.message).toContain(iam.hostPort);
    expect(iam.requests).toHaveLength(0);
    expect(service.requests).toHaveLength(0);
  });
});

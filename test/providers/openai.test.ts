/**
 * The openai provider with the real `openai` SDK against a local chat-completions server,
 * driven through the executor's model handler.
 */
import { BUILTIN_TOOLS } from '../../shared/tools/catalogue';
import { chatReply, modelOf, openaiError, wireToolCall } from './fakes/openai';
import { inOrder, startFakeServer, type FakeServer } from './fakes/server';
import { answered, makeAgent, makeHarness, opening } from './harness';

const KEY = 'sk-test-0123456789abcdef';

let fake: FakeServer;

beforeEach(async () => {
  fake = await startFakeServer();
});

afterEach(async () => {
  await fake.close();
});

function harness(fallbacks: { provider: string; name: string }[] = []) {
  return makeHarness({
    agent: makeAgent({ provider: 'openai', name: 'gpt-primary', options: { temperature: 0 }, fallbacks }),
    env: { OPENAI_BASE_URL: `${fake.url}/v1`, OPENAI_API_KEY: KEY },
    local: [fake.hostPort],
  });
}

describe('openai provider', () => {
  it('runs a tool-calling loop to a final answer, pairing the result with its call', async () => {
    fake.respond(
      inOrder(
        chatReply({ toolCalls: [{ id: 'call_abc', name: 'calculator', arguments: '{"expression":"17 * 23"}' }], usage: [40, 12] }),
        chatReply({ text: '17 * 23 = 391.', usage: [60, 6] }),
      ),
    );
    const h = harness();

    const first = await h.turn(opening());
    const calls = first.reply?.toolCalls ?? [];
    const second = await h.turn([...opening(), ...answered(calls, [{ expression: '17 * 23', result: 391 }])]);

    expect(first.reply).toMatchObject({
      provider: 'openai',
      model: 'gpt-primary',
      finishReason: 'tool_calls',
      usage: { inputTokens: 40, outputTokens: 12 },
    });
    expect(calls).toEqual([{ id: 'call_abc', name: 'calculator', arguments: { expression: '17 * 23' } }]);
    expect(second.reply).toMatchObject({ text: '17 * 23 = 391.', toolCalls: [], finishReason: 'stop' });
    expect(second.reply?.latencyMs).toBeGreaterThanOrEqual(0);
    const [req1, req2] = fake.requests;
    expect(req1.path).toBe('/v1/chat/completions');
    expect(req1.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req1.body).toMatchObject({ model: 'gpt-primary', temperature: 0 });
    const calculator = BUILTIN_TOOLS.find((t) => t.name === 'calculator');
    expect(req1.body.tools).toContainEqual({
      type: 'function',
      function: { name: 'calculator', description: calculator?.description, parameters: calculator?.inputSchema },
    });
    expect(req1.body.tools.map((t: { function: { name: string } }) => t.function.name)).toEqual(['calculator', 'http_get']);
    expect(req2.body.messages.slice(2)).toEqual([
      { role: 'assistant', tool_calls: [wireToolCall('call_abc', 'calculator', '{"expression":"17 * 23"}')] },
      { role: 'tool', tool_call_id: 'call_abc', content: '{"expression":"17 * 23","result":391}' },
    ]);
  });

  it('waits as long as Retry-After says after a 429, then succeeds', async () => {
    fake.respond(inOrder(openaiError(429, 'Rate limit reached', { 'retry-after': '1' }), chatReply({ text: 'ok' })));

    const done = await harness().turn(opening());

    expect(done.reply?.text).toBe('ok');
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1].at - fake.requests[0].at).toBeGreaterThanOrEqual(950);
  });

  it('retries 500s, then fails over to the next model and answers from it', async () => {
    fake.respond((req) =>
      modelOf(req) === 'gpt-primary' ? openaiError(500, 'upstream exploded') : chatReply({ text: 'from the fallback' }),
    );

    const done = await harness([{ provider: 'openai', name: 'gpt-fallback' }]).turn(opening());

    expect(done.error).toBeUndefined();
    expect(done.reply).toMatchObject({ provider: 'openai', model: 'gpt-fallback', text: 'from the fallback' });
    expect(fake.requests.map(modelOf)).toEqual(['gpt-primary', 'gpt-primary', 'gpt-primary', 'gpt-fallback']);
  });

  it('gives malformed tool arguments one repair round and returns the repaired call', async () => {
    fake.respond(
      inOrder(
        chatReply({ toolCalls: [{ id: 'call_bad', name: 'calculator', arguments: '{"expression": "17 *' }], usage: [30, 5] }),
        chatReply({ toolCalls: [{ id: 'call_good', name: 'calculator', arguments: '{"expression":"17 * 23"}' }], usage: [50, 7] }),
      ),
    );

    const done = await harness().turn(opening());

    expect(done.reply?.toolCalls).toEqual([{ id: 'call_good', name: 'calculator', arguments: { expression: '17 * 23' } }]);
    expect(done.reply?.usage).toEqual({ inputTokens: 80, outputTokens: 12 });
    const repair = fake.requests[1].body.messages.slice(2);
    expect(repair[0]).toMatchObject({ role: 'assistant', tool_calls: [{ id: 'call_bad' }] });
    expect(repair[1]).toMatchObject({ role: 'tool', tool_call_id: 'call_bad' });
    expect(repair[1].content).toMatch(/^Error: the arguments are not valid JSON/);
  });

  it('fails the turn as model_behavior when the repair round is malformed too', async () => {
    fake.respond(inOrder(chatReply({ toolCalls: [{ id: 'c1', name: 'calculator', arguments: '[1, 2]' }] })));

    const done = await harness().turn(opening());

    expect(done.reply).toBeUndefined();
    expect(done.error?.reason).toBe('model_behavior');
    expect(done.error?.message).toContain('openai model gpt-primary');
    expect(fake.requests).toHaveLength(2);
  });

  it('fails at once on a refused key, naming provider and model, without retry, failover or the key', async () => {
    fake.respond(inOrder(openaiError(401, `Incorrect API key provided: ${KEY}.`)));
    const h = harness([{ provider: 'openai', name: 'gpt-fallback' }]);

    const done = await h.turn(opening());

    expect(done.error?.reason).toBe('model_auth');
    expect(done.error?.message).toContain('openai model gpt-primary');
    expect(done.error?.message).toContain('HTTP 401');
    expect(fake.requests).toHaveLength(1);
    expect(JSON.stringify(done)).not.toContain(KEY);
    expect(h.logs()).not.toContain(KEY);
  });

  it('reports a missing key for api.openai.com as a configuration error', async () => {
    const h = makeHarness({ agent: makeAgent({ provider: 'openai', name: 'gpt-4o-mini' }), env: {}, local: [], hosts: ['api.openai.com'] });

    const done = await h.turn(opening());

    expect(done.error).toMatchObject({ reason: 'model_config' });
    expect(done.error?.message).toContain('OPENAI_API_KEY');
  });
});

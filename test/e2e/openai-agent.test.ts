/**
 * Acceptance of the openai provider end to end: the real local stack with OPENAI_BASE_URL on a
 * local OpenAI-compatible server that answers with a tool call and then with text. The tool
 * runs in the executor, the final text is the run's output and usage is recorded; a failing
 * primary fails over; and http_get to an undeclared host ends with a reason naming the host.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import type { Stack } from '../../local/stack';
import { findTool } from '../../shared/tools/catalogue';
import { chatReply, modelOf, openaiError, wireToolCall } from '../providers/fakes/openai';
import { startFakeServer, type FakeReply, type FakeServer, type RecordedRequest } from '../providers/fakes/server';
import { api, parseSse, run, startTestStack, TENANT_A } from './helpers';

const MODEL = 'gpt-e2e';
const BROKEN = 'gpt-broken';

let fake: FakeServer;
let stack: Stack;
let agentsDir: string;

/** The scripted model: a tool call for a question, then an answer that quotes the tool result. */
function scriptedModel(req: RecordedRequest): FakeReply {
  if (modelOf(req) === BROKEN) return openaiError(500, 'The primary is down.');
  const messages = req.body.messages as { role: string; content?: string }[];
  const last = messages[messages.length - 1];
  if (last.role === 'tool') return chatReply({ model: MODEL, text: `The tool said: ${String(last.content)}`, usage: [120, 30] });
  const question = String(last.content);
  const call = question.includes('example.invalid')
    ? { id: 'call_fetch', name: 'http_get', arguments: JSON.stringify({ url: 'http://example.invalid/' }) }
    : { id: 'call_calc', name: 'calculator', arguments: JSON.stringify({ expression: '17 * 23' }) };
  return chatReply({ model: MODEL, toolCalls: [call], usage: [100, 20] });
}

/** Writes a copy of agents/demo.yaml as `id` with `model`. */
function writeAgent(id: string, model: Record<string, unknown>): void {
  const demo = parseYaml(fs.readFileSync(path.resolve(__dirname, '../../agents/demo.yaml'), 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(path.join(agentsDir, `${id}.yaml`), stringify({ ...demo, id, model }));
}

beforeAll(async () => {
  fake = await startFakeServer(scriptedModel);
  agentsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddo-agents-'));
  writeAgent('gpt-agent', { provider: 'openai', name: MODEL });
  writeAgent('gpt-failover', { provider: 'openai', name: BROKEN, fallbacks: [{ provider: 'openai', name: MODEL }] });
  ({ stack } = await startTestStack({
    OPENAI_BASE_URL: `${fake.url}/v1`,
    OPENAI_API_KEY: 'test-key',
    DDO_EGRESS_ALLOW_LOCAL: fake.hostPort,
    DDO_AGENTS_DIR: agentsDir,
    DDO_MODEL_RETRY_BASE_MS: '10',
  }));
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await fake?.close();
  fs.rmSync(agentsDir, { recursive: true, force: true });
});

beforeEach(() => {
  fake.requests.length = 0;
});

describe('an agent on the openai provider', () => {
  it('completes a run: the model sees the tool schemas, the tool runs in the executor, usage is recorded', async () => {
    const res = await run(stack, 'What is 17 * 23?', { agent: 'gpt-agent' });

    expect(res.body).toMatchObject({ status: 'completed', error: null, output: 'The tool said: {"expression":"17 * 23","result":391}' });
    expect(res.body.steps).toEqual([expect.objectContaining({ tool: 'calculator', status: 'succeeded' })]);
    const [plan, reflect] = fake.requests;
    expect(plan.headers.authorization).toBe('Bearer test-key');
    expect(plan.body.tools).toContainEqual({
      type: 'function',
      function: { name: 'calculator', description: findTool('calculator')?.description, parameters: findTool('calculator')?.inputSchema },
    });
    expect(reflect.body.messages.slice(-2)).toEqual([
      { role: 'assistant', tool_calls: [wireToolCall('call_calc', 'calculator', '{"expression":"17 * 23"}')] },
      { role: 'tool', tool_call_id: 'call_calc', content: '{"expression":"17 * 23","result":391}' },
    ]);
    expect(res.body.usage).toEqual({
      inputTokens: 220,
      outputTokens: 50,
      modelCalls: 2,
      byModel: [{ provider: 'openai', model: MODEL, inputTokens: 220, outputTokens: 50, calls: 2, latencyMs: expect.any(Number) }],
    });
  });

  it('completes on the fallback when the primary keeps answering 500', async () => {
    const res = await run(stack, 'What is 17 * 23?', { agent: 'gpt-failover' });

    expect(res.body).toMatchObject({ status: 'completed', output: expect.stringContaining('391') });
    expect(fake.requests.map(modelOf)).toEqual([BROKEN, BROKEN, BROKEN, MODEL, BROKEN, BROKEN, BROKEN, MODEL]);
    expect((res.body.usage as { byModel: unknown[] }).byModel).toEqual([expect.objectContaining({ model: MODEL, calls: 2 })]);
  });

  it('refuses http_get to a host not declared in istio/, and the run ends with that reason', async () => {
    const res = await run(stack, 'Fetch http://example.invalid/ for me.', { agent: 'gpt-agent' });

    expect(res.body.status).toBe('completed');
    expect(res.body.steps).toEqual([expect.objectContaining({ tool: 'http_get', status: 'failed' })]);
    expect(String(res.body.output)).toContain('Egress to example.invalid is not allowed');
    const events = parseSse((await api(stack, 'GET', `/v1/runs/${String(res.body.runId)}/events`, { who: TENANT_A })).text);
    const step = events.find((e) => e.data.type === 'step' && e.data.status === 'failed');
    expect(step?.data.error).toMatchObject({ reason: 'egress_denied', message: expect.stringContaining('example.invalid') });
  });
});

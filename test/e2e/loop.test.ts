/**
 * The agent loop end to end: the real local stack (every function its own process under the
 * functions-framework, the local broker routing by knative/triggers.yaml), driven over HTTP.
 */
import type { Stack } from '../../local/stack';
import { api, parseSse, run, startTestStack, TENANT_A, TENANT_B } from './helpers';

let stack: Stack;

beforeAll(async () => {
  ({ stack } = await startTestStack());
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

describe('the agent loop', () => {
  it('answers the README example with 395 through a calculator step', async () => {
    const res = await run(stack, 'What is (17 * 23) + 4?');

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'completed', agentId: 'demo', error: null });
    expect(String(res.body.output)).toContain('395');
    expect(res.body.steps).toEqual([expect.objectContaining({ tool: 'calculator', status: 'succeeded' })]);
    expect(res.headers.get('location')).toBe(`/v1/runs/${String(res.body.runId)}`);
  });

  it('streams think, plan, act and reflect in order, then the final status, and ends', async () => {
    const started = await run(stack, 'What is 6 * 7?');

    const res = await api(stack, 'GET', `/v1/runs/${String(started.body.runId)}/events`, { who: TENANT_A });
    const messages = parseSse(res.text);

    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const phases = messages.filter((m) => m.event === 'phase').map((m) => m.data.phase);
    expect(phases).toEqual(['think', 'plan', 'act', 'reflect']);
    const last = messages[messages.length - 1];
    expect(last.data).toMatchObject({ type: 'status', status: 'completed' });
    const ids = messages.map((m) => Number(m.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('resumes the stream after Last-Event-ID without repeating', async () => {
    const started = await run(stack, 'What is 2 + 2?');
    const url = `/v1/runs/${String(started.body.runId)}/events`;
    const all = parseSse((await api(stack, 'GET', url, { who: TENANT_A })).text);

    const rest = parseSse((await api(stack, 'GET', url, { who: TENANT_A, headers: { 'last-event-id': all[2].id } })).text);

    expect(rest.map((m) => m.id)).toEqual(all.slice(3).map((m) => m.id));
  });

  it('remembers a fact within a session and not in another session', async () => {
    const told = await run(stack, 'Remember that my favourite colour is teal.', { sessionId: 'colours-1' });

    const asked = await run(stack, 'What is my favourite colour?', { sessionId: 'colours-1' });
    const elsewhere = await run(stack, 'What is my favourite colour?', { sessionId: 'colours-2' });

    expect(told.body.status).toBe('completed');
    expect(String(asked.body.output).toLowerCase()).toContain('teal');
    expect(String(elsewhere.body.output).toLowerCase()).not.toContain('teal');
  });

  it('keeps one tenant\'s facts from another tenant with the same session id', async () => {
    await run(stack, 'Remember that my favourite fruit is mango.', { sessionId: 'shared-s', who: TENANT_A });

    const other = await run(stack, 'What is my favourite fruit?', { sessionId: 'shared-s', who: TENANT_B });

    expect(String(other.body.output).toLowerCase()).not.toContain('mango');
  });

  it('tells the time in Asia/Tokyo through the clock tool', async () => {
    const res = await run(stack, 'What time is it in Asia/Tokyo?');

    expect(res.body.status).toBe('completed');
    expect(res.body.steps).toEqual([expect.objectContaining({ tool: 'clock', status: 'succeeded' })]);
    expect(String(res.body.output)).toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+09:00 in Asia\/Tokyo/);
  });

  it('counts the words of quoted text through text_stats', async () => {
    const res = await run(stack, "How many words are in 'the quick brown fox'?");

    expect(res.body.steps).toEqual([expect.objectContaining({ tool: 'text_stats', status: 'succeeded' })]);
    expect(String(res.body.output)).toContain('4 words');
  });

  it('answers plainly when the offline model cannot help', async () => {
    const res = await run(stack, 'Write me a sonnet about Kubernetes.');

    expect(res.body.status).toBe('completed');
    expect(String(res.body.output)).toMatch(/offline model cannot/i);
  });
});

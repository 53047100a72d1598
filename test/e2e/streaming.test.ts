/**
 * Model output streams into the run's event stream: the offline model's answer arrives as delta
 * entries during its phase, each one a piece of the answer at its place. A run whose starter
 * waits for the whole answer streams no pieces: nobody would see them arrive.
 */
import type { Stack } from '../../local/stack';
import { api, parseSse, run, startTestStack, TENANT_A } from './helpers';

let stack: Stack;

beforeAll(async () => {
  ({ stack } = await startTestStack());
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

describe('streamed model output', () => {
  it('puts the answer into the event stream as delta pieces, in order, before the final status', async () => {
    const input = 'How many words are in "one two three four five six seven eight nine ten"?';
    const started = await api(stack, 'POST', '/v1/agents/demo/runs', { who: TENANT_A, json: { input } });
    expect(started.status).toBe(202);

    // The stream stays open until the run ends.
    const stream = await api(stack, 'GET', `/v1/runs/${String(started.body.runId)}/events`, { who: TENANT_A });
    const res = await api(stack, 'GET', `/v1/runs/${String(started.body.runId)}`, { who: TENANT_A });
    const messages = parseSse(stream.text);
    const deltas = messages.filter((m) => m.event === 'delta').map((m) => m.data);
    const ordered = [...deltas].sort((a, b) => Number(a.index) - Number(b.index));

    expect(res.body.status).toBe('completed');
    expect(deltas.length).toBeGreaterThan(0);
    expect(deltas.every((d) => d.phase === 'reflect' && d.iteration === 1)).toBe(true);
    // Every piece is the answer's text at its place; a piece that raced the answer may be missing.
    let from = 0;
    for (const d of ordered) {
      const at = String(res.body.output).indexOf(String(d.text), from);
      expect(at).toBeGreaterThanOrEqual(from);
      from = at + String(d.text).length;
    }
    const lastDelta = messages.lastIndexOf(messages.filter((m) => m.event === 'delta').pop()!);
    const reflect = messages.findIndex((m) => m.event === 'phase' && m.data.phase === 'reflect');
    expect(lastDelta).toBeGreaterThan(reflect);
    expect(messages[messages.length - 1].data).toMatchObject({ type: 'status', status: 'completed' });
  });

  it('streams no pieces of an answer its starter waits for', async () => {
    const res = await run(stack, 'How many words are in "one two three"?');
    const stream = await api(stack, 'GET', `/v1/runs/${String(res.body.runId)}/events`, { who: TENANT_A });
    const messages = parseSse(stream.text);

    expect(res.body).toMatchObject({ status: 'completed' });
    expect(String(res.body.output)).toContain('3');
    expect(messages.some((m) => m.event === 'phase' && m.data.phase === 'reflect')).toBe(true);
    expect(messages.filter((m) => m.event === 'delta')).toEqual([]);
  });
});

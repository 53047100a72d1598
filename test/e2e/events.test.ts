/**
 * Other systems in the mesh talk to DDO through the broker: a CloudEvent sent by hand to the
 * broker ingress starts a run, a duplicate of it changes nothing, and an event that can never
 * succeed ends in the dead-letter store with the reason.
 */
import { randomUUID } from 'node:crypto';
import type { Stack } from '../../local/stack';
import { api, startTestStack, TENANT_A } from './helpers';

let stack: Stack;

beforeAll(async () => {
  ({ stack } = await startTestStack());
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

function sendToBroker(type: string, id: string, data: unknown): Promise<Response> {
  return fetch(stack.urls.broker, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-type': type,
      'ce-source': '/test/another-system',
      'ce-id': id,
    },
    body: JSON.stringify(data),
  });
}

describe('the broker ingress', () => {
  it('starts a run from a hand-sent dev.ddo.run.requested, once even when sent twice', async () => {
    const runId = `run_${randomUUID().replace(/-/g, '')}`;
    const data = { tenant: TENANT_A.tenant, agentId: 'demo', runId, input: 'What is (17 * 23) + 4?' };

    const first = await sendToBroker('dev.ddo.run.requested', 'ext-1', data);
    const second = await sendToBroker('dev.ddo.run.requested', 'ext-1', data);
    // Delivery is asynchronous; once the broker is idle the orchestrator has stored the run.
    await stack.broker.whenIdle();
    const done = await api(stack, 'GET', `/v1/runs/${runId}?wait=30`, { who: TENANT_A });
    const listed = await api(stack, 'GET', '/v1/runs?limit=200', { who: TENANT_A });

    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(done.body).toMatchObject({ status: 'completed', runId });
    expect(String(done.body.output)).toContain('395');
    expect((listed.body.runs as { runId: string }[]).filter((r) => r.runId === runId)).toHaveLength(1);
  });

  it('dead-letters an event whose data fails its schema, with the field in the reason', async () => {
    const id = `bad-${randomUUID()}`;

    const res = await sendToBroker('dev.ddo.plan.created', id, { tenant: TENANT_A.tenant, runId: 'r1', agentId: 'demo' });
    await stack.broker.whenIdle();
    const letters = (await (await fetch(`${stack.urls.deadLetters}`)).json()) as { eventId: string; errorCode: number; errorData: string }[];

    expect(res.status).toBe(202);
    const letter = letters.find((l) => l.eventId === id);
    expect(letter).toBeDefined();
    expect(letter?.errorCode).toBe(400);
    expect(letter?.errorData).toContain('data/iteration');
  });

  it('refuses a request that is not a CloudEvent with a 400 naming the missing attribute', async () => {
    const res = await fetch(stack.urls.broker, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'ce-specversion': '1.0', 'ce-type': 'x', 'ce-source': '/s' },
      body: '{}',
    });
    const body = (await res.json()) as { detail: string };

    expect(res.status).toBe(400);
    expect(body.detail).toContain('ce-id');
  });
});

/**
 * A caller that sends dev.ddo.run.requested straight to the orchestrator (as the api-gateway
 * does) may ask, with the ddo-wait-ms header, to be answered once the run settles: one request
 * starts the run and returns it finished. A malformed header is refused before anything starts.
 */
import { randomUUID } from 'node:crypto';
import type { Stack } from '../../local/stack';
import { toBinaryMessage } from '../../shared/events/emit';
import { EventTypes } from '../../shared/events/catalogue';
import { send } from '../../shared/http/transport';
import { api, startTestStack, TENANT_A } from './helpers';

let stack: Stack;

beforeAll(async () => {
  ({ stack } = await startTestStack());
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

async function startRun(waitHeader: string | undefined) {
  const runId = `run_${randomUUID().replace(/-/g, '')}`;
  const data = { tenant: TENANT_A.tenant, agentId: 'demo', runId, input: 'What is (17 * 23) + 4?' };
  const message = toBinaryMessage('test', { type: EventTypes.runRequested, id: runId, data });
  const headers = waitHeader === undefined ? message.headers : { ...message.headers, 'ddo-wait-ms': waitHeader };
  const res = await send('POST', `${stack.urls.orchestrator}/`, { headers, body: message.body, timeoutMs: 30_000 });
  return { runId, status: res.status, body: JSON.parse(res.body.toString('utf8')) as Record<string, unknown> };
}

describe('starting a run and waiting for it in one request', () => {
  it('answers with the finished run when asked to wait, and with the started run when not', async () => {
    const waited = await startRun('20000');
    expect(waited.status).toBe(200);
    expect(waited.body).toMatchObject({ runId: waited.runId, status: 'completed' });
    expect(String(waited.body.output)).toContain('395');

    const started = await startRun(undefined);
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ runId: started.runId, status: 'running' });
  });

  it.each(['soon', '-1', '1.5', '600000'])('refuses ddo-wait-ms %s with a 400 naming the header, starting nothing', async (value) => {
    const refused = await startRun(value);
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('ddo-wait-ms');
    const lookup = await api(stack, 'GET', `/v1/runs/${refused.runId}`, { who: TENANT_A });
    expect(lookup.status).toBe(404);
  });
});

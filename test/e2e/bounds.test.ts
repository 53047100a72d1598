/**
 * Every run ends: a run that stalls is failed at its deadline even when nobody reads it, and a
 * client streaming it sees the final status. Run ids are scoped by tenant all the way through.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Stack } from '../../local/stack';
import { api, parseSse, startTestStack, TENANT_A, TENANT_B } from './helpers';

let stack: Stack;

beforeAll(async () => {
  const agentsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddo-agents-'));
  const demo = fs.readFileSync(path.join(__dirname, '../../agents/demo.yaml'), 'utf8');
  fs.writeFileSync(path.join(agentsDir, 'demo.yaml'), demo);
  fs.writeFileSync(path.join(agentsDir, 'brief.yaml'), demo.replace('id: demo', 'id: brief').replace(/timeoutSeconds: \d+/, 'timeoutSeconds: 2'));
  ({ stack } = await startTestStack({ DDO_AGENTS_DIR: agentsDir }));
}, 60_000);

afterAll(async () => {
  stack?.kill('planner', 'SIGCONT');
  await stack?.stop();
});

function sendRunRequested(tenant: string, runId: string, ceId: string, input: string) {
  return fetch(stack.urls.broker, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-type': 'dev.ddo.run.requested',
      'ce-source': '/test/bounds',
      'ce-id': ceId,
    },
    body: JSON.stringify({ tenant, agentId: 'demo', runId, input }),
  });
}

describe('run bounds and isolation', () => {
  it('runs two tenants\' runs that share a run id independently', async () => {
    await sendRunRequested(TENANT_A.tenant, 'same-run-id', 'bounds-a', 'What is 2 + 3?');
    await sendRunRequested(TENANT_B.tenant, 'same-run-id', 'bounds-b', 'What is 4 * 5?');
    await stack.broker.whenIdle();

    const a = await api(stack, 'GET', '/v1/runs/same-run-id?wait=30', { who: TENANT_A });
    const b = await api(stack, 'GET', '/v1/runs/same-run-id?wait=30', { who: TENANT_B });

    expect(a.body).toMatchObject({ status: 'completed' });
    expect(String(a.body.output)).toContain('5');
    expect(b.body).toMatchObject({ status: 'completed' });
    expect(String(b.body.output)).toContain('20');
  });

  it('fails a stalled run at its deadline without a reader and ends its event stream', async () => {
    expect(stack.kill('planner', 'SIGSTOP')).toBe(true);

    const started = await api(stack, 'POST', '/v1/agents/brief/runs', { who: TENANT_A, json: { input: 'What is 1 + 1?' } });
    const stream = await api(stack, 'GET', `/v1/runs/${String(started.body.runId)}/events`, { who: TENANT_A });
    stack.kill('planner', 'SIGCONT');
    const messages = parseSse(stream.text);

    expect(started.status).toBe(202);
    expect(messages[messages.length - 1].data).toMatchObject({ type: 'status', status: 'failed', error: { reason: 'timeout' } });
  });
});

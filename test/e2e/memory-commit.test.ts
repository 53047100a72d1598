/**
 * The memory service's run commit can carry the turn a finished run adds to its session: the
 * turn is appended only when the commit succeeds, and a malformed turn is refused with a 400
 * naming the field before anything is written.
 */
import type { Stack } from '../../local/stack';
import { send } from '../../shared/http/transport';
import { makeRun, turn } from '../memory/fixtures';
import { startTestStack } from './helpers';

let stack: Stack;

beforeAll(async () => {
  ({ stack } = await startTestStack());
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

async function call(method: string, path: string, body?: unknown) {
  const headers = body === undefined ? undefined : { 'content-type': 'application/json' };
  const res = await send(method, `${stack.urls.memory}${path}`, { headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: JSON.parse(res.body.toString('utf8') || 'null') as Record<string, unknown> };
}

const contextOf = async (sessionId: string) =>
  (await call('GET', `/v1/tenants/acme/agents/demo/sessions/${sessionId}/context?historyLimit=10`)).body.history;

describe('a run commit with a session turn', () => {
  it('appends the turn when the commit succeeds, and not when it conflicts', async () => {
    const history = { agentId: 'demo', sessionId: 'sess_commit', keep: 10, messages: turn('run_c', 1) };
    const first = await call('PUT', '/v1/tenants/acme/runs/run_c', { expectedVersion: 0, state: makeRun('run_c'), events: [], history });
    expect(first.status).toBe(200);
    expect(await contextOf('sess_commit')).toEqual(turn('run_c', 1));

    const stale = { expectedVersion: 0, state: makeRun('run_c'), events: [], history: { ...history, messages: turn('run_c', 2) } };
    expect((await call('PUT', '/v1/tenants/acme/runs/run_c', stale)).status).toBe(409);
    expect(await contextOf('sess_commit')).toEqual(turn('run_c', 1));
  });

  it('refuses a turn for a malformed session id with a 400 naming it, writing nothing', async () => {
    const history = { agentId: 'demo', sessionId: '../other', keep: 10, messages: turn('run_d', 1) };
    const res = await call('PUT', '/v1/tenants/acme/runs/run_d', { expectedVersion: 0, state: makeRun('run_d'), events: [], history });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('history/sessionId');
    expect((await call('GET', '/v1/tenants/acme/runs/run_d')).status).toBe(404);
  });
});

/**
 * Human approval on the real local stack, on the Redis backend (the shared Redis on
 * 127.0.0.1:6379, under a key prefix of this file that is deleted afterwards; the Redis itself
 * is never stopped or flushed). A demo-like agent whose policy holds `calculator` pauses on
 * "What is 2 + 2?"; approving runs the calculator exactly once, also when the approval is sent
 * twice; rejecting ends the run without it; an unanswered approval expires; and the pause
 * survives every function process restarting.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import type { FunctionName, Stack } from '../../local/stack';
import { deleteKeys, TEST_REDIS_URL } from '../memory/redis-server';
import { api, parseSse, run, startTestStack, TENANT_A, TENANT_B } from './helpers';

const PREFIX = `ddoappr-${randomBytes(4).toString('hex')}`;
const QUESTION = 'What is 2 + 2?';
const EXPIRY_SECONDS = 2;

let stack: Stack;
let tmp: string;

/** Writes an agent like demo that names `policy`. */
function writeAgent(dir: string, id: string, policy: string): void {
  const demo = parseYaml(fs.readFileSync(path.resolve(__dirname, '../../agents/demo.yaml'), 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(path.join(dir, `${id}.yaml`), stringify({ ...demo, id, policies: [policy] }));
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ddo-approval-'));
  const agents = path.join(tmp, 'agents');
  const policies = path.join(tmp, 'policies');
  fs.mkdirSync(agents);
  fs.mkdirSync(policies);
  writeAgent(agents, 'careful', 'hold-calc');
  writeAgent(agents, 'hasty', 'hold-calc-briefly');
  fs.writeFileSync(path.join(policies, 'hold-calc.yaml'), stringify({ id: 'hold-calc', version: 2, hold: ['calculator'] }));
  fs.writeFileSync(
    path.join(policies, 'hold-calc-briefly.yaml'),
    stringify({ id: 'hold-calc-briefly', version: 1, hold: ['calculator'], approvalTtlSeconds: EXPIRY_SECONDS }),
  );
  ({ stack } = await startTestStack({
    DDO_AGENTS_DIR: agents,
    DDO_POLICIES_DIR: policies,
    DDO_MEMORY_BACKEND: 'redis',
    REDIS_URL: TEST_REDIS_URL,
    DDO_MEMORY_KEY_PREFIX: PREFIX,
  }));
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await deleteKeys(PREFIX);
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Starts a run that pauses on the calculator, and returns its id once it is paused. */
async function pausedRun(agent = 'careful'): Promise<string> {
  const res = await run(stack, QUESTION, { agent });
  expect(res.status).toBe(202);
  expect(res.body.status).toBe('awaiting_approval');
  return String(res.body.runId);
}

const decide = (runId: string, decision: string, stepId = 's1', who = TENANT_A) =>
  api(stack, 'POST', `/v1/runs/${runId}/approvals/${stepId}`, { who, json: { decision } });

const finished = async (runId: string) => (await api(stack, 'GET', `/v1/runs/${runId}?wait=30`, { who: TENANT_A })).body;

async function entries(runId: string) {
  const events = await api(stack, 'GET', `/v1/runs/${runId}/events`, { who: TENANT_A });
  return parseSse(events.text).map((m) => m.data);
}

const ranSteps = (log: Record<string, unknown>[]) => log.filter((e) => e.type === 'step' && e.status === 'succeeded');

describe('a call held for approval', () => {
  it('pauses the run with the waiting call and its step listed', async () => {
    const runId = await pausedRun();

    const view = (await api(stack, 'GET', `/v1/runs/${runId}`, { who: TENANT_A })).body;

    // The event stream stays open while the run is paused, so it is read once the run ends.
    expect(view.status).toBe('awaiting_approval');
    expect(view.pendingApprovals).toEqual([
      expect.objectContaining({ stepId: 's1', tool: 'calculator', policyId: 'hold-calc', policyVersion: '2', args: { expression: '2 + 2' } }),
    ]);
    expect(view.steps).toEqual([expect.objectContaining({ id: 's1', status: 'awaiting_approval' })]);
  });

  it('runs the call exactly once when approved, even when the approval is sent twice', async () => {
    const runId = await pausedRun();

    const first = await decide(runId, 'approve');
    const second = await decide(runId, 'approve');
    const done = await finished(runId);
    const conflicting = await decide(runId, 'reject');
    const log = await entries(runId);

    expect(first.status).toBe(200);
    expect([200, 409]).toContain(second.status);
    expect(done.status).toBe('completed');
    expect(String(done.output)).toContain('4');
    expect(ranSteps(log)).toHaveLength(1);
    expect(log.filter((e) => e.type === 'approval').map((e) => e.state)).toEqual(['requested', 'approved']);
    expect(conflicting.status).toBe(409);
  });

  it('ends the run without calling the tool when rejected', async () => {
    const runId = await pausedRun();

    const rejected = await decide(runId, 'reject');
    const done = await finished(runId);
    const log = await entries(runId);

    expect(rejected.status).toBe(200);
    expect(['completed', 'failed']).toContain(done.status);
    expect(done.steps).toEqual([expect.objectContaining({ id: 's1', status: 'failed', error: expect.objectContaining({ reason: 'approval_rejected' }) })]);
    expect(ranSteps(log)).toHaveLength(0);
  });

  it('fails the run with approval_expired when nobody decides in time', async () => {
    const runId = await pausedRun('hasty');

    await new Promise((resolve) => setTimeout(resolve, (EXPIRY_SECONDS + 1) * 1_000));
    const view = (await api(stack, 'GET', `/v1/runs/${runId}`, { who: TENANT_A })).body;
    const late = await decide(runId, 'approve');

    expect(view.status).toBe('failed');
    expect(view.error).toEqual(expect.objectContaining({ reason: 'approval_expired' }));
    expect(late.status).toBe(409);
  });

  it('answers 400 naming a bad field, and 404 for an unknown step or another tenant\'s run', async () => {
    const runId = await pausedRun();

    const bad = await api(stack, 'POST', `/v1/runs/${runId}/approvals/s1`, { who: TENANT_A, json: { decision: 'maybe' } });
    const unknownStep = await decide(runId, 'approve', 's9');
    const otherTenant = await decide(runId, 'approve', 's1', TENANT_B);

    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('body/decision');
    expect(unknownStep.status).toBe(404);
    expect(otherTenant.status).toBe(404);
  });

  it('stays paused through a restart of every function, then completes once approved', async () => {
    const runId = await pausedRun();

    const names: FunctionName[] = ['memory', 'orchestrator', 'planner', 'executor', 'api-gateway'];
    for (const name of names) await stack.restart(name);
    const afterRestart = (await api(stack, 'GET', `/v1/runs/${runId}`, { who: TENANT_A })).body;
    const approved = await decide(runId, 'approve');
    const done = await finished(runId);
    const log = await entries(runId);

    expect(afterRestart.status).toBe('awaiting_approval');
    expect(approved.status).toBe(200);
    expect(done.status).toBe('completed');
    expect(String(done.output)).toContain('4');
    expect(ranSteps(log)).toHaveLength(1);
  }, 60_000);
});

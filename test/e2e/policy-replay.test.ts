/**
 * `npm run policy:replay` against a run recorded on the real local stack: the compiled script
 * reads the run through the API and reports what a stricter policy would have changed, and
 * nothing is called (the run's log is the same before and after).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import type { Stack } from '../../local/stack';
import { api, run, startTestStack, TENANT_A } from './helpers';

const SCRIPT = path.resolve(__dirname, '../../dist/scripts/policy-replay.js');
const exec = promisify(execFile);

let stack: Stack;
let tmp: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ddo-replay-'));
  ({ stack } = await startTestStack());
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Runs the compiled script as a person would, against this stack as tenant A. */
async function replay(runId: string, policy: Record<string, unknown>, ...extra: string[]) {
  const file = path.join(tmp, `${String(policy.id)}.yaml`);
  fs.writeFileSync(file, stringify(policy));
  const args = [SCRIPT, runId, '--policy', file, '--url', stack.urls['api-gateway'], '--key', TENANT_A.key, ...extra];
  return exec(process.execPath, args, { env: { ...process.env, DDO_API_KEY: '' } });
}

describe('policy:replay', () => {
  it('reports the deny, the model refusal and the budget stop a stricter policy would have caused', async () => {
    const recorded = await run(stack, 'What is 2 + 2?');
    const runId = String(recorded.body.runId);
    const logBefore = (await api(stack, 'GET', `/v1/runs/${runId}/events`, { who: TENANT_A })).text;
    const strict = { id: 'strict', version: 4, tools: { deny: ['calculator'] }, models: { deny: ['offline/*'] }, budgets: { tokens: 10 } };

    const { stdout } = await replay(runId, strict, '--json');
    const report = JSON.parse(stdout) as { policy: string; changes: { kind: string; where: string; detail: string }[] };
    const logAfter = (await api(stack, 'GET', `/v1/runs/${runId}/events`, { who: TENANT_A })).text;

    expect(recorded.body.status).toBe('completed');
    expect(report.policy).toBe('strict@4');
    expect(report.changes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'allow_to_deny', where: '1/s1', detail: expect.stringContaining('calculator') }),
        expect.objectContaining({ kind: 'model_denied', where: 'offline/offline-1' }),
        expect.objectContaining({ kind: 'budget_stop', where: 'tokens' }),
      ]),
    );
    expect(logAfter).toBe(logBefore);
  });

  it('says nothing would change under a policy the run already satisfied, in plain text', async () => {
    const recorded = await run(stack, 'What is 2 + 2?');

    const { stdout } = await replay(String(recorded.body.runId), { id: 'lenient', version: 1, hold: ['clock'] });

    expect(stdout).toContain('against policy lenient version 1');
    expect(stdout).toContain('nothing would change.');
  });

  it('exits 2 naming the usage when the policy is missing', async () => {
    const failure = await exec(process.execPath, [SCRIPT, 'run-x'], { env: process.env }).catch((err: { code: number; stderr: string }) => err);

    expect(failure).toMatchObject({ code: 2, stderr: expect.stringContaining('usage: npm run policy:replay') });
  });
});

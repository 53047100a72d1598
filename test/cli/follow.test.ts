/**
 * `ddo runs show --follow` on a run paused for approval, as a user runs it: the built CLI in a
 * child process against the real local stack, with a policy that holds every calculator call.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse as parseYaml, stringify } from 'yaml';
import type { Stack } from '../../local/stack';
import { api, run, startTestStack, TENANT_A } from '../e2e/helpers';
import { runCli } from './helpers';

let stack: Stack;
let tmp: string;
let env: Record<string, string>;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ddo-cli-follow-'));
  const agents = path.join(tmp, 'agents');
  const policies = path.join(tmp, 'policies');
  fs.mkdirSync(agents);
  fs.mkdirSync(policies);
  const demoFile = path.resolve(__dirname, '../../agents/demo.yaml');
  const demo = parseYaml(fs.readFileSync(demoFile, 'utf8')) as Record<string, unknown>;
  const careful = { ...demo, id: 'careful', policies: ['hold-calc'] };
  fs.writeFileSync(path.join(agents, 'careful.yaml'), stringify(careful));
  const holdCalc = { id: 'hold-calc', version: 1, hold: ['calculator'] };
  fs.writeFileSync(path.join(policies, 'hold-calc.yaml'), stringify(holdCalc));
  ({ stack } = await startTestStack({ DDO_AGENTS_DIR: agents, DDO_POLICIES_DIR: policies }));
  env = { DDO_URL: stack.urls['api-gateway'], DDO_API_KEY: TENANT_A.key };
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Starts a run that pauses on its calculator call, and returns its id once it is paused. */
async function pausedRun(): Promise<string> {
  const res = await run(stack, 'What is 2 + 2?', { agent: 'careful' });
  expect(res.body.status).toBe('awaiting_approval');
  return String(res.body.runId);
}

const approve = (runId: string) => {
  const body = { who: TENANT_A, json: { decision: 'approve' } };
  return api(stack, 'POST', `/v1/runs/${runId}/approvals/s1`, body);
};

describe('ddo runs show on a run awaiting approval', () => {
  it('shows the paused run once and exits 0 without --follow', async () => {
    const runId = await pausedRun();

    const res = await runCli(['runs', 'show', runId], env);

    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`${runId}  awaiting_approval`);
    expect(res.stdout).toContain('s1 calculator awaiting_approval');
  });

  it('streams the run with --follow through the approval until it ends, and exits 0', async () => {
    const runId = await pausedRun();
    let approval: ReturnType<typeof approve> | undefined;

    const res = await runCli(['runs', 'show', '--follow', runId], env, {
      onStdout: (soFar) => {
        if (!approval && /approval requested/.test(soFar)) approval = approve(runId);
      },
    });

    expect((await approval)?.status).toBe(200);
    expect(res.code).toBe(0);
    const lines = res.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^run ${runId} · agent careful · session \\S+$`));
    expect(lines).toContainEqual(expect.stringMatching(/^ {4}s1 calculator {2}approval requested/));
    expect(lines).toContainEqual('    s1 calculator  approval approved');
    expect(lines).toContainEqual(expect.stringMatching(/^ {4}s1 calculator {2}succeeded in \d+ ms/));
    expect(res.stdout).toMatch(/^completed in .* · 1 iteration · /m);
    expect(lines[lines.length - 2]).toContain('4');
    expect(res.stderr).toBe('');
  });

  it('waits with --follow --json through the approval and prints the final record', async () => {
    const runId = await pausedRun();

    const cli = runCli(['runs', 'show', '--follow', '--json', runId], env);
    // The JSON mode prints nothing until the end: give the CLI a moment to reach the paused
    // run, so a CLI that stops at the pause has exited before the approval is sent.
    const early = await Promise.race([cli.then(() => true), sleep(1_500).then(() => false)]);
    const approved = early ? undefined : await approve(runId);
    const res = await cli;

    expect(early).toBe(false);
    expect(approved?.status).toBe(200);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ runId, status: 'completed' });
  });
});

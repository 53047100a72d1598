/**
 * `ddo run`, `ddo runs` and `ddo runs show` as a user runs them: the built CLI in a child
 * process against the real local stack.
 */
import type { Stack } from '../../local/stack';
import { startTestStack, TENANT_A } from '../e2e/helpers';
import { agentsWithBroken, refusingModelServer, runCli } from './helpers';

let stack: Stack;
let model: Awaited<ReturnType<typeof refusingModelServer>>;
let env: Record<string, string>;

beforeAll(async () => {
  model = await refusingModelServer();
  ({ stack } = await startTestStack({ DDO_AGENTS_DIR: agentsWithBroken(model.url) }));
  env = { DDO_URL: stack.urls['api-gateway'], DDO_API_KEY: TENANT_A.key };
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await model?.close();
});

describe('ddo run', () => {
  it('shows each phase starting and ending with its duration, the step and the answer 395, and exits 0', async () => {
    const res = await runCli(['run', 'What is (17 * 23) + 4?'], env);

    expect(res.code).toBe(0);
    const lines = res.stdout.split('\n');
    for (const phase of ['think', 'plan', 'act', 'reflect']) {
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^  ${phase} +started`)));
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^  ${phase} +done in \\d+(\\.\\d+)? m?s$`)));
    }
    expect(lines).toContainEqual(expect.stringMatching(/^    s1 calculator {2}succeeded in \d+ ms$/));
    expect(res.stdout).toMatch(/^completed in .* · 1 iteration · \d+ tokens \(\d+ in, \d+ out\) · 2 model calls$/m);
    expect(lines[lines.length - 2]).toBe('(17 * 23) + 4 = 395.');
    expect(res.stdout).not.toMatch(/\u001b\[/);
    expect(res.stderr).toBe('');
  });

  it('prints only the final run record with --json', async () => {
    const res = await runCli(['run', '--json', 'What is 6 * 7?'], env);

    expect(res.code).toBe(0);
    const record = JSON.parse(res.stdout) as { status: string; output: string; steps: { args: unknown }[] };
    expect(record).toMatchObject({ status: 'completed', output: '6 * 7 = 42.' });
    expect(record.steps[0].args).toEqual({ expression: '6 * 7' });
  });

  it('exits 1 with the failure reason on stderr when the run fails', async () => {
    const res = await runCli(['run', '--agent', 'broken', 'What is 2 + 2?'], env);

    const runId = /^run (\S+) ·/m.exec(res.stdout)?.[1];
    const record = JSON.parse((await runCli(['runs', 'show', '--json', String(runId)], env)).stdout) as {
      status: string;
      error: { reason: string; message: string };
    };
    expect(res.code).toBe(1);
    expect(record.status).toBe('failed');
    expect(res.stderr).toBe(`error: run ${runId} failed: ${record.error.reason}: ${record.error.message}\n`);
    expect(res.stdout).toMatch(/^failed in /m);
  });

  it('stops watching on Ctrl-C, says the run goes on, and exits 130', async () => {
    // A paused executor holds the run in PLAN, so it is surely still running at the Ctrl-C.
    stack.kill('executor', 'SIGSTOP');
    let res;
    try {
      res = await runCli(['run', 'What is 3 * 3?'], env, {
        onStdout: (soFar, child) => {
          if (/plan +started/.test(soFar)) child.kill('SIGINT');
        },
      });
    } finally {
      stack.kill('executor', 'SIGCONT');
    }

    const runId = /^run (\S+) ·/m.exec(res.stdout)?.[1];
    expect(res.code).toBe(130);
    expect(res.stderr).toBe(`Stopped watching; run ${runId} goes on. See it with: ddo runs show ${runId}\n`);
    const after = await runCli(['runs', 'show', '--follow', '--json', String(runId)], env);
    expect(JSON.parse(after.stdout)).toMatchObject({ status: 'completed', output: '3 * 3 = 9.' });
  });

  it('exits 1 naming the problem when the agent does not exist', async () => {
    const res = await runCli(['run', '--agent', 'nobody', 'hi'], env);

    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/There is no agent "nobody"\. \(HTTP 404, not_found\)/);
  });
});

describe('ddo runs', () => {
  it('lists the recent runs and shows one with its step arguments, result and answer', async () => {
    const started = await runCli(['run', '--json', '--session', 'cli-s1', 'What is 12 * 12?'], env);
    const { runId } = JSON.parse(started.stdout) as { runId: string };

    const list = await runCli(['runs', '--limit', '5'], env);
    const shown = await runCli(['runs', 'show', runId], env);

    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^RUN +AGENT +STATUS +CREATED +TOOK$/);
    expect(list.stdout).toMatch(new RegExp(`^${runId} +demo +completed `, 'm'));
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`${runId}  completed`);
    expect(shown.stdout).toMatch(/session +cli-s1/);
    expect(shown.stdout).toContain('s1 calculator succeeded');
    expect(shown.stdout).toContain('{"expression":"12 * 12"} → {"expression":"12 * 12","result":144}');
    expect(shown.stdout).toMatch(/output\n {4}12 \* 12 = 144\.\n$/);
  });

  it('refuses a wrong key with exit 2 and says where the key came from', async () => {
    const res = await runCli(['runs'], { ...env, DDO_API_KEY: 'not-a-valid-key' });

    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/The key came from DDO_API_KEY/);
  });
});

/**
 * Durable memory end to end: the whole local stack on the Redis backend (the shared Redis on
 * 127.0.0.1:6379, under a key prefix of this run that is deleted afterwards). A fact told
 * before the stack stops is known after it starts again, two tenants with the same agent and
 * session ids never see each other's facts or runs, and a memory function started while its
 * store is unreachable stays up, answers 503 on /healthz and becomes ready on its own.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Stack } from '../../local/stack';
import { eventually } from '../memory/fixtures';
import { deleteKeys, freePort, startPrivateRedis, TEST_REDIS_URL, type PrivateRedis } from '../memory/redis-server';
import { api, run, startTestStack, TENANT_A, TENANT_B } from './helpers';

const PREFIX = `ddoe2e-${randomBytes(4).toString('hex')}`;
const REDIS_ENV = {
  DDO_MEMORY_BACKEND: 'redis',
  REDIS_URL: TEST_REDIS_URL,
  DDO_MEMORY_KEY_PREFIX: PREFIX,
};
const ROOT = path.resolve(__dirname, '../..');

afterAll(async () => {
  await deleteKeys(PREFIX);
});

describe('memory on the redis backend across stack restarts', () => {
  let stack: Stack | undefined;

  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  it('answers teal after a restart, to the tenant and session that told it only', async () => {
    ({ stack } = await startTestStack(REDIS_ENV));
    const [mine, theirs] = [{ sessionId: 'durable-1' }, { sessionId: 'durable-1', who: TENANT_B }];
    const told = await run(stack, 'Remember that my favourite colour is teal.', mine);
    const otherTold = await run(stack, 'Remember that my favourite colour is amber.', theirs);
    await stack.stop();

    ({ stack } = await startTestStack(REDIS_ENV));
    const asked = await run(stack, 'What is my favourite colour?', mine);
    const otherAsked = await run(stack, 'What is my favourite colour?', theirs);
    const elsewhere = await run(stack, 'What is my favourite colour?', { sessionId: 'durable-2' });

    expect([told.body.status, otherTold.body.status]).toEqual(['completed', 'completed']);
    expect(String(asked.body.output).toLowerCase()).toContain('teal');
    expect(String(asked.body.output).toLowerCase()).not.toContain('amber');
    expect(String(otherAsked.body.output).toLowerCase()).toContain('amber');
    expect(String(otherAsked.body.output).toLowerCase()).not.toContain('teal');
    expect(String(elsewhere.body.output).toLowerCase()).not.toContain('teal');
  });

  it('keeps runs to their tenant, across a restart', async () => {
    ({ stack } = await startTestStack(REDIS_ENV));
    const mine = await run(stack, 'What is 6 * 7?', { sessionId: 'shared-s' });
    const theirs = await run(stack, 'What is 6 * 7?', { sessionId: 'shared-s', who: TENANT_B });
    await stack.stop();

    ({ stack } = await startTestStack(REDIS_ENV));
    const mineAfter = await api(stack, 'GET', `/v1/runs/${String(mine.body.runId)}`, { who: TENANT_A });
    const crossRead = await api(stack, 'GET', `/v1/runs/${String(mine.body.runId)}`, { who: TENANT_B });
    const listA = await api(stack, 'GET', '/v1/runs?limit=200', { who: TENANT_A });
    const listB = await api(stack, 'GET', '/v1/runs?limit=200', { who: TENANT_B });

    expect(mineAfter.status).toBe(200);
    expect(mineAfter.body).toMatchObject({ runId: mine.body.runId, status: 'completed' });
    expect(crossRead.status).toBe(404);
    const idsA = (listA.body.runs as { runId: string }[]).map((r) => r.runId);
    const idsB = (listB.body.runs as { runId: string }[]).map((r) => r.runId);
    expect(idsA).toContain(mine.body.runId);
    expect(idsA).not.toContain(theirs.body.runId);
    expect(idsB).toContain(theirs.body.runId);
    expect(idsB).not.toContain(mine.body.runId);
  });
});

describe('the memory function started while its store is unreachable', () => {
  it('stays up answering 503 on /healthz, never logs the password, and gets ready on its own', async () => {
    const secret = `pw-${randomBytes(6).toString('hex')}`;
    const [redisPort, port] = [await freePort(), await freePort()];
    const output: string[] = [];
    const child = spawn(
      process.execPath,
      [
        '--require',
        path.join(ROOT, 'dist/shared/runtime/preload.js'),
        path.join(ROOT, 'node_modules/@google-cloud/functions-framework/build/src/main.js'),
        '--target=memory',
        `--source=${path.join(ROOT, 'dist/bundles/memory')}`,
        `--port=${port}`,
      ],
      {
        env: {
          ...process.env,
          DDO_BIND_HOST: '127.0.0.1',
          DDO_MEMORY_BACKEND: 'redis',
          REDIS_URL: `redis://:${secret}@127.0.0.1:${redisPort}`,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout.on('data', (c: Buffer) => output.push(c.toString()));
    child.stderr.on('data', (c: Buffer) => output.push(c.toString()));
    const healthz = () =>
      fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5_000) });
    let redis: PrivateRedis | undefined;

    try {
      const down = await eventually(healthz, 15_000);
      const downBody = (await down.json()) as Record<string, unknown>;
      await eventually(async () => expect(output.join('')).toContain('unreachable at start-up'));
      redis = await startPrivateRedis({ port: redisPort, password: secret });
      const up = await eventually(async () => {
        const res = await healthz();
        if (res.status !== 200) throw new Error(`still ${res.status}`);
        return res;
      }, 15_000);

      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toBe('1');
      expect(downBody).toMatchObject({ reason: 'unavailable' });
      expect(await up.json()).toEqual({ ok: true, backend: 'redis' });
      expect(child.exitCode).toBeNull();
      const logs = output.join('');
      expect(logs).toMatch(new RegExp(`"backend":"redis","target":"127.0.0.1:${redisPort}"`));
      expect(logs).not.toContain(secret);
    } finally {
      child.kill('SIGKILL');
      await redis?.dispose();
    }
  });
});

/**
 * `npm run load`: pushes many concurrent runs through the real local stack and reports how many
 * completed, failed and were lost (accepted but never finished), with p50 and p99 latency from
 * the request to the finished run. Not a test: numbers depend on the machine.
 *
 *   npm run load -- [--runs 1000] [--kill executor] [--timeout 300]
 *   DDO_MEMORY_BACKEND=redis REDIS_URL=redis://127.0.0.1:6379 npm run load -- --kill memory
 *
 * `--kill <function>` SIGKILLs that function about halfway through the traffic; the stack starts
 * it again. Killing `memory` loses everything on the embedded backend, so use redis.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pino from 'pino';
import { startStack, type FunctionName, type Stack } from '../local/stack';
import { percentile } from '../bench/stats';

const INPUTS = ['What is (17 * 23) + 4?', "How many words are in 'the quick brown fox'?", 'What is 12 * 12?'];
const KEY = 'load-key-0123456789';
const POLL_CONCURRENCY = 32;
const FUNCTION_NAMES: readonly string[] = ['api-gateway', 'orchestrator', 'planner', 'executor', 'memory'];

interface LoadOptions {
  runs: number;
  kill?: FunctionName;
  timeoutMs: number;
}

function parseArgs(argv: string[]): LoadOptions {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const runs = Number(value('--runs') ?? 1_000);
  const timeoutMs = Number(value('--timeout') ?? 300) * 1_000;
  const kill = value('--kill');
  if (!Number.isInteger(runs) || runs < 1 || runs > 20_000) throw new Error('--runs must be an integer in 1..20000.');
  if (!(timeoutMs > 0)) throw new Error('--timeout must be a positive number of seconds.');
  if (kill !== undefined && !FUNCTION_NAMES.includes(kill)) throw new Error(`--kill takes one of ${FUNCTION_NAMES.join(', ')}.`);
  return { runs, timeoutMs, kill: kill as FunctionName | undefined };
}

/** One HTTP call to the gateway, retried on network errors and 5xx (a function may be restarting). */
async function call(stack: Stack, method: string, url: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(`${stack.urls['api-gateway']}${url}`, {
        method,
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(60_000),
      });
      const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
      if (res.status < 500 && res.status !== 429) return { status: res.status, json };
      if (attempt >= 20) return { status: res.status, json };
    } catch (err) {
      if (attempt >= 20) throw err;
    }
    await sleep(Math.min(200 * 2 ** Math.min(attempt, 4), 3_000));
  }
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const prefix = `ddoload-${randomBytes(4).toString('hex')}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddo-load-'));
  // The demo agent with a wall-clock bound far above the queueing delay of this many runs, so
  // `failed` counts failures rather than runs that waited their turn past 60 seconds.
  const agentsDir = path.join(dataDir, 'agents');
  fs.mkdirSync(agentsDir);
  const demo = fs.readFileSync(path.join(__dirname, '../../agents/demo.yaml'), 'utf8');
  fs.writeFileSync(path.join(agentsDir, 'demo.yaml'), demo.replace(/timeoutSeconds: \d+/, 'timeoutSeconds: 3600'));
  const sink = new PassThrough().resume();
  const stack = await startStack({
    env: {
      ...process.env,
      DDO_LOG_LEVEL: 'error',
      DDO_API_KEYS: `load:${KEY}`,
      DDO_MAX_RUNS_IN_FLIGHT: String(opts.runs * 2),
      DDO_RATE_LIMIT_PER_MINUTE: String(opts.runs * 100),
      DDO_AGENTS_DIR: agentsDir,
      // Runs queued behind a thousand others are slow, not stalled; re-sending them adds load.
      DDO_STALL_SECONDS: process.env.DDO_STALL_SECONDS ?? '600',
      DDO_MEMORY_KEY_PREFIX: prefix,
    },
    settings: { apiPort: 0, orchestratorPort: 0, plannerPort: 0, executorPort: 0, memoryPort: 0, brokerPort: 0, dataDir },
    banner: false,
    logger: pino({ level: 'error' }, sink),
    stdout: sink,
    stderr: sink,
  });
  const backend = process.env.DDO_MEMORY_BACKEND ?? 'embedded';
  process.stdout.write(`load: ${opts.runs} runs, backend ${backend}${opts.kill ? `, killing ${opts.kill}` : ''}\n`);

  const latencies: number[] = [];
  let completed = 0;
  let failed = 0;
  let rejected = 0;
  let killedAt: number | undefined;
  const started = Date.now();
  const deadline = started + opts.timeoutMs;

  // Runs finish in a wave, so "midway" is judged by traffic: about nine events make one run.
  const killer = setInterval(() => {
    if (!opts.kill || killedAt !== undefined || stack.broker.counters().received < opts.runs * 4) return;
    killedAt = Date.now() - started;
    stack.kill(opts.kill, 'SIGKILL');
  }, 50);
  // Start every run at once; then read the pending ones a few at a time without long-polls, so
  // the watching does not itself become the load. Latency ends at the run's own completedAt.
  const startedAt = new Map<string, number>();
  await Promise.all(
    Array.from({ length: opts.runs }, async (_, n) => {
      const t0 = Date.now();
      const res = await call(stack, 'POST', '/v1/agents/demo/runs', { input: INPUTS[n % INPUTS.length] }).catch(() => undefined);
      const runId = res?.json.runId;
      if (res && (res.status === 202 || res.status === 200) && typeof runId === 'string') startedAt.set(runId, t0);
      else rejected += 1;
    }),
  );
  const pending = new Set(startedAt.keys());
  const reasons: Record<string, number> = {};
  while (pending.size > 0 && Date.now() < deadline) {
    const batch = [...pending];
    for (let i = 0; i < batch.length; i += POLL_CONCURRENCY) {
      await Promise.all(
        batch.slice(i, i + POLL_CONCURRENCY).map(async (runId) => {
          const got = await call(stack, 'GET', `/v1/runs/${runId}`).catch(() => undefined);
          const status = got?.status === 200 ? String(got.json.status) : 'running';
          if (status === 'running') return;
          pending.delete(runId);
          latencies.push(Date.parse(String(got?.json.completedAt)) - (startedAt.get(runId) ?? 0));
          if (status === 'completed') completed += 1;
          else {
            failed += 1;
            const reason = String((got?.json.error as { reason?: string } | null)?.reason);
            reasons[reason] = (reasons[reason] ?? 0) + 1;
          }
        }),
      );
    }
    await sleep(250);
  }
  clearInterval(killer);
  const lost = pending.size;
  const report = {
    runs: opts.runs,
    backend,
    killed: opts.kill ? `${opts.kill} at ${killedAt ?? '-'} ms` : 'none',
    completed,
    failed,
    failedBy: reasons,
    rejected,
    lost,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    wallMs: Date.now() - started,
    broker: stack.broker.counters(),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  await stack.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
  if (backend === 'redis') await deleteKeys(process.env.REDIS_URL ?? '', prefix);
  process.exitCode = lost === 0 && rejected === 0 ? 0 : 1;
}

/** Removes this load run's keys (its own prefix only) so a shared Redis is left as found. */
async function deleteKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`load: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});

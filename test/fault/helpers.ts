/**
 * The fault suite's harness: the real local stack on the Redis backend, backed by a private
 * redis-server this suite owns (so it may be stopped), plus helpers that start runs, wait for
 * them through restarts, and check that each run's record is whole.
 */
import { randomBytes } from 'node:crypto';
import type { Stack } from '../../local/stack';
import type { BrokerEvent } from '../../local/broker';
import { api, parseSse, startTestStack, TENANT_A } from '../e2e/helpers';
import { startPrivateRedis, type PrivateRedis } from '../memory/redis-server';

/** Inputs the offline model answers with one or more tool steps, and the answer each must give. */
export const INPUTS: readonly { input: string; expect: RegExp }[] = [
  { input: 'What is (17 * 23) + 4?', expect: /395/ },
  { input: 'seventeen times twenty three plus four', expect: /395/ },
  { input: "How many words are in 'the quick brown fox'?", expect: /4/ },
  { input: 'What is 12 * 12?', expect: /144/ },
  { input: 'What time is it in Asia/Tokyo?', expect: /Tokyo|\d{1,2}:\d{2}/ },
];

/** A stack on a private Redis, and how to take both down. */
export interface FaultStack {
  stack: Stack;
  redis: PrivateRedis;
  output: () => string;
  dispose(): Promise<void>;
}

/** Starts a private Redis and the stack on it, with a fast sweeper and limits out of the way. */
export async function startFaultStack(env: Record<string, string> = {}): Promise<FaultStack> {
  const redis = await startPrivateRedis();
  try {
    const { stack, output } = await startTestStack({
      DDO_MEMORY_BACKEND: 'redis',
      REDIS_URL: redis.url,
      DDO_MEMORY_KEY_PREFIX: `ddofault-${randomBytes(4).toString('hex')}`,
      DDO_STALL_SECONDS: '2',
      DDO_SWEEP_INTERVAL_MS: '500',
      DDO_MAX_RUNS_IN_FLIGHT: '1000',
      DDO_RATE_LIMIT_PER_MINUTE: '100000',
      ...env,
    });
    return {
      stack,
      redis,
      output,
      dispose: async () => {
        await stack.stop();
        await redis.dispose();
      },
    };
  } catch (err) {
    await redis.dispose();
    throw err;
  }
}

/** Starts one run per input without waiting for it; resolves with the run ids. */
export async function startRuns(stack: Stack, inputs: readonly string[], agent = 'demo'): Promise<string[]> {
  return Promise.all(
    inputs.map(async (input) => {
      const res = await api(stack, 'POST', `/v1/agents/${agent}/runs`, { who: TENANT_A, json: { input } });
      if (res.status !== 202 && res.status !== 200) throw new Error(`start failed: ${res.status} ${res.text}`);
      return String(res.body.runId);
    }),
  );
}

/**
 * Polls each run until it is finished or `timeoutMs` passes. While a function restarts the
 * gateway may answer 5xx; that is the outage under test, so it is waited out, not asserted.
 */
export async function waitForRuns(
  stack: Stack,
  runIds: readonly string[],
  timeoutMs = 60_000,
): Promise<Record<string, Record<string, unknown>>> {
  const deadline = Date.now() + timeoutMs;
  const done: Record<string, Record<string, unknown>> = {};
  while (Object.keys(done).length < runIds.length) {
    if (Date.now() > deadline) {
      const pending = runIds.filter((id) => !done[id]);
      throw new Error(`runs still unfinished after ${timeoutMs} ms: ${pending.join(', ')}`);
    }
    await Promise.all(
      runIds
        .filter((id) => !done[id])
        .map(async (id) => {
          const res = await api(stack, 'GET', `/v1/runs/${id}?wait=2`, { who: TENANT_A }).catch(() => undefined);
          if (res?.status === 200 && res.body.status !== 'running') done[id] = res.body;
        }),
    );
    if (Object.keys(done).length < runIds.length) await new Promise((r) => setTimeout(r, 100));
  }
  return done;
}

/** What is wrong with a finished run's event log, as sentences; empty when it is whole. */
export async function logProblems(stack: Stack, runId: string): Promise<string[]> {
  const res = await api(stack, 'GET', `/v1/runs/${runId}/events`, { who: TENANT_A });
  const entries = parseSse(res.text);
  const problems: string[] = [];
  entries.forEach((e, i) => {
    if (Number(e.id) !== i + 1) problems.push(`entry ${i + 1} has seq ${e.id}`);
  });
  const statuses = entries.filter((e) => e.event === 'status' && e.data.status !== 'running');
  if (statuses.length !== 1) problems.push(`${statuses.length} terminal status entries`);
  if (entries[entries.length - 1] !== statuses[0]) problems.push('the terminal status is not last');
  // Step entries name no iteration; the phase entries before them do.
  const ends = new Map<string, number>();
  let iteration = 0;
  for (const e of entries) {
    if (e.event === 'phase') iteration = Number(e.data.iteration);
    if (e.event !== 'step' || e.data.status === 'running') continue;
    const key = `${iteration}/${String(e.data.stepId)}`;
    ends.set(key, (ends.get(key) ?? 0) + 1);
  }
  ends.forEach((n, key) => {
    if (n !== 1) problems.push(`step ${key} ended ${n} times`);
  });
  return problems;
}

/** Records every event the broker's ingress accepts, by type. */
export function recordEvents(stack: Stack): { events: BrokerEvent[]; stop: () => void } {
  const events: BrokerEvent[] = [];
  const stop = stack.broker.onAccepted((e) => events.push(e));
  return { events, stop };
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Window budgets: per (tenant, agent) over fixed windows. The check adds the window's total to
 * the run's own use, and a finished run adds its use to the window's counter, so a second run
 * that would cross the window budget stops before its call.
 */
import { RunEngine, type Applied } from '../../functions/orchestrator/engine';
import type { MemoryClient } from '../../functions/orchestrator/memory-client';
import type { RunState } from '../../functions/orchestrator/run-state';
import { onPlanCreated, onStepCompleted, onReflection, startRun } from '../../functions/orchestrator/transitions';
import { readWindowUsage } from '../../functions/orchestrator/window-usage';
import { EmbeddedStore } from '../../functions/memory/store/embedded';
import type { Logger } from '../../shared/log';
import { budgetStop, estimateTokens, windowBucket, type RunBudget } from '../../shared/policy/budget';
import { budgetsOf } from '../../shared/policy/registry';
import { makePolicy } from './factories';
import { makePlan, makeReflection, makeResult, makeStart, makeStep, T0 } from '../unit/functions/orchestrator/transitions.factories';

const use = { usage: { inputTokens: 0, outputTokens: 0 }, toolCalls: 0, startedAtMs: T0 };
const messages = [{ role: 'user' as const, content: 'x'.repeat(400) }];
const hourly = (w: Partial<NonNullable<RunBudget['windows']>[number]>): RunBudget => ({
  policies: ['quota@1'],
  windows: [{ window: 3_600, policy: 'quota@1', ...w }],
});

describe('the window budget check', () => {
  const needed = estimateTokens(messages);

  it('counts the window total, the run so far and the next call against the window budget', () => {
    const budget = hourly({ tokens: 50_000 });
    const windowUsage = { '3600': { tokens: 50_000 - needed - 10, costUsd: 0, toolCalls: 0 } };

    expect(budgetStop(budget, { ...use, windowUsage }, { kind: 'model', messages }, T0)).toBeUndefined();
    const stop = budgetStop(budget, { ...use, usage: { inputTokens: 8, outputTokens: 3 }, windowUsage }, { kind: 'model', messages }, T0);

    expect(stop).toMatchObject({ budget: 'tokens', window: 3_600 });
    expect(stop?.message).toContain(`needs about ${needed} tokens but ${needed - 1} remain of the agent's 3600-second token budget of 50000 (quota@1;`);
  });

  it('refuses tool calls and cost that would cross the window budget', () => {
    const windowUsage = { '3600': { tokens: 0, costUsd: 0.9, toolCalls: 4 } };

    const tools = budgetStop(hourly({ toolCalls: 5 }), { ...use, toolCalls: 0, windowUsage }, { kind: 'tools', count: 2 }, T0);
    expect(tools?.message).toMatch(/^The plan needs 2 tool calls but 1 remain of the agent's 3600-second tool-call budget of 5/);

    const nextPrice = { inputPer1k: 1, outputPer1k: 1 };
    const cost = budgetStop(hourly({ costUsd: 1 }), { ...use, costUsd: 0.1, nextPrice, windowUsage }, { kind: 'model', messages }, T0);
    expect(cost).toMatchObject({ budget: 'costUsd', window: 3_600 });
    expect(cost?.message).toContain("of the agent's 3600-second cost budget of $1");
  });

  it('treats a window with no totals read as empty, and is read from policies per window', () => {
    expect(budgetStop(hourly({ tokens: needed + 1 }), use, { kind: 'model', messages }, T0)).toBeUndefined();
    const budget = budgetsOf([makePolicy({ id: 'quota', version: 1, windowBudgets: [{ window: 86_400, costUsd: 5 }] })]);
    expect(budget).toEqual({ policies: ['quota@1'], windows: [{ window: 86_400, costUsd: 5, policy: 'quota@1' }] });
  });

  it('buckets time into fixed windows', () => {
    expect(windowBucket(3_600, 7_199_999)).toBe(1);
    expect(windowBucket(3_600, 7_200_000)).toBe(2);
  });
});

/** A MemoryClient over an embedded store, as the memory service would answer. */
function storeClient(store: EmbeddedStore): MemoryClient {
  return {
    getRun: (t, r) => store.getRun(t, r) as Promise<{ state: RunState; version: number } | undefined>,
    commitRun: async (t, r, v, s, e, turn) => {
      const committed = await store.commitRun(t, r, v, s, e);
      if (turn) await store.appendHistory(t, turn.agentId, turn.sessionId, turn.messages, turn.keep);
      return committed;
    },
    readLog: (t, r, a, l) => store.readRunLog(t, r, a, l),
    listRuns: (t, l) => store.listRuns(t, l),
    listStalled: (b, l) => store.listStalled(b, l),
    context: async () => ({ history: [], facts: [] }),
    appendHistory: (t, a, s, m, k) => store.appendHistory(t, a, s, m, k),
    putFact: async () => undefined,
    addUsage: (t, a, at, u) => store.addUsage(t, a, at, u),
    readUsage: (t, a, at) => store.readUsage(t, a, at),
    health: async () => undefined,
  };
}

const stateOf = async (applied: Promise<Applied>) => (await applied).state;

describe('a window budget across runs', () => {
  it('stops a second run before its first call once the first used the window budget', async () => {
    let now = T0 + 60_000;
    const store = new EmbeddedStore({ runRetentionSeconds: 60 }, () => now);
    const memory = storeClient(store);
    const sent: unknown[] = [];
    const silent = { info() {}, debug() {}, warn() {}, error() {} } as unknown as Logger;
    const engine = new RunEngine(memory, { emit: async (e) => void sent.push(e) }, silent, () => now);
    const budget = hourly({ tokens: 2_000 });

    // The first run fits: it plans one step, runs it and answers, using 1500 tokens.
    const start1 = makeStart({ runId: 'run_a', budget, windowUsage: await readWindowUsage(memory, budget, 'acme', 'demo', now) });
    const first = await stateOf(engine.create(startRun(start1, now), 'evt-a'));
    now += 10;
    const planned = await stateOf(engine.apply('acme', 'run_a', 'evt-plan', (s, t) =>
      onPlanCreated(s, makePlan(s, [makeStep('s1')], { usage: { inputTokens: 1_000, outputTokens: 100 } }), t)));
    now += 10;
    const reflecting = await stateOf(engine.apply('acme', 'run_a', 'evt-step', (s, t) => onStepCompleted(s, makeResult(s, 's1'), t)));
    now += 10;
    const done = await stateOf(engine.apply('acme', 'run_a', 'evt-reflect', (s, t) =>
      onReflection(s, { ...makeReflection(s, { text: '395' }), reply: { ...makeReflection(s, { text: '395' }).reply!, usage: { inputTokens: 300, outputTokens: 100 } } }, t)));

    expect([first.status, planned.status, reflecting.phase, done.status]).toEqual(['running', 'running', 'reflect', 'completed']);
    const at = { window: 3_600, bucket: windowBucket(3_600, now) };
    expect(await store.readUsage('acme', 'demo', at)).toEqual({ tokens: 1_500, costUsd: 0, toolCalls: 1 });

    // The second run starts with 500 tokens left in the window: its planning prompt does not fit.
    now += 1_000;
    const windowUsage = await readWindowUsage(memory, budget, 'acme', 'demo', now);
    const second = await stateOf(engine.create(startRun(makeStart({ runId: 'run_b', budget, windowUsage, input: 'y'.repeat(2_400) }), now), 'evt-b'));

    expect(second).toMatchObject({ status: 'failed', error: { reason: 'budget_exceeded' } });
    expect(second.error?.message).toContain("remain of the agent's 3600-second token budget of 2000");
    expect(second.outbox.map((e) => e.type)).toEqual(['dev.ddo.run.failed', 'dev.ddo.policy.decided']);
    // Another agent, or the next window, starts afresh.
    expect(await readWindowUsage(memory, budget, 'acme', 'other', now)).toEqual({ '3600': { tokens: 0, costUsd: 0, toolCalls: 0 } });
    expect(await readWindowUsage(memory, budget, 'acme', 'demo', now + 3_600_000)).toEqual({ '3600': { tokens: 0, costUsd: 0, toolCalls: 0 } });
  });
});

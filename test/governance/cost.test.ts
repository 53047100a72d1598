/**
 * Estimated cost budgets from a price table: the run's cost comes from its tokens per model, a
 * model call whose estimate would cross `budgets.costUsd` is not asked for, and the planner and
 * REFLECT see what is left.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onPlanCreated, onStepCompleted, startRun } from '../../functions/orchestrator/transitions';
import { toView } from '../../functions/orchestrator/run-state';
import { budgetNote, budgetStop, estimateCostUsd, estimateTokens, priceOf, type RunBudget } from '../../shared/policy/budget';
import { budgetsOf, parsePolicyFile, pricesOf } from '../../shared/policy/registry';
import type { PriceTable } from '../../shared/policy/schema';
import type { PlanRequested } from '../../shared/events/catalogue';
import { applied, makePlan, makeResult, makeStart, makeStep, T0 } from '../unit/functions/orchestrator/transitions.factories';
import { makePolicy } from './factories';
import { replayRun } from '../../scripts/policy-replay-diff';

const prices: PriceTable = {
  'openai/gpt-4o-mini': { inputPer1k: 0.5, outputPer1k: 1 },
  'openai/gpt-4o*': { inputPer1k: 2, outputPer1k: 4 },
  'offline/*': { inputPer1k: 1, outputPer1k: 2 },
};
const budget = (b: Partial<RunBudget>): RunBudget => ({ policies: ['default@1'], ...b });
const modelCall = (provider: string, model: string, inputTokens: number, outputTokens: number) => ({
  usage: { inputTokens, outputTokens },
  modelCall: { provider, model, inputTokens, outputTokens, latencyMs: 5 },
});

describe('the price table', () => {
  it('prefers an exact entry, then the first pattern that matches', () => {
    expect(priceOf(prices, 'openai/gpt-4o-mini')).toEqual({ inputPer1k: 0.5, outputPer1k: 1 });
    expect(priceOf(prices, 'openai/gpt-4o-2024')).toEqual({ inputPer1k: 2, outputPer1k: 4 });
    expect(priceOf(prices, 'anthropic/claude')).toBeUndefined();
    expect(priceOf(undefined, 'openai/gpt-4o')).toBeUndefined();
  });

  it('adds up tokens times price per model; unpriced models count as free, no table means unknown', () => {
    const usage = {
      'openai/gpt-4o': { provider: 'openai', model: 'gpt-4o', inputTokens: 1_000, outputTokens: 500 },
      'offline/echo': { provider: 'offline', model: 'echo', inputTokens: 2_000, outputTokens: 0 },
      'other/x': { provider: 'other', model: 'x', inputTokens: 9_999, outputTokens: 9_999 },
    };

    expect(estimateCostUsd(prices, usage)).toBe(2 + 2 + 2);
    expect(estimateCostUsd(prices, {})).toBe(0);
    expect(estimateCostUsd(undefined, usage)).toBeUndefined();
  });

  it('is read from a policy file, merged across policies at the higher price, and the cost budget at the tightest', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddo-prices-'));
    try {
      const file = path.join(dir, 'p.yaml');
      fs.writeFileSync(file, "id: p\nversion: 1\nprices: {'openai/gpt-4o*': {inputPer1k: 2.5, outputPer1k: 10}}\nbudgets: {costUsd: 0.5}\n");
      expect(parsePolicyFile(file)).toMatchObject({ prices: { 'openai/gpt-4o*': { inputPer1k: 2.5, outputPer1k: 10 } }, budgets: { costUsd: 0.5 } });

      fs.writeFileSync(file, "id: p\nversion: 1\nprices: {'openai/gpt-4o': {inputPer1k: 2.5}}\n");
      expect(() => parsePolicyFile(file)).toThrow(/p\.yaml: field prices\/openai~1gpt-4o\/outputPer1k is required/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }

    const a = makePolicy({ id: 'a', prices: { 'x/*': { inputPer1k: 1, outputPer1k: 3 } }, budgets: { costUsd: 2 } });
    const b = makePolicy({ id: 'b', prices: { 'x/*': { inputPer1k: 2, outputPer1k: 1 } }, budgets: { costUsd: 1 } });
    expect(pricesOf([a, b])).toEqual({ 'x/*': { inputPer1k: 2, outputPer1k: 3 } });
    expect(pricesOf([makePolicy({ id: 'c' })])).toBeUndefined();
    expect(budgetsOf([a, b])).toMatchObject({ costUsd: 1 });
  });
});

describe('the cost budget check', () => {
  const messages = [{ role: 'user' as const, content: 'x'.repeat(4_000) }];
  const use = { usage: { inputTokens: 0, outputTokens: 0 }, toolCalls: 0, startedAtMs: T0 };

  it('refuses the call whose estimate would cross the budget, and allows the one that fits', () => {
    const nextPrice = { inputPer1k: 1, outputPer1k: 2 };
    const needed = estimateTokens(messages) / 1_000; // dollars at $1 per 1000 input tokens

    const fits = budgetStop(budget({ costUsd: 1 + needed + 0.001 }), { ...use, costUsd: 1, nextPrice }, { kind: 'model', messages }, T0);
    const crosses = budgetStop(budget({ costUsd: 1 + needed - 0.001 }), { ...use, costUsd: 1, nextPrice }, { kind: 'model', messages }, T0);

    expect(fits).toBeUndefined();
    expect(crosses).toEqual({ budget: 'costUsd', message: expect.stringMatching(/^The next model call would cost about \$[\d.]+ but \$[\d.]+ of the \$[\d.]+ cost budget remain \(the budget of default@1\)\.$/) });
  });

  it('stops once the cost so far already exceeds the budget, even with no price for the next call', () => {
    expect(budgetStop(budget({ costUsd: 1 }), { ...use, costUsd: 1.5 }, { kind: 'model', messages }, T0)?.budget).toBe('costUsd');
    expect(budgetStop(budget({ costUsd: 1 }), { ...use, costUsd: 0.5 }, { kind: 'model', messages }, T0)).toBeUndefined();
  });

  it('does not count cost against tool calls', () => {
    expect(budgetStop(budget({ costUsd: 1 }), { ...use, costUsd: 5 }, { kind: 'tools', count: 1 }, T0)).toBeUndefined();
  });

  it('names the cost left in the note', () => {
    expect(budgetNote(budget({ costUsd: 1, toolCalls: 2 }), { ...use, costUsd: 0.25 }, T0)).toBe(
      'Budget left for this run: about $0.75 of estimated cost, 2 tool calls. Finish early or choose a cheaper path if it runs short.',
    );
  });
});

describe('cost budgets in a run', () => {
  const start = (costUsd: number | undefined) =>
    startRun(makeStart({ ...(costUsd !== undefined ? { budget: budget({ costUsd }) } : {}), prices, modelChain: ['openai/gpt-4o', 'offline/echo'] }), T0);

  it('accumulates the estimated cost from the tokens of each model call and shows it in the run view', () => {
    const s = start(undefined);
    const planned = applied(onPlanCreated(s.state, makePlan(s.state, [makeStep('s1')], modelCall('openai', 'gpt-4o', 1_000, 500)), T0 + 10));

    expect(toView(planned.state).usage).toMatchObject({ inputTokens: 1_000, outputTokens: 500, costUsd: 4 });
    expect(toView(startRun(makeStart(), T0).state).usage).not.toHaveProperty('costUsd');
  });

  it('stops before REFLECT when the plan spent what the next call would need, naming the cost budget', () => {
    // The plan cost $4 (1000 in at $2, 500 out at $4); REFLECT is priced at gpt-4o's $2 per 1000 input tokens.
    const s = start(4.01);
    const planned = applied(onPlanCreated(s.state, makePlan(s.state, [makeStep('s1')], modelCall('openai', 'gpt-4o', 1_000, 500)), T0 + 10));

    const done = applied(onStepCompleted(planned.state, makeResult(planned.state, 's1'), T0 + 20));

    expect(planned.state.status).toBe('running');
    expect(estimateTokens(done.state.messages) * 0.002).toBeGreaterThan(0.01);
    expect(done.state).toMatchObject({ status: 'failed', phase: 'done', error: { reason: 'budget_exceeded' } });
    expect(done.state.error?.message).toMatch(/cost budget remain \(the budget of default@1\)/);
    expect(done.state.outbox.map((e) => e.type)).toEqual(['dev.ddo.run.failed', 'dev.ddo.policy.decided']);
    expect(done.log).toContainEqual(expect.objectContaining({ type: 'policy', outcome: 'budget_stop', budget: 'costUsd' }));
  });

  it('asks for REFLECT when the next call fits, with the cost left in the note', () => {
    const s = start(10);
    const planned = applied(onPlanCreated(s.state, makePlan(s.state, [makeStep('s1')], modelCall('openai', 'gpt-4o', 1_000, 500)), T0 + 10));

    const next = applied(onStepCompleted(planned.state, makeResult(planned.state, 's1'), T0 + 20));

    expect(next.state.status).toBe('running');
    expect(next.state.outbox).toHaveLength(1);
    expect(JSON.stringify(next.state.outbox[0].data)).toContain('Budget left for this run: about $6 of estimated cost.');
  });

  it('tells the planner the whole cost budget before the first call', () => {
    const t = start(0.5);

    expect((t.state.outbox[0].data as PlanRequested).messages[0].content).toContain('Budget left for this run: about $0.5 of estimated cost.');
  });
});

describe('the replay of a recorded run against a cost budget', () => {
  it('reports the stop the tried policy would have made, priced with its own table', () => {
    const s = startRun(makeStart(), T0);
    const planned = applied(onPlanCreated(s.state, makePlan(s.state, [], modelCall('openai', 'gpt-4o', 1_000, 500)), T0 + 10));
    const run = toView(planned.state);

    const tight = makePolicy({ id: 'cheap', prices: { 'openai/*': { inputPer1k: 2, outputPer1k: 4 } }, budgets: { costUsd: 1 } });
    const loose = makePolicy({ id: 'rich', prices: { 'openai/*': { inputPer1k: 2, outputPer1k: 4 } }, budgets: { costUsd: 10 } });

    expect(replayRun(run, [], [tight])).toContainEqual({ kind: 'budget_stop', where: 'costUsd', detail: 'cost about $4, budget $1 (cheap@3)' });
    expect(replayRun(run, [], [loose]).filter((c) => c.where === 'costUsd')).toEqual([]);
  });
});

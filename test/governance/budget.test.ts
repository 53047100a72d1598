/**
 * Budgets in the run state machine: a call that would cross a budget is not asked for, the run
 * fails with reason budget_exceeded, and the planner and REFLECT see what is left.
 */
import { onPlanCreated, onReflection, onStepCompleted, startRun } from '../../functions/orchestrator/transitions';
import { estimateTokens, type RunBudget } from '../../shared/policy/budget';
import type { PlanRequested } from '../../shared/events/catalogue';
import {
  applied,
  makePlan,
  makeReflection,
  makeResult,
  makeStart,
  makeStep,
  T0,
} from '../unit/functions/orchestrator/transitions.factories';

const budget = (b: Partial<RunBudget>): RunBudget => ({ policies: ['default@1'], ...b });

describe('run budgets', () => {
  it('stops before the first planning call when the prompt alone would cross the token budget', () => {
    const t = startRun(makeStart({ budget: budget({ tokens: 5 }) }), T0);

    expect(t.state).toMatchObject({ status: 'failed', error: { reason: 'budget_exceeded' } });
    expect(t.state.error?.message).toMatch(/about \d+ tokens but 5 of 5 remain \(the budget of default@1\)/);
    expect(t.state.outbox.map((e) => e.type)).toEqual(['dev.ddo.run.failed', 'dev.ddo.policy.decided']);
    expect(t.log).toContainEqual(expect.objectContaining({ type: 'policy', outcome: 'budget_stop', budget: 'tokens' }));
  });

  it('stops before REFLECT when the plan used the tokens the next call needs', () => {
    const start = startRun(makeStart({ budget: budget({ tokens: 200 }) }), T0);
    const planned = applied(onPlanCreated(start.state, makePlan(start.state, [makeStep('s1')], { usage: { inputTokens: 150, outputTokens: 20 } }), T0 + 10));

    const done = applied(onStepCompleted(planned.state, makeResult(planned.state, 's1'), T0 + 20));

    expect(planned.state.status).toBe('running');
    expect(done.state).toMatchObject({ status: 'failed', phase: 'done', error: { reason: 'budget_exceeded' } });
    expect(done.state.outbox.map((e) => e.type)).toEqual(['dev.ddo.run.failed', 'dev.ddo.policy.decided']);
  });

  it('refuses a plan with more tool calls than remain', () => {
    const start = startRun(makeStart({ budget: budget({ toolCalls: 1 }) }), T0);

    const t = applied(onPlanCreated(start.state, makePlan(start.state, [makeStep('s1'), makeStep('s2')]), T0 + 10));

    expect(t.state.error).toEqual({ reason: 'budget_exceeded', message: 'The plan needs 2 tool calls but 1 of 1 remain (the budget of default@1).' });
    expect(Object.keys(t.state.steps)).toHaveLength(0);
  });

  it('stops when the wall-clock budget is spent', () => {
    const start = startRun(makeStart({ budget: budget({ wallClockSeconds: 5 }) }), T0);
    const planned = applied(onPlanCreated(start.state, makePlan(start.state, [makeStep('s1')]), T0 + 10));

    const t = applied(onStepCompleted(planned.state, makeResult(planned.state, 's1'), T0 + 6_000));

    expect(t.state.error?.reason).toBe('budget_exceeded');
    expect(t.state.error?.message).toMatch(/5 seconds of wall-clock time/);
  });

  it('tells the planner what is left in the system message, without storing the note', () => {
    const t = startRun(makeStart({ budget: budget({ tokens: 10_000, toolCalls: 4, wallClockSeconds: 60 }) }), T0);

    const sent = (t.state.outbox[0].data as PlanRequested).messages[0];
    expect(sent).toEqual({ role: 'system', content: expect.stringContaining('Budget left for this run: about 10000 tokens, 4 tool calls, 60 seconds.') });
    expect(t.state.messages[0].content).toBe('Be brief.');
  });

  it('leaves runs without a budget unchanged', () => {
    const t = startRun(makeStart(), T0);

    expect(t.state.budget).toBeUndefined();
    expect((t.state.outbox[0].data as PlanRequested).messages).toEqual(t.state.messages);
  });

  it('estimates about four characters a token', () => {
    expect(estimateTokens([{ role: 'user', content: 'x'.repeat(400) }])).toBeGreaterThanOrEqual(100);
  });
});

describe('policy decisions in the run log', () => {
  const decision = { policyId: 'default', policyVersion: '1', stage: 'before' as const, outcome: 'deny' as const, rule: 'tools.deny', reason: 'the tool calculator is denied', inputSha256: 'a'.repeat(64) };

  it('appends one policy entry per decision a step reports, and REFLECT sees the denial', () => {
    const start = startRun(makeStart(), T0);
    const planned = applied(onPlanCreated(start.state, makePlan(start.state, [makeStep('s1')]), T0 + 10));
    const error = { reason: 'policy_denied', message: 'Policy default (version 1) denied the call of calculator: the tool calculator is denied. Try another way.' };

    const t = applied(onStepCompleted(planned.state, makeResult(planned.state, 's1', { ok: false, output: undefined, error, policy: [decision] }), T0 + 20));

    expect(t.log).toContainEqual(expect.objectContaining({ type: 'policy', stepId: 's1', tool: 'calculator', ...decision }));
    expect(t.state.messages.at(-1)).toMatchObject({ role: 'tool', content: `Error: ${error.message}`, isError: true });
  });

  it('appends the decisions a reflection reports', () => {
    const start = startRun(makeStart(), T0);
    const planned = applied(onPlanCreated(start.state, makePlan(start.state, [makeStep('s1')]), T0 + 10));
    const reflecting = applied(onStepCompleted(planned.state, makeResult(planned.state, 's1'), T0 + 20));
    const after = { ...decision, stage: 'after' as const, outcome: 'redact' as const, redactions: { email: 1 } };

    const t = applied(onReflection(reflecting.state, { ...makeReflection(reflecting.state, { text: 'done' }), policy: [after] }, T0 + 30));

    expect(t.log[0]).toMatchObject({ type: 'policy', purpose: 'reflect', outcome: 'redact', redactions: { email: 1 } });
  });
});

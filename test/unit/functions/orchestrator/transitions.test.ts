import { EventTypes, PURPOSE_ATTRIBUTE } from '../../../../shared/events/catalogue';
import type { RunLimits, RunState } from '../../../../functions/orchestrator/run-state';
import {
  onDeadline,
  onPlanCreated,
  onReflection,
  onStepCompleted,
  startRun,
} from '../../../../functions/orchestrator/transitions';
import {
  actWith,
  applied,
  makeLimits,
  makePlan,
  makeReflection,
  makeResult,
  makeStart,
  makeStep,
  phases,
  RUN,
  T0,
} from './transitions.factories';

describe('startRun', () => {
  it('moves to PLAN with one deterministic plan.requested event', () => {
    const input = makeStart();

    const first = startRun(input, T0);
    const again = startRun(input, T0);

    expect(first.state).toMatchObject({ status: 'running', phase: 'plan', iteration: 1, stepsUsed: 0 });
    expect(first.state.outbox).toHaveLength(1);
    expect(first.state.outbox[0]).toMatchObject({
      type: EventTypes.planRequested,
      id: `acme.${RUN}.plan.1`,
      data: { runId: RUN, iteration: 1, stepsLeft: 10 },
    });
    expect(again.state.outbox[0].id).toBe(first.state.outbox[0].id);
  });

  it('logs THINK before PLAN', () => {
    const t = startRun(makeStart(), T0);

    expect(phases(t)).toEqual(['think', 'plan']);
  });

  it('builds the conversation from instructions, facts, history and input, and sets the deadline', () => {
    const input = makeStart({
      facts: [{ id: 'f1', text: 'my favourite colour is teal', createdAt: '2024-12-31T00:00:00Z' }],
      history: [
        { role: 'user', content: 'hi', at: '2024-12-31T00:00:00Z' },
        { role: 'assistant', content: 'hello', at: '2024-12-31T00:00:01Z' },
      ],
    });

    const { state } = startRun(input, T0);

    expect(state.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(state.messages[0]).toMatchObject({ content: expect.stringContaining('my favourite colour is teal') });
    expect(state.messages[3]).toEqual({ role: 'user', content: input.input });
    expect(state.deadlineAt).toBe(new Date(T0 + 60_000).toISOString());
  });
});

describe('onPlanCreated', () => {
  it('completes at once with the answer of a plan without steps', () => {
    const { state } = startRun(makeStart({ input: 'hi' }), T0);

    const t = applied(onPlanCreated(state, makePlan(state, [], { plan: { steps: [], answer: 'Hello!' } }), T0 + 5));

    expect(t.state).toMatchObject({ status: 'completed', phase: 'done', output: 'Hello!' });
    expect(t.state.effects.history).toEqual([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'Hello!' },
    ]);
    expect(t.state.outbox.map((e) => [e.type, e.id])).toEqual([[EventTypes.runCompleted, `acme.${RUN}.completed`]]);
  });

  it('starts every step without dependencies and requests each one', () => {
    const state = actWith([makeStep('s1'), makeStep('s2'), makeStep('s3', ['s1'])]);

    expect(state.phase).toBe('act');
    expect(state.stepsUsed).toBe(3);
    expect(state.stepOrder.map((id) => state.steps[id].status)).toEqual(['running', 'running', 'pending']);
    expect(state.outbox.map((e) => [e.type, e.id])).toEqual([
      [EventTypes.stepRequested, `acme.${RUN}.step.1.s1`],
      [EventTypes.stepRequested, `acme.${RUN}.step.1.s2`],
    ]);
    expect(state.outbox[0].data).toMatchObject({ step: { id: 's1', toolCallId: 'call_s1' }, timeoutMs: 5_000 });
  });

  it('fails with max_steps when the plan needs more steps than the run has left', () => {
    const { state } = startRun(makeStart({ limits: makeLimits({ maxSteps: 2 }) }), T0);

    const plan = makePlan(state, [makeStep('s1'), makeStep('s2'), makeStep('s3')]);

    const t = applied(onPlanCreated(state, plan, T0));

    expect(t.state).toMatchObject({ status: 'failed', phase: 'done', error: { reason: 'max_steps' } });
    expect(t.state.outbox.map((e) => [e.type, e.id])).toEqual([[EventTypes.runFailed, `acme.${RUN}.failed`]]);
  });

  it('fails with the planner error when no plan came back', () => {
    const { state } = startRun(makeStart(), T0);
    const error = { reason: 'invalid_plan', message: 'No tool named weather.' };

    const t = applied(onPlanCreated(state, makePlan(state, [], { plan: undefined, error }), T0));

    expect(t.state).toMatchObject({ status: 'failed', error });
  });

  it('reflects at once when every step depends on a step missing from the plan', () => {
    const { state } = startRun(makeStart(), T0);

    const t = applied(onPlanCreated(state, makePlan(state, [makeStep('s1', ['ghost'])]), T0 + 10));

    expect(t.state.steps.s1).toMatchObject({ status: 'failed', error: { reason: 'dependency_failed' } });
    expect(t.state.phase).toBe('reflect');
    expect(t.state.outbox.map((e) => e.type)).toEqual([EventTypes.modelRequested]);
  });

  test.each([
    ['an older iteration', (s: RunState) => makePlan(s, [], { iteration: 0 })],
    ['a later iteration', (s: RunState) => makePlan(s, [], { iteration: 2 })],
  ])('ignores a plan for %s as stale', (_label, build) => {
    const { state } = startRun(makeStart(), T0);

    const outcome = onPlanCreated(state, build(state), T0);

    expect(outcome).toEqual({ stale: expect.any(String) });
  });
});

describe('onStepCompleted', () => {
  it('starts a dependent step only after its dependency succeeds', () => {
    const state = actWith([makeStep('s1'), makeStep('s2', ['s1'])]);

    const t = applied(onStepCompleted(state, makeResult(state, 's1'), T0 + 20));

    expect(t.state.phase).toBe('act');
    expect(t.state.steps.s2.status).toBe('running');
    expect(t.state.outbox.map((e) => e.id)).toEqual([`acme.${RUN}.step.1.s2`]);
  });

  it('fails the dependents of a failed step with dependency_failed and moves to REFLECT', () => {
    const state = actWith([makeStep('s1'), makeStep('s2', ['s1']), makeStep('s3', ['s2'])]);
    const error = { reason: 'tool_error', message: 'Division by zero.' };
    const failed = makeResult(state, 's1', { ok: false, output: undefined, error });

    const t = applied(onStepCompleted(state, failed, T0 + 20));

    expect(t.state.steps.s1).toMatchObject({ status: 'failed', error });
    expect(t.state.steps.s2).toMatchObject({ status: 'failed', error: { reason: 'dependency_failed' } });
    expect(t.state.steps.s3).toMatchObject({ status: 'failed', error: { reason: 'dependency_failed' } });
    expect(t.state.phase).toBe('reflect');
  });

  it('merges parallel results in any order and appends tool messages in plan order', () => {
    const state = actWith([makeStep('s1'), makeStep('s2')]);
    const error = { reason: 'tool_error', message: 'Division by zero.' };

    const mid = applied(onStepCompleted(state, makeResult(state, 's2', { output: { result: 4 } }), T0 + 20));
    const failed = makeResult(state, 's1', { ok: false, output: undefined, error });
    const end = applied(onStepCompleted(mid.state, failed, T0 + 30));

    expect(mid.state.phase).toBe('act');
    expect(mid.state.outbox).toEqual([]);
    expect(end.state.phase).toBe('reflect');
    expect(end.state.messages.slice(-2)).toEqual([
      { role: 'tool', toolCallId: 'call_s1', name: 'calculator', content: 'Error: Division by zero.', isError: true },
      { role: 'tool', toolCallId: 'call_s2', name: 'calculator', content: '{"result":4}' },
    ]);
  });

  it('requests one reflect model turn once every step is done', () => {
    const state = actWith([makeStep('s1')]);

    const t = applied(onStepCompleted(state, makeResult(state, 's1'), T0 + 20));

    expect(phases(t)).toEqual(['reflect']);
    expect(t.state.outbox).toHaveLength(1);
    expect(t.state.outbox[0]).toMatchObject({
      type: EventTypes.modelRequested,
      id: `acme.${RUN}.reflect.1`,
      extensions: { [PURPOSE_ATTRIBUTE]: 'reflect' },
      data: { purpose: 'reflect', iteration: 1, messages: t.state.messages },
    });
  });

  it('turns the output of a remember step into facts to write', () => {
    const state = actWith([makeStep('s1', [], 'remember')]);
    const result = makeResult(state, 's1', { remember: ['my favourite colour is teal'] });

    const t = applied(onStepCompleted(state, result, T0 + 20));

    expect(t.state.effects.facts).toEqual(['my favourite colour is teal']);
  });

  it('leaves the previous state untouched', () => {
    const state = actWith([makeStep('s1')]);
    const before = structuredClone(state);

    onStepCompleted(state, makeResult(state, 's1'), T0 + 20);

    expect(state).toEqual(before);
  });

  test.each([
    ['a step it already merged', (s: RunState) => applied(onStepCompleted(s, makeResult(s, 's1'), T0)).state, 's1'],
    ['a step not in the plan', (s: RunState) => s, 'nope'],
    ['a run still in PLAN', () => startRun(makeStart(), T0).state, 's1'],
  ])('treats the result of %s as stale', (_label, arrange, stepId) => {
    const state = arrange(actWith([makeStep('s1'), makeStep('s2')]));

    const outcome = onStepCompleted(state, makeResult(state, stepId), T0 + 40);

    expect(outcome).toEqual({ stale: expect.any(String) });
  });
});

describe('onReflection', () => {
  function reflecting(limits: Partial<RunLimits> = {}): RunState {
    const state = actWith([makeStep('s1')], limits);
    return applied(onStepCompleted(state, makeResult(state, 's1'), T0 + 20)).state;
  }

  it('completes the run with the reflection text', () => {
    const state = reflecting();

    const t = applied(onReflection(state, makeReflection(state, { text: '1 + 1 = 2.' }), T0 + 30));

    expect(t.state).toMatchObject({ status: 'completed', phase: 'done', output: '1 + 1 = 2.' });
    expect(t.state.outbox).toHaveLength(1);
    expect(t.state.outbox[0]).toMatchObject({ type: EventTypes.runCompleted, data: { status: 'completed', output: '1 + 1 = 2.' } });
  });

  it('plans a next iteration with the proposed tool calls', () => {
    const state = reflecting();
    const toolCalls = [{ id: 'call_9', name: 'clock', arguments: { timeZone: 'UTC' } }];

    const t = applied(onReflection(state, makeReflection(state, { toolCalls }), T0 + 30));

    expect(t.state).toMatchObject({ status: 'running', phase: 'plan', iteration: 2 });
    expect(phases(t)).toEqual(['think', 'plan']);
    expect(t.state.outbox).toHaveLength(1);
    expect(t.state.outbox[0]).toMatchObject({ type: EventTypes.planRequested, id: `acme.${RUN}.plan.2`, data: { proposal: toolCalls, stepsLeft: 9 } });
  });

  it('fails with max_iterations when the last iteration still wants tools', () => {
    const state = reflecting({ maxIterations: 1 });
    const again = makeReflection(state, { toolCalls: [{ id: 'c', name: 'clock', arguments: {} }] });

    const t = applied(onReflection(state, again, T0 + 30));

    expect(t.state).toMatchObject({ status: 'failed', error: { reason: 'max_iterations' } });
    expect(t.state.outbox.map((e) => e.type)).toEqual([EventTypes.runFailed]);
  });

  it('fails with max_steps when a later plan exceeds the steps used so far', () => {
    const first = reflecting({ maxSteps: 1 });
    const again = makeReflection(first, { toolCalls: [{ id: 'c', name: 'clock', arguments: {} }] });
    const next = applied(onReflection(first, again, T0 + 30)).state;

    const t = applied(onPlanCreated(next, makePlan(next, [makeStep('s1')]), T0 + 40));

    expect(t.state).toMatchObject({ status: 'failed', error: { reason: 'max_steps' } });
  });

  it('sums the usage of the plan and reflection turns into the finished event', () => {
    const { state: planning } = startRun(makeStart(), T0);
    const plan = makePlan(planning, [makeStep('s1')], { usage: { inputTokens: 10, outputTokens: 5 } });
    const acting = applied(onPlanCreated(planning, plan, T0)).state;
    const state = applied(onStepCompleted(acting, makeResult(acting, 's1'), T0)).state;
    const reflection = makeReflection(state, { text: 'done', usage: { inputTokens: 20, outputTokens: 7 } });

    const t = applied(onReflection(state, reflection, T0));

    expect(t.state.usage).toEqual({ inputTokens: 30, outputTokens: 12 });
    expect(t.state.modelCalls).toBe(2);
    expect(t.state.outbox[0].data).toMatchObject({ usage: { inputTokens: 30, outputTokens: 12 } });
  });

  it('fails with the executor error when the reflection turn failed', () => {
    const state = reflecting();
    const error = { reason: 'provider_error', message: 'The model provider is unavailable.' };

    const t = applied(onReflection(state, { ...makeReflection(state, {}), reply: undefined, error }, T0 + 30));

    expect(t.state).toMatchObject({ status: 'failed', error });
    expect(t.state.outbox[0]).toMatchObject({ type: EventTypes.runFailed, data: { status: 'failed', error } });
  });

  it('treats a reflection for a finished run as stale', () => {
    const state = reflecting();
    const done = applied(onReflection(state, makeReflection(state, { text: 'done' }), T0 + 30)).state;

    const outcome = onReflection(done, makeReflection(state, { text: 'again' }), T0 + 40);

    expect(outcome).toEqual({ stale: expect.any(String) });
  });
});

describe('onDeadline', () => {
  it('leaves a run alone before its deadline', () => {
    const { state } = startRun(makeStart(), T0);

    const outcome = onDeadline(state, T0 + 59_999);

    expect(outcome).toEqual({ stale: expect.any(String) });
  });

  it('fails a running run with timeout after its deadline', () => {
    const { state } = startRun(makeStart(), T0);

    const t = applied(onDeadline(state, T0 + 60_001));

    expect(t.state).toMatchObject({ status: 'failed', phase: 'done', error: { reason: 'timeout' } });
    expect(t.state.outbox.map((e) => e.type)).toEqual([EventTypes.runFailed]);
  });

  it('leaves a finished run alone', () => {
    const { state } = startRun(makeStart(), T0);
    const done = applied(onPlanCreated(state, makePlan(state, [], { plan: { steps: [], answer: 'ok' } }), T0)).state;

    const outcome = onDeadline(done, T0 + 120_000);

    expect(outcome).toEqual({ stale: expect.any(String) });
  });
});

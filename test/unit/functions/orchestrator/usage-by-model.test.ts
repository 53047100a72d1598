/** The run record's usage per provider and model, and its public view. */
import { toView } from '../../../../functions/orchestrator/run-state';
import { onPlanCreated, onReflection, onStepCompleted, startRun } from '../../../../functions/orchestrator/transitions';
import { applied, makePlan, makeReflection, makeResult, makeStart, makeStep, T0 } from './transitions.factories';

describe('usage by model', () => {
  it('sums tokens, calls and latency per provider/model across plan and reflect turns', () => {
    const { state: planning } = startRun(makeStart(), T0);
    const modelCall = { provider: 'openai', model: 'gpt-4o-mini', inputTokens: 10, outputTokens: 5, latencyMs: 120 };
    const plan = makePlan(planning, [makeStep('s1')], { usage: { inputTokens: 10, outputTokens: 5 }, modelCall });
    const acting = applied(onPlanCreated(planning, plan, T0)).state;
    const reflecting = applied(onStepCompleted(acting, makeResult(acting, 's1'), T0)).state;
    const reflection = makeReflection(reflecting, { text: 'done', usage: { inputTokens: 20, outputTokens: 7 } });
    const answered = { ...reflection.reply!, provider: 'bedrock', model: 'amazon.nova-lite-v1:0', latencyMs: 80 };
    const fromFallback = { ...reflection, reply: answered };

    const done = applied(onReflection(reflecting, fromFallback, T0)).state;

    expect(done.usage).toEqual({ inputTokens: 30, outputTokens: 12 });
    expect(toView(done).usage).toEqual({
      inputTokens: 30,
      outputTokens: 12,
      modelCalls: 2,
      byModel: [
        { provider: 'openai', model: 'gpt-4o-mini', inputTokens: 10, outputTokens: 5, calls: 1, latencyMs: 120 },
        { provider: 'bedrock', model: 'amazon.nova-lite-v1:0', inputTokens: 20, outputTokens: 7, calls: 1, latencyMs: 80 },
      ],
    });
  });

  it('still counts a plan without a model record in the totals', () => {
    const { state: planning } = startRun(makeStart(), T0);

    const plan = makePlan(planning, [makeStep('s1')], { usage: { inputTokens: 4, outputTokens: 2 } });

    const acting = applied(onPlanCreated(planning, plan, T0)).state;

    expect(acting.usage).toEqual({ inputTokens: 4, outputTokens: 2 });
    expect(toView(acting).usage).toMatchObject({ modelCalls: 1, byModel: [] });
  });

  it('shows an empty breakdown for a run recorded before the breakdown existed', () => {
    const { state } = startRun(makeStart(), T0);
    delete state.usageByModel;

    expect(toView(state).usage.byModel).toEqual([]);
  });
});

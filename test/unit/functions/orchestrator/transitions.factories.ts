/** Small factories for the run state machine tests: inputs, plans, step results and replies. */
import type { ModelCompleted, PlanCreated, PlanStep, StepCompleted } from '../../../../shared/events/catalogue';
import type { ToolCall, Usage } from '../../../../shared/model/types';
import type { RunLimits, RunState } from '../../../../functions/orchestrator/run-state';
import { onPlanCreated, startRun, type Outcome, type StartInput, type Transition } from '../../../../functions/orchestrator/transitions';

export const T0 = Date.parse('2025-01-01T00:00:00.000Z');
export const RUN = 'run_1';

export function makeLimits(overrides: Partial<RunLimits> = {}): RunLimits {
  return {
    maxIterations: 3,
    maxSteps: 10,
    timeoutSeconds: 60,
    stepTimeoutMs: 5_000,
    factScope: 'session',
    historyTurns: 20,
    ...overrides,
  };
}

export function makeStart(overrides: Partial<StartInput> = {}): StartInput {
  return {
    tenant: 'acme',
    runId: RUN,
    agentId: 'demo',
    sessionId: 'sess_1',
    input: 'What is (17 * 23) + 4?',
    instructions: 'Be brief.',
    limits: makeLimits(),
    history: [],
    facts: [],
    ...overrides,
  };
}

export function makeStep(id: string, dependsOn: string[] = [], tool = 'calculator'): PlanStep {
  return { id, tool, args: { expression: '1 + 1' }, dependsOn, toolCallId: `call_${id}` };
}

export function makePlan(state: RunState, steps: PlanStep[], overrides: Partial<PlanCreated> = {}): PlanCreated {
  return { ...ref(state), plan: { steps }, ...overrides };
}

export function makeResult(state: RunState, stepId: string, overrides: Partial<StepCompleted> = {}): StepCompleted {
  return { ...ref(state), stepId, ok: true, output: { result: stepId }, durationMs: 12, ...overrides };
}

export function makeReflection(
  state: RunState,
  reply: { text?: string; toolCalls?: ToolCall[]; usage?: Usage },
): ModelCompleted {
  return {
    ...ref(state),
    purpose: 'reflect',
    attempt: 1,
    messages: [],
    stepsLeft: 0,
    reply: {
      provider: 'offline',
      model: 'offline-1',
      text: reply.text,
      toolCalls: reply.toolCalls ?? [],
      usage: reply.usage ?? { inputTokens: 1, outputTokens: 1 },
      finishReason: reply.toolCalls?.length ? 'tool_calls' : 'stop',
    },
  };
}

/** Narrows an outcome to a transition, failing the test with the stale reason otherwise. */
export function applied(outcome: Outcome): Transition {
  if ('stale' in outcome) throw new Error(`unexpectedly stale: ${outcome.stale}`);
  return outcome;
}

/** A run in ACT with the given steps. */
export function actWith(steps: PlanStep[], limits: Partial<RunLimits> = {}): RunState {
  const { state } = startRun(makeStart({ limits: makeLimits(limits) }), T0);
  return applied(onPlanCreated(state, makePlan(state, steps), T0 + 10)).state;
}

/** The phases a transition logged, in order. */
export function phases(t: Transition): unknown[] {
  return t.log.filter((e) => e.type === 'phase').map((e) => e.phase);
}

function ref(state: RunState) {
  return { tenant: state.tenant, runId: state.runId, agentId: state.agentId, iteration: state.iteration };
}

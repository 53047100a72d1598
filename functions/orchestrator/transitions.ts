/**
 * The run state machine as pure functions: (state, input, now) → next state, the log entries
 * to append, and the outbox of events to send. No I/O happens here, so every path of
 * THINK → PLAN → ACT → REFLECT can be tested directly.
 */
import {
  EventTypes,
  PURPOSE_ATTRIBUTE,
  type Failure,
  type ModelCompleted,
  type PlanCreated,
  type RunFinished,
  type StepCompleted,
  runEventId,
  type ModelDelta,
  runRefOf,
} from '../../shared/events/catalogue';
import type { OutgoingEvent } from '../../shared/events/emit';
import { systemPrompt } from '../../shared/model/prompt';
import { addUsage, callUsageOf, type ChatMessage, type ModelCallUsage, type ToolCall, type Usage } from '../../shared/model/types';
import type { Fact, HistoryMessage } from '../memory/store/types';
import { budgetNote, budgetStop, estimateCostUsd, priciest, withBudgetNote, type BudgetUse, type NextCall, type RunBudget, type UsageTotals } from '../../shared/policy/budget';
import type { PriceTable } from '../../shared/policy/schema';
import { budgetAudit } from './audit';
import type { Effects, RunLimits, RunState, StepState } from './run-state';

export interface Transition {
  state: RunState;
  log: Record<string, unknown>[];
  /** Only log entries are added: the run's outbox and its cause stay as they were. */
  isLogOnly?: boolean;
}

/** The result of applying an event: a transition, or `stale` when the event no longer applies. */
export type Outcome = Transition | { stale: string };

export interface StartInput {
  tenant: string;
  runId: string;
  agentId: string;
  sessionId: string;
  input: string;
  instructions: string;
  limits: RunLimits;
  history: HistoryMessage[];
  facts: Fact[];
  /** The run's budgets from its policies (shared/policy/registry.ts `budgetsOf`). */
  budget?: RunBudget;
  /** What earlier runs used in each window budget's current bucket (`windowUsageAt`). */
  windowUsage?: Record<string, UsageTotals>;
  /** Model prices from its policies (shared/policy/registry.ts `pricesOf`). */
  prices?: PriceTable;
  /** The agent's models as `provider/name`, primary first, to price the next call. */
  modelChain?: string[];
  /** False when the starter waits for the whole answer (no pieces streamed). */
  stream?: boolean;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Creates a run and performs THINK: the context becomes the conversation the planner sees. */
export function startRun(input: StartInput, now: number): Transition {
  const messages: ChatMessage[] = [{ role: 'system', content: systemPrompt(input.instructions, input.facts.map((f) => f.text)) }];
  for (const h of input.history) messages.push({ role: h.role, content: h.content });
  messages.push({ role: 'user', content: input.input });

  const state: RunState = {
    tenant: input.tenant,
    runId: input.runId,
    agentId: input.agentId,
    sessionId: input.sessionId,
    input: input.input,
    status: 'running',
    phase: 'think',
    iteration: 1,
    createdAt: iso(now),
    updatedAt: iso(now),
    deadlineAt: iso(now + input.limits.timeoutSeconds * 1_000),
    limits: input.limits,
    messages,
    steps: {},
    stepOrder: [],
    stepsUsed: 0,
    usage: { inputTokens: 0, outputTokens: 0 },
    modelCalls: 0,
    usageByModel: {},
    processed: [],
    outbox: [],
    effects: {},
    ...(input.budget ? { budget: input.budget } : {}),
    ...(input.windowUsage ? { windowUsage: input.windowUsage } : {}),
    ...(input.prices ? { prices: input.prices } : {}),
    ...(input.modelChain?.length ? { modelChain: input.modelChain } : {}),
    ...(input.stream === false ? { stream: false } : {}),
  };
  const log = [
    entry(now, { type: 'status', status: 'running', iteration: 1 }),
    entry(now, { type: 'phase', phase: 'think', iteration: 1, facts: input.facts.length, history: input.history.length }),
  ];
  return toPlan(state, log, now);
}

/** PLAN finished: start ACT with the ready steps, or go straight to the answer. */
export function onPlanCreated(prev: RunState, data: PlanCreated, now: number): Outcome {
  const guard = expectPhase(prev, 'plan', data.iteration);
  if (guard) return guard;
  const state = begin(prev, now);
  const log: Record<string, unknown>[] = [];
  recordModelCall(state, data.usage, data.modelCall);
  logDecisions(log, now, data.policy, { purpose: 'plan' });

  if (data.error || !data.plan) {
    return fail(state, log, data.error ?? { reason: 'planning_failed', message: 'The planner returned no plan.' }, now);
  }
  if (data.assistant) state.messages.push(data.assistant);
  const plan = data.plan;
  if (plan.steps.length === 0) {
    log.push(entry(now, { type: 'phase', phase: 'reflect', iteration: state.iteration }));
    return complete(state, log, plan.answer ?? '', now);
  }
  const overBudget = stopForBudget(state, log, { kind: 'tools', count: plan.steps.length }, now);
  if (overBudget) return overBudget;
  if (state.stepsUsed + plan.steps.length > state.limits.maxSteps) {
    return fail(state, log, {
      reason: 'max_steps',
      message: `The plan needs ${plan.steps.length} more steps but the agent allows ${state.limits.maxSteps} per run.`,
    }, now);
  }
  state.stepsUsed += plan.steps.length;
  state.steps = {};
  state.stepOrder = plan.steps.map((s) => s.id);
  for (const s of plan.steps) state.steps[s.id] = { ...s, status: 'pending' };
  state.phase = 'act';
  log.push(entry(now, { type: 'phase', phase: 'act', iteration: state.iteration, steps: plan.steps.length }));
  startReadySteps(state, log, now);
  // Steps whose dependencies can never be met are failed at once; then nothing is left to wait for.
  if (state.stepOrder.every((id) => isDone(state.steps[id]))) return toReflect(state, log, now);
  return { state, log };
}

/** One step finished: merge it, start what it unblocked, and REFLECT when all are done. */
export function onStepCompleted(prev: RunState, data: StepCompleted, now: number): Outcome {
  // Other steps keep running while one waits for approval, so their results still apply.
  const guard = expectPhase(prev, 'act', data.iteration, true);
  if (guard) return guard;
  const current = prev.steps[data.stepId];
  if (!current) return { stale: `step ${data.stepId} is not in the current plan` };
  if (current.status !== 'running') return { stale: `step ${data.stepId} is already ${current.status}` };

  const state = begin(prev, now);
  const log: Record<string, unknown>[] = [];
  const step = state.steps[data.stepId];
  logDecisions(log, now, data.policy, { stepId: step.id, tool: step.tool });
  step.status = data.ok ? 'succeeded' : 'failed';
  step.output = data.output;
  step.error = data.error;
  step.endedAt = iso(now);
  step.durationMs = Math.round(data.durationMs);
  if (data.ok && data.remember?.length) state.effects = { facts: data.remember };
  log.push(
    entry(now, {
      type: 'step',
      stepId: step.id,
      tool: step.tool,
      status: step.status,
      durationMs: step.durationMs,
      ...(step.error ? { error: step.error } : {}),
    }),
  );
  startReadySteps(state, log, now);
  if (state.stepOrder.some((id) => !isDone(state.steps[id]))) return { state, log };
  return toReflect(state, log, now);
}

/** REFLECT's model turn came back: finish with its answer, or plan again with its tool calls. */
export function onReflection(prev: RunState, data: ModelCompleted, now: number): Outcome {
  const guard = expectPhase(prev, 'reflect', data.iteration);
  if (guard) return guard;
  const state = begin(prev, now);
  const log: Record<string, unknown>[] = [];
  logDecisions(log, now, data.policy, { purpose: 'reflect' });
  if (data.error || !data.reply) {
    return fail(state, log, data.error ?? { reason: 'model_error', message: 'The model returned nothing.' }, now);
  }
  recordModelCall(state, data.reply.usage, callUsageOf(data.reply));
  if (data.reply.toolCalls.length === 0) return complete(state, log, data.reply.text ?? '', now);

  if (state.iteration >= state.limits.maxIterations) {
    return fail(state, log, {
      reason: 'max_iterations',
      message: `The run used all ${state.limits.maxIterations} iterations the agent allows without an answer.`,
    }, now);
  }
  state.iteration += 1;
  state.phase = 'think';
  log.push(entry(now, { type: 'phase', phase: 'think', iteration: state.iteration }));
  return toPlan(state, log, now, data.reply.toolCalls);
}

/**
 * Ends a run that has passed its deadline. While a run awaits approval its deadline is the
 * earliest approval's expiry (its own wall-clock limit is paused), so it fails `approval_expired`.
 */
export function onDeadline(prev: RunState, now: number): Outcome {
  if (prev.status === 'completed' || prev.status === 'failed') return { stale: 'run already finished' };
  if (Date.parse(prev.deadlineAt) > now) return { stale: 'deadline not reached' };
  const state = begin(prev, now);
  if (state.status === 'awaiting_approval') {
    const log: Record<string, unknown>[] = [];
    const expired = (state.pendingApprovals ?? []).filter((p) => Date.parse(p.expiresAt) <= now);
    for (const p of expired) {
      state.approvals = { ...state.approvals, [p.stepId]: { iteration: state.iteration, decision: 'expired', decidedAt: iso(now) } };
      log.push(entry(now, { type: 'approval', stepId: p.stepId, tool: p.tool, state: 'expired' }));
    }
    const names = expired.map((p) => `${p.stepId} (${p.tool})`).join(', ') || 'a held call';
    return fail(state, log, {
      reason: 'approval_expired',
      message: `Nobody approved or rejected ${names} before the approval expired.`,
    }, now);
  }
  return fail(state, [], {
    reason: 'timeout',
    message: `The run did not finish within the agent's ${state.limits.timeoutSeconds}-second limit.`,
  }, now);
}

function toPlan(
  state: RunState,
  log: Record<string, unknown>[],
  now: number,
  proposal?: ToolCall[],
): Transition {
  const overBudget = stopForBudget(state, log, { kind: 'model', messages: state.messages }, now);
  if (overBudget) return overBudget;
  state.phase = 'plan';
  log.push(entry(now, { type: 'phase', phase: 'plan', iteration: state.iteration }));
  state.outbox = [
    {
      type: EventTypes.planRequested,
      id: runEventId(state, 'plan', state.iteration),
      data: {
        ...runRefOf(state),
        messages: outgoingMessages(state, now),
        stepsLeft: state.limits.maxSteps - state.stepsUsed,
        ...(proposal ? { proposal } : {}),
        ...(state.stream === false ? { stream: false } : {}),
      },
    },
  ];
  return { state, log };
}

/** Adds the steps' results to the conversation and asks for REFLECT (or stops for budget). */
export function toReflect(state: RunState, log: Record<string, unknown>[], now: number): Transition {
  for (const id of state.stepOrder) {
    const s = state.steps[id];
    state.messages.push({
      role: 'tool',
      toolCallId: s.toolCallId ?? s.id,
      name: s.tool,
      content: s.status === 'succeeded' ? JSON.stringify(s.output ?? null) : `Error: ${s.error?.message ?? 'failed'}`,
      ...(s.status === 'succeeded' ? {} : { isError: true }),
    });
  }
  const overBudget = stopForBudget(state, log, { kind: 'model', messages: state.messages }, now);
  if (overBudget) return overBudget;
  state.phase = 'reflect';
  log.push(entry(now, { type: 'phase', phase: 'reflect', iteration: state.iteration }));
  state.outbox = [
    {
      type: EventTypes.modelRequested,
      id: runEventId(state, 'reflect', state.iteration),
      extensions: { [PURPOSE_ATTRIBUTE]: 'reflect' },
      data: {
        ...runRefOf(state),
        purpose: 'reflect',
        attempt: 1,
        messages: outgoingMessages(state, now),
        stepsLeft: state.limits.maxSteps - state.stepsUsed,
        ...(state.stream === false ? { stream: false } : {}),
      },
    },
  ];
  return { state, log };
}

/** Starts the pending steps whose dependencies succeeded; fails those that can never start. */
export function startReadySteps(state: RunState, log: Record<string, unknown>[], now: number): void {
  const outbox: OutgoingEvent[] = [];
  let changed = true;
  while (changed) {
    changed = false;
    for (const id of state.stepOrder) {
      const step = state.steps[id];
      if (step.status !== 'pending') continue;
      const deps = step.dependsOn.map((d) => state.steps[d]);
      const failedDep = deps.find((d) => !d || d.status === 'failed');
      if (failedDep !== undefined || deps.some((d) => d === undefined)) {
        step.status = 'failed';
        step.error = { reason: 'dependency_failed', message: `A step this one depends on did not succeed.` };
        step.endedAt = iso(now);
        log.push(entry(now, { type: 'step', stepId: id, tool: step.tool, status: 'failed', error: step.error }));
        changed = true;
        continue;
      }
      if (deps.every((d) => d.status === 'succeeded')) {
        step.status = 'running';
        step.startedAt = iso(now);
        log.push(entry(now, { type: 'step', stepId: id, tool: step.tool, status: 'running' }));
        outbox.push(stepRequest(state, step));
      }
    }
  }
  // A step awaiting approval will still finish one way or the other, so its dependents wait.
  const isWaiting = state.stepOrder.some((id) => ['running', 'awaiting_approval'].includes(state.steps[id].status));
  if (!isWaiting) {
    // Nothing runs, so the pending steps wait on each other: a dependency cycle.
    for (const id of state.stepOrder.filter((i) => state.steps[i].status === 'pending')) {
      const step = state.steps[id];
      step.status = 'failed';
      step.error = { reason: 'dependency_cycle', message: 'The step depends, directly or not, on itself.' };
      step.endedAt = iso(now);
      log.push(entry(now, { type: 'step', stepId: id, tool: step.tool, status: 'failed', error: step.error }));
    }
  }
  state.outbox = outbox;
}

/**
 * The request that runs `step` of the current iteration. Its id depends only on the run,
 * iteration and step, so a re-sent request is a duplicate the executor recognises. An approved
 * step's request has an id of its own, or the executor would replay its earlier held reply.
 */
export function stepRequest(state: RunState, step: StepState): OutgoingEvent {
  const { id, tool, args, dependsOn, toolCallId } = step;
  return {
    type: EventTypes.stepRequested,
    id: runEventId(state, step.approved ? 'step-approved' : 'step', state.iteration, id),
    data: {
      ...runRefOf(state),
      step: { id, tool, args, dependsOn, ...(toolCallId ? { toolCallId } : {}) },
      timeoutMs: state.limits.stepTimeoutMs,
      ...(step.approved ? { approved: true } : {}),
    },
  };
}

function complete(state: RunState, log: Record<string, unknown>[], output: string, now: number): Transition {
  state.status = 'completed';
  state.phase = 'done';
  state.output = output;
  state.completedAt = iso(now);
  state.effects = {
    ...state.effects,
    history: [
      { role: 'user', content: state.input },
      { role: 'assistant', content: output },
    ],
  };
  log.push(entry(now, { type: 'status', status: 'completed', iteration: state.iteration, output }));
  state.outbox = [finished(state, EventTypes.runCompleted)];
  return { state, log };
}

/** Ends the run with `error`. */
export function fail(state: RunState, log: Record<string, unknown>[], error: Failure, now: number): Transition {
  state.status = 'failed';
  state.phase = 'done';
  state.error = error;
  state.completedAt = iso(now);
  log.push(entry(now, { type: 'status', status: 'failed', iteration: state.iteration, error }));
  state.outbox = [finished(state, EventTypes.runFailed)];
  return { state, log };
}

function finished(state: RunState, type: typeof EventTypes.runCompleted | typeof EventTypes.runFailed): OutgoingEvent {
  const data: RunFinished = {
    tenant: state.tenant,
    runId: state.runId,
    agentId: state.agentId,
    sessionId: state.sessionId,
    status: state.status === 'completed' ? 'completed' : 'failed',
    iterations: state.iteration,
    usage: state.usage,
    ...(state.output !== undefined ? { output: state.output } : {}),
    ...(state.error ? { error: state.error } : {}),
  };
  return { type, id: runEventId(state, state.status), data };
}

/** Adds one model call to the run's usage, and to its provider/model row when known. */
function recordModelCall(state: RunState, usage: Usage | undefined, call: ModelCallUsage | undefined): void {
  const counted = usage ?? call;
  if (!counted) return;
  state.usage = addUsage(state.usage, counted);
  state.modelCalls += 1;
  if (!call) return;
  const key = `${call.provider}/${call.model}`;
  const rows = (state.usageByModel ??= {});
  const row = rows[key] ?? { provider: call.provider, model: call.model, inputTokens: 0, outputTokens: 0, calls: 0, latencyMs: 0 };
  rows[key] = {
    ...row,
    inputTokens: row.inputTokens + counted.inputTokens,
    outputTokens: row.outputTokens + counted.outputTokens,
    calls: row.calls + 1,
    latencyMs: row.latencyMs + call.latencyMs,
  };
}

/** Copies the state for a new transition: fresh outbox and effects, deadline enforced later. */
export function begin(prev: RunState, now: number): RunState {
  const state = structuredClone(prev);
  state.updatedAt = iso(now);
  state.outbox = [];
  state.effects = {} satisfies Effects;
  return state;
}

/** Why an event for `phase` of `iteration` no longer applies, if it does not. */
export function expectPhase(state: RunState, phase: RunState['phase'], iteration: number, isPauseOk = false): { stale: string } | undefined {
  const isOpen = state.status === 'running' || (isPauseOk && state.status === 'awaiting_approval');
  if (!isOpen) return { stale: `run is ${state.status}` };
  if (state.iteration !== iteration) return { stale: `event is for iteration ${iteration}, run is at ${state.iteration}` };
  if (state.phase !== phase) return { stale: `run is in ${state.phase}, not ${phase}` };
  return undefined;
}

/** Whether a step has an outcome. */
export function isDone(step: StepState): boolean {
  return step.status === 'succeeded' || step.status === 'failed';
}

/** Ends the run before `next` when it would cross one of the run's budgets. */
function stopForBudget(state: RunState, log: Record<string, unknown>[], next: NextCall, now: number): Transition | undefined {
  const stop = budgetStop(state.budget, budgetUse(state), next, now);
  if (!stop) return undefined;
  const window = stop.window === undefined ? {} : { window: stop.window };
  log.push(entry(now, { type: 'policy', outcome: 'budget_stop', budget: stop.budget, ...window, policies: state.budget?.policies }));
  const ended = fail(state, log, { reason: 'budget_exceeded', message: stop.message }, now);
  ended.state.outbox = [...ended.state.outbox, budgetAudit(ended.state, stop.budget, stop.window, stop.message)];
  return ended;
}

function budgetUse(state: RunState): BudgetUse {
  // Time paused for approvals does not count against the wall-clock budget.
  const use: BudgetUse = { usage: state.usage, toolCalls: state.stepsUsed, startedAtMs: Date.parse(state.createdAt) + (state.pausedMs ?? 0) };
  const costUsd = estimateCostUsd(state.prices, state.usageByModel);
  if (costUsd !== undefined) use.costUsd = costUsd;
  const nextPrice = priciest(state.prices, state.modelChain ?? Object.keys(state.usageByModel ?? {}));
  if (nextPrice) use.nextPrice = nextPrice;
  if (state.windowUsage) use.windowUsage = state.windowUsage;
  return use;
}

/** The conversation as sent: with the remaining budget in the system message when there is one. */
function outgoingMessages(state: RunState, now: number): ChatMessage[] {
  const budget = state.budget;
  return budget ? withBudgetNote(state.messages, budgetNote(budget, budgetUse(state), now)) : state.messages;
}

/** One `policy` log entry per decision the executor reported about a call. */
export function logDecisions(log: Record<string, unknown>[], now: number, decisions: StepCompleted['policy'], call: Record<string, unknown>): void {
  for (const d of decisions ?? []) log.push(entry(now, { type: 'policy', ...call, ...d }));
}

/** A log entry stamped with the time of the transition. */
export function entry(now: number, fields: Record<string, unknown>): Record<string, unknown> {
  return { at: iso(now), ...fields };
}


/**
 * A streamed piece of the model's answer: appended to the log while its phase is current. A piece
 * that arrives after the answer itself is dropped, since the final status carries the whole text.
 */
export function onModelDelta(prev: RunState, data: ModelDelta, now: number): Outcome {
  const guard = expectPhase(prev, data.purpose === 'plan' ? 'plan' : 'reflect', data.iteration);
  if (guard) return guard;
  const log = [entry(now, { type: 'delta', phase: data.purpose, iteration: data.iteration, index: data.index, text: data.text })];
  return { state: { ...prev, updatedAt: new Date(now).toISOString() }, log, isLogOnly: true };
}

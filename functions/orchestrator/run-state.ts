/**
 * The run document the orchestrator keeps in memory, and its public view. The document holds
 * an outbox: the events (and memory writes) that the last transition decided on, so a
 * redelivered event can re-send exactly them after a crash between commit and send.
 */
import type { Failure, PlanStep } from '../../shared/events/catalogue';
import type { OutgoingEvent } from '../../shared/events/emit';
import type { ChatMessage, Usage } from '../../shared/model/types';
import { estimateCostUsd, type RunBudget, type UsageTotals } from '../../shared/policy/budget';
import type { PriceTable } from '../../shared/policy/schema';

/** Usage of one provider/model within a run: tokens, calls and summed call latency. */
export interface ModelUsageTotals extends Usage {
  provider: string;
  model: string;
  calls: number;
  latencyMs: number;
}

export type RunStatus = 'running' | 'awaiting_approval' | 'completed' | 'failed';
export type Phase = 'think' | 'plan' | 'act' | 'reflect' | 'done';

export interface StepState extends PlanStep {
  status: 'pending' | 'running' | 'awaiting_approval' | 'succeeded' | 'failed';
  /** A person approved this held call; its request carries the approval (transitions.ts). */
  approved?: boolean;
  output?: unknown;
  error?: Failure;
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
}

/** Memory writes a transition asks for besides the run document itself; each is idempotent. */
export interface Effects {
  facts?: string[];
  history?: { role: 'user' | 'assistant'; content: string }[];
}

/** A held call waiting for a person's decision, as the run view shows it. */
export interface PendingApproval {
  stepId: string;
  tool: string;
  /** The call's arguments with the policies' redactions applied. */
  args: Record<string, unknown>;
  reason: string;
  policyId: string;
  policyVersion: string;
  requestedAt: string;
  expiresAt: string;
}

/** A decision taken about a held call, kept so a repeated decision can be told from a conflict. */
export interface ApprovalRecord {
  iteration: number;
  decision: 'approve' | 'reject' | 'expired';
  comment?: string;
  decidedAt: string;
}

export interface RunLimits {
  maxIterations: number;
  maxSteps: number;
  timeoutSeconds: number;
  stepTimeoutMs: number;
  factScope: 'session' | 'agent';
  historyTurns: number;
}

export interface RunState {
  tenant: string;
  runId: string;
  agentId: string;
  sessionId: string;
  input: string;
  status: RunStatus;
  phase: Phase;
  iteration: number;
  createdAt: string;
  updatedAt: string;
  deadlineAt: string;
  completedAt?: string;
  output?: string;
  error?: Failure;
  limits: RunLimits;
  messages: ChatMessage[];
  steps: Record<string, StepState>;
  stepOrder: string[];
  stepsUsed: number;
  usage: Usage;
  modelCalls: number;
  /** The same usage per `provider/model`; absent on runs recorded before it existed. */
  usageByModel?: Record<string, ModelUsageTotals>;
  /** Keys (`source id`) of the events already applied, newest last, bounded. */
  processed: string[];
  /** The key of the event whose transition produced this version. */
  cause?: string;
  outbox: OutgoingEvent[];
  effects: Effects;
  /** The run's trace: its id and the span that asked for the run (absent when tracing is off). */
  trace?: { traceId: string; parentSpanId: string };
  /** When the current phase began, for the phase span recorded when it ends. */
  phaseStartedAt?: string;
  /** Budgets from the agent's policies; absent when no policy sets one. */
  budget?: RunBudget;
  /** What earlier runs of the agent used in each window budget's bucket when this run started. */
  windowUsage?: Record<string, UsageTotals>;
  /** Model prices from the agent's policies, for the estimated cost; absent when none sets one. */
  prices?: PriceTable;
  /** The agent's models (`provider/name`, primary then fallbacks), to price the next call. */
  modelChain?: string[];
  /** False when the run's starter waits for the whole answer: model turns stream no pieces. */
  stream?: boolean;
  /** Held calls waiting for a decision; non-empty exactly while status is awaiting_approval. */
  pendingApprovals?: PendingApproval[];
  /** Decisions taken, by step id (the latest iteration's wins). */
  approvals?: Record<string, ApprovalRecord>;
  /**
   * While paused: the run's own wall-clock time left when the pause began. The deadline then
   * is the earliest approval expiry, and this remainder is restored when the run resumes.
   */
  pause?: { startedAt: string; remainingMs: number };
  /** Time spent paused for approvals so far, left out of the wall-clock budget. */
  pausedMs?: number;
  [field: string]: unknown;
}

/**
 * One step of the run's current plan as clients see it: what it ran, with which arguments,
 * what came back and when. Fields that are not known yet are left out.
 */
export interface StepView {
  id: string;
  tool: string;
  status: StepState['status'];
  durationMs?: number;
  args: Record<string, unknown>;
  dependsOn: string[];
  output?: unknown;
  error?: Failure;
  startedAt?: string;
  endedAt?: string;
}

/** What clients see of a run. */
export interface RunView {
  runId: string;
  agentId: string;
  sessionId: string;
  status: RunStatus;
  phase: Phase;
  output: string | null;
  error: Failure | null;
  iterations: number;
  steps: StepView[];
  /** `costUsd` is the estimated cost in US dollars, present when the run's policies set prices. */
  usage: Usage & { modelCalls: number; byModel: ModelUsageTotals[]; costUsd?: number };
  /** Held calls waiting for a decision; present only while there are some. */
  pendingApprovals?: PendingApproval[];
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
}

/** Projects the run document onto the public run view. */
export function toView(state: RunState): RunView {
  const costUsd = estimateCostUsd(state.prices, state.usageByModel);
  return {
    runId: state.runId,
    agentId: state.agentId,
    sessionId: state.sessionId,
    status: state.status,
    phase: state.phase,
    output: state.output ?? null,
    error: state.error ?? null,
    iterations: state.iteration,
    steps: state.stepOrder.map((id) => {
      const s = state.steps[id];
      return {
        id,
        tool: s.tool,
        status: s.status,
        durationMs: s.durationMs,
        args: s.args,
        dependsOn: s.dependsOn,
        output: s.output,
        error: s.error,
        startedAt: s.startedAt,
        endedAt: s.endedAt,
      };
    }),
    usage: { ...state.usage, modelCalls: state.modelCalls, byModel: Object.values(state.usageByModel ?? {}), ...(costUsd !== undefined ? { costUsd } : {}) },
    ...(state.pendingApprovals?.length ? { pendingApprovals: state.pendingApprovals } : {}),
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    completedAt: state.completedAt ?? null,
  };
}

/** Whether the run has ended (it never changes again). */
export function isTerminal(status: RunStatus): boolean {
  return status === 'completed' || status === 'failed';
}

/** Whether the run waits on something outside the system: it has ended, or awaits a person. */
export function isSettled(status: RunStatus): boolean {
  return isTerminal(status) || status === 'awaiting_approval';
}

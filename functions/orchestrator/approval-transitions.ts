/**
 * The human-approval part of the run state machine, as pure functions like transitions.ts. A
 * step whose call a policy holds waits in `awaiting_approval`; the run pauses (status
 * `awaiting_approval`, with the waiting calls in `pendingApprovals`) until a person decides.
 *
 * Time while paused: the run's own wall-clock limit stops. The remainder is kept in
 * `state.pause`, the deadline becomes the earliest approval expiry (so the engine's deadline
 * machinery fails an unanswered run with `approval_expired`), and on resuming the deadline is
 * `now + remainder`. The paused time is also left out of the policies' wall-clock budget.
 */
import type { ApprovalDecided, StepCompleted } from '../../shared/events/catalogue';
import { approvalAudit } from './audit';
import type { PendingApproval, RunState } from './run-state';
import { begin, entry, expectPhase, isDone, logDecisions, startReadySteps, stepRequest, toReflect, type Outcome } from './transitions';

const iso = (ms: number): string => new Date(ms).toISOString();

/** The executor held a step's call: the step waits for a decision and the run pauses. */
export function onStepHeld(prev: RunState, data: StepCompleted, now: number): Outcome {
  const guard = expectPhase(prev, 'act', data.iteration, true);
  if (guard) return guard;
  const held = data.held;
  const current = prev.steps[data.stepId];
  if (!held) return { stale: 'the step reply holds nothing' };
  if (!current) return { stale: `step ${data.stepId} is not in the current plan` };
  // An approved step is never held again; a held reply for it is a late duplicate.
  if (current.status !== 'running' || current.approved) return { stale: `step ${data.stepId} is ${current.status}` };

  const state = begin(prev, now);
  const log: Record<string, unknown>[] = [];
  const step = state.steps[data.stepId];
  logDecisions(log, now, data.policy, { stepId: step.id, tool: step.tool });
  step.status = 'awaiting_approval';
  const approval: PendingApproval = {
    stepId: step.id,
    tool: step.tool,
    args: held.args,
    reason: held.reason,
    policyId: held.policyId,
    policyVersion: held.policyVersion,
    requestedAt: iso(now),
    expiresAt: iso(now + held.ttlSeconds * 1_000),
  };
  state.pendingApprovals = [...(state.pendingApprovals ?? []), approval];
  if (!state.pause) state.pause = { startedAt: iso(now), remainingMs: Math.max(0, Date.parse(state.deadlineAt) - now) };
  state.status = 'awaiting_approval';
  state.deadlineAt = earliestExpiry(state.pendingApprovals);
  const { stepId, tool, reason, policyId, policyVersion, expiresAt } = approval;
  log.push(entry(now, { type: 'approval', stepId, tool, state: 'requested', reason, policyId, policyVersion, expiresAt }));
  return { state, log };
}

/**
 * A person decided about a held step. Approve: the step runs (its request says it is approved,
 * under an id of its own). Reject: the step fails with `approval_rejected`, which the model
 * reads on REFLECT. A decision for a step that is not waiting is stale; the handler tells a
 * repeat of the decision taken from a conflicting one (approvals.ts).
 */
export function onApprovalDecided(prev: RunState, data: ApprovalDecided, now: number): Outcome {
  if (prev.status !== 'awaiting_approval') return { stale: `run is ${prev.status}` };
  if (data.iteration !== undefined && data.iteration !== prev.iteration) return { stale: `decision is for iteration ${data.iteration}` };
  if (!prev.pendingApprovals?.some((p) => p.stepId === data.stepId)) return { stale: `step ${data.stepId} is not awaiting approval` };

  const state = begin(prev, now);
  const log: Record<string, unknown>[] = [];
  const step = state.steps[data.stepId];
  const isApproved = data.decision === 'approve';
  const held = prev.pendingApprovals.find((p) => p.stepId === data.stepId) as PendingApproval;
  const audit = approvalAudit(state, step, held, data.decision, data.comment);
  state.pendingApprovals = (state.pendingApprovals ?? []).filter((p) => p.stepId !== data.stepId);
  const record = { iteration: state.iteration, decision: data.decision, decidedAt: iso(now), ...(data.comment ? { comment: data.comment } : {}) };
  state.approvals = { ...state.approvals, [step.id]: record };
  log.push(entry(now, { type: 'approval', stepId: step.id, tool: step.tool, state: isApproved ? 'approved' : 'rejected', ...(data.comment ? { comment: data.comment } : {}) }));
  if (state.pendingApprovals.length === 0) resume(state, now);
  else state.deadlineAt = earliestExpiry(state.pendingApprovals);

  if (isApproved) {
    step.status = 'running';
    step.approved = true;
    step.startedAt = iso(now);
    log.push(entry(now, { type: 'step', stepId: step.id, tool: step.tool, status: 'running' }));
    state.outbox = [stepRequest(state, step), audit];
    return { state, log };
  }
  step.status = 'failed';
  step.endedAt = iso(now);
  const why = data.comment ? `: ${data.comment}` : '.';
  step.error = { reason: 'approval_rejected', message: `A person rejected the call of ${step.tool}${why}`.slice(0, 4_000) };
  log.push(entry(now, { type: 'step', stepId: step.id, tool: step.tool, status: 'failed', error: step.error }));
  startReadySteps(state, log, now);
  const isWaiting = state.stepOrder.some((id) => !isDone(state.steps[id]));
  // REFLECT needs a running run; with other approvals still pending it waits for those.
  const result = isWaiting || state.status !== 'running' ? { state, log } : toReflect(state, log, now);
  result.state.outbox = [...result.state.outbox, audit];
  return result;
}

/** Ends the pause: the run's own wall-clock limit goes on from where it stopped. */
function resume(state: RunState, now: number): void {
  const pause = state.pause;
  state.status = 'running';
  delete state.pendingApprovals;
  if (!pause) return;
  state.deadlineAt = iso(now + pause.remainingMs);
  state.pausedMs = (state.pausedMs ?? 0) + Math.max(0, now - Date.parse(pause.startedAt));
  delete state.pause;
}

function earliestExpiry(pending: readonly PendingApproval[]): string {
  return iso(Math.min(...pending.map((p) => Date.parse(p.expiresAt))));
}

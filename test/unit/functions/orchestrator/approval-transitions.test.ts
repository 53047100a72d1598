/**
 * The human-approval transitions: a held step pauses the run (with the wall-clock limit
 * stopped and the approval's expiry as deadline), approve re-requests the step once under an
 * id of its own, reject fails it for REFLECT, and an unanswered approval expires the run.
 */
import type { StepCompleted } from '../../../../shared/events/catalogue';
import { approvalOutcome } from '../../../../functions/orchestrator/approvals';
import { onApprovalDecided, onStepHeld } from '../../../../functions/orchestrator/approval-transitions';
import { toView, type RunState } from '../../../../functions/orchestrator/run-state';
import { pendingRequests } from '../../../../functions/orchestrator/sweeper';
import { onDeadline, onStepCompleted } from '../../../../functions/orchestrator/transitions';
import { actWith, applied, makeResult, makeStep, T0 } from './transitions.factories';

const TTL_SECONDS = 600;

function heldReply(state: RunState, stepId: string): StepCompleted {
  return makeResult(state, stepId, {
    ok: false,
    output: undefined,
    held: { reason: 'calculator needs approval', policyId: 'careful', policyVersion: '2', ttlSeconds: TTL_SECONDS, args: { expression: '1 + 1' } },
  });
}

/** A run in ACT whose step s1 is held (and s2, when given, still running). */
function pausedRun(steps = [makeStep('s1')]): RunState {
  const act = actWith(steps);
  return applied(onStepHeld(act, heldReply(act, 's1'), T0 + 100)).state;
}

const decide = (state: RunState, decision: 'approve' | 'reject', comment?: string) =>
  ({ tenant: state.tenant, runId: state.runId, stepId: 's1', iteration: state.iteration, decision, ...(comment ? { comment } : {}) });

describe('onStepHeld', () => {
  it('pauses the run with the held call listed, and logs the request', () => {
    const act = actWith([makeStep('s1')]);

    const t = applied(onStepHeld(act, heldReply(act, 's1'), T0 + 100));

    expect(t.state.status).toBe('awaiting_approval');
    expect(t.state.steps.s1.status).toBe('awaiting_approval');
    expect(toView(t.state).pendingApprovals).toEqual([
      expect.objectContaining({ stepId: 's1', tool: 'calculator', policyId: 'careful', policyVersion: '2', args: { expression: '1 + 1' } }),
    ]);
    expect(t.log).toContainEqual(expect.objectContaining({ type: 'approval', stepId: 's1', state: 'requested' }));
    expect(t.state.outbox).toEqual([]);
  });

  it('replaces the run deadline by the approval expiry and keeps the time left', () => {
    const act = actWith([makeStep('s1')]);

    const { state } = applied(onStepHeld(act, heldReply(act, 's1'), T0 + 100));

    expect(state.deadlineAt).toBe(new Date(T0 + 100 + TTL_SECONDS * 1_000).toISOString());
    expect(state.pause?.remainingMs).toBe(Date.parse(act.deadlineAt) - (T0 + 100));
  });

  it('is stale for a step that was already approved', () => {
    const approved = applied(onApprovalDecided(pausedRun(), decide(pausedRun(), 'approve'), T0 + 200)).state;

    const outcome = onStepHeld(approved, heldReply(approved, 's1'), T0 + 300);

    expect(outcome).toEqual({ stale: expect.stringContaining('s1') });
  });

  it('still applies the results of other steps while paused', () => {
    const paused = pausedRun([makeStep('s1'), makeStep('s2')]);

    const t = applied(onStepCompleted(paused, makeResult(paused, 's2'), T0 + 150));

    expect(t.state.steps.s2.status).toBe('succeeded');
    expect(t.state.status).toBe('awaiting_approval');
    expect(t.state.phase).toBe('act');
  });

  it('keeps dependents of a held step pending instead of calling them a cycle', () => {
    const paused = pausedRun([makeStep('s1'), makeStep('s2', ['s1'])]);

    expect(paused.steps.s2.status).toBe('pending');
  });
});

describe('onApprovalDecided', () => {
  it('on approve, resumes the run and requests the step once more, marked approved, under a new id', () => {
    const paused = pausedRun();

    const t = applied(onApprovalDecided(paused, decide(paused, 'approve'), T0 + 5_000));

    expect(t.state.status).toBe('running');
    expect(t.state.pendingApprovals).toBeUndefined();
    expect(t.state.steps.s1).toMatchObject({ status: 'running', approved: true });
    expect(t.state.outbox).toEqual([
      expect.objectContaining({ id: 'acme.run_1.step-approved.1.s1', data: expect.objectContaining({ approved: true }) }),
      expect.objectContaining({ type: 'dev.ddo.policy.decided', id: 'acme.run_1.policy.1.approve.s1' }),
    ]);
    expect(pendingRequests(t.state).map((e) => e.id)).toEqual(['acme.run_1.step-approved.1.s1']);
    expect(t.log).toContainEqual(expect.objectContaining({ type: 'approval', stepId: 's1', state: 'approved' }));
  });

  it('gives back the wall-clock time that was left when the pause began', () => {
    const paused = pausedRun();

    const { state } = applied(onApprovalDecided(paused, decide(paused, 'approve'), T0 + 5_000));

    expect(state.deadlineAt).toBe(new Date(T0 + 5_000 + (paused.pause?.remainingMs ?? 0)).toISOString());
    expect(state.pausedMs).toBe(4_900);
  });

  it('on reject, fails the step with approval_rejected and goes to REFLECT', () => {
    const paused = pausedRun();

    const t = applied(onApprovalDecided(paused, decide(paused, 'reject', 'not today'), T0 + 5_000));

    expect(t.state.steps.s1.error).toEqual({ reason: 'approval_rejected', message: 'A person rejected the call of calculator: not today' });
    expect(t.state.phase).toBe('reflect');
    expect(t.state.messages.at(-1)).toMatchObject({ role: 'tool', isError: true, content: expect.stringContaining('rejected') });
  });

  it('is stale when the step is not waiting, and tells a repeat from a conflict', () => {
    const paused = pausedRun();
    const approved = applied(onApprovalDecided(paused, decide(paused, 'approve'), T0 + 5_000)).state;

    const again = onApprovalDecided(approved, decide(approved, 'approve'), T0 + 6_000);

    expect(again).toEqual({ stale: expect.any(String) });
    expect(approvalOutcome(approved, decide(approved, 'approve'))).toBe('decided');
    expect(approvalOutcome(approved, decide(approved, 'reject'))).toBe('conflict');
    expect(approvalOutcome(approved, { ...decide(approved, 'approve'), stepId: 's9' })).toBe('unknown_step');
  });
});

describe('onDeadline while awaiting approval', () => {
  it('does nothing before the approval expires, then fails the run with approval_expired', () => {
    const paused = pausedRun();
    const expiry = Date.parse(paused.deadlineAt);

    const early = onDeadline(paused, T0 + 60_000 + 1_000);
    const late = applied(onDeadline(paused, expiry));

    expect(early).toEqual({ stale: 'deadline not reached' });
    expect(late.state.status).toBe('failed');
    expect(late.state.error?.reason).toBe('approval_expired');
    expect(late.log).toContainEqual(expect.objectContaining({ type: 'approval', stepId: 's1', state: 'expired' }));
  });
});

/**
 * The orchestrator's share of the audit: decisions it takes itself (a person's approval or
 * rejection of a held call, a budget stop) are published as `dev.ddo.policy.decided` like the
 * executor's, and recorded as spans when sent (engine.ts), besides their entry in the run log.
 */
import { createHash } from 'node:crypto';
import { EventTypes, runEventId, runRefOf, type PolicyDecisionData } from '../../shared/events/catalogue';
import type { OutgoingEvent } from '../../shared/events/emit';
import type { RunState } from './run-state';

const sha256 = (value: unknown) => createHash('sha256').update(JSON.stringify(value ?? null)).digest('hex');

/** Splits `id@version` as the budget records its policies. */
function policyOf(tag: string | undefined): { policyId: string; policyVersion: string } {
  const [policyId, policyVersion] = (tag ?? 'budget@0').split('@');
  return { policyId, policyVersion: policyVersion ?? '0' };
}

/** The audit event for a person's decision about a held step. */
export function approvalAudit(
  state: RunState,
  step: { id: string; tool: string; args: Record<string, unknown> },
  policy: { policyId: string; policyVersion: string },
  decision: 'approve' | 'reject',
  comment?: string,
): OutgoingEvent {
  const data: PolicyDecisionData = {
    policyId: policy.policyId,
    policyVersion: policy.policyVersion,
    stage: 'before',
    outcome: decision,
    rule: 'hold',
    ...(comment ? { reason: comment.slice(0, 2_000) } : {}),
    inputSha256: sha256(step.args),
  };
  return event(state, { kind: 'tool', tool: step.tool, stepId: step.id }, data, `${decision}.${step.id}`);
}

/** The audit event for a budget that stopped the run before its next call. */
export function budgetAudit(state: RunState, budget: string, window: number | undefined, reason: string): OutgoingEvent {
  const data: PolicyDecisionData = {
    ...policyOf(state.budget?.policies?.[0]),
    stage: 'before',
    outcome: 'budget_stop',
    rule: window === undefined ? `budgets.${budget}` : `windowBudgets.${window}.${budget}`,
    reason: reason.slice(0, 2_000),
    inputSha256: sha256({ budget, window, usage: state.usage, stepsUsed: state.stepsUsed }),
  };
  return event(state, { kind: 'model' }, data, 'budget');
}

function event(state: RunState, call: Record<string, unknown>, decision: PolicyDecisionData, suffix: string): OutgoingEvent {
  const data = { ...runRefOf(state), call, decision };
  return { type: EventTypes.policyDecided, id: runEventId(state, 'policy', state.iteration, suffix), data };
}

/**
 * The orchestrator's own audit events: a person's decision about a held call is published as
 * `dev.ddo.policy.decided` with the holding policy, in a shape the catalogue accepts.
 */
import { EventTypes } from '../../../../shared/events/catalogue';
import { toBinaryMessage } from '../../../../shared/events/emit';
import { parseEvent } from '../../../../shared/events/receive';
import { onApprovalDecided, onStepHeld } from '../../../../functions/orchestrator/approval-transitions';
import { budgetAudit } from '../../../../functions/orchestrator/audit';
import { actWith, applied, makeResult, makeStep, T0 } from './transitions.factories';

function paused() {
  const act = actWith([makeStep('s1')]);
  const held = makeResult(act, 's1', {
    ok: false,
    output: undefined,
    held: { reason: 'needs a person', policyId: 'careful', policyVersion: '2', ttlSeconds: 600, args: { expression: '1 + 1' } },
  });
  return applied(onStepHeld(act, held, T0 + 100)).state;
}

describe('approval audit', () => {
  test.each(['approve', 'reject'] as const)('publishes a %s decision with the holding policy', (decision) => {
    const state = paused();

    const t = applied(onApprovalDecided(state, { tenant: state.tenant, runId: state.runId, stepId: 's1', iteration: state.iteration, decision }, T0 + 200));
    const audit = t.state.outbox.filter((e) => e.type === EventTypes.policyDecided);

    expect(audit).toHaveLength(1);
    expect(audit[0].data).toMatchObject({ call: { kind: 'tool', stepId: 's1' }, decision: { policyId: 'careful', policyVersion: '2', outcome: decision, rule: 'hold' } });
    const message = toBinaryMessage('orchestrator', audit[0]);
    expect(parseEvent(message.headers, message.body).type).toBe(EventTypes.policyDecided);
  });

  it('publishes a budget stop under the policy that set the budget', () => {
    const state = { ...paused(), budget: { policies: ['quota@3'], tokens: 10 } } as Parameters<typeof budgetAudit>[0];

    const event = budgetAudit(state, 'tokens', undefined, 'The run needs more tokens than remain.');
    const message = toBinaryMessage('orchestrator', event);

    expect(event.data).toMatchObject({ decision: { policyId: 'quota', policyVersion: '3', outcome: 'budget_stop', rule: 'budgets.tokens' } });
    expect(parseEvent(message.headers, message.body).id).toBe(event.id);
  });
});

/**
 * The orchestrator's handler for a person's decision about a held call
 * (`dev.ddo.approval.decided`), from the api-gateway directly or from any system through the
 * broker. It applies the decision and answers with what became of it, so the gateway can map
 * it to a status: a repeat of the decision already taken is `decided` again (idempotent, and
 * the approved call is still requested once), a different one is a `conflict`.
 */
import type { CloudEventV1 } from 'cloudevents';
import { EventTypes, type ApprovalDecided } from '../../shared/events/catalogue';
import { EventReply, type EventHandlers } from '../../shared/runtime/event-boundary';
import { onApprovalDecided } from './approval-transitions';
import type { RunEngine } from './engine';
import { toView, type RunState, type RunView } from './run-state';

/** What became of a decision: taken (now or earlier), refused, or about a step the run lacks. */
export type ApprovalOutcome = 'decided' | 'conflict' | 'unknown_step';

/** The orchestrator's reply to an approval decision. */
export interface ApprovalReply {
  outcome: ApprovalOutcome;
  run: RunView;
}

/** Classifies a decision against the run as it stands after applying it. */
export function approvalOutcome(state: RunState, data: ApprovalDecided): ApprovalOutcome {
  const taken = state.approvals?.[data.stepId];
  const isSameIteration = data.iteration === undefined || taken?.iteration === data.iteration;
  if (taken && taken.decision === data.decision && isSameIteration) return 'decided';
  if (taken || state.steps[data.stepId]) return 'conflict';
  return 'unknown_step';
}

/** Builds the handler; the reply body is an ApprovalReply. */
export function approvalHandlers(engine: RunEngine): EventHandlers {
  return {
    [EventTypes.approvalDecided]: async (event: CloudEventV1<ApprovalDecided>): Promise<EventReply> => {
      const data = event.data as ApprovalDecided;
      const key = `${event.source} ${event.id}`;
      const { state, events } = await engine.apply(data.tenant, data.runId, key, (s, now) => onApprovalDecided(s, data, now));
      // A conflict is answered 200 all the same: the broker retries 409s, and retrying cannot help.
      const answer: ApprovalReply = { outcome: approvalOutcome(state, data), run: toView(state) };
      return new EventReply(events, answer);
    },
  };
}

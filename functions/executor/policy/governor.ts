/**
 * Governs one tool or model call: evaluates the agent's policies before and after it, turns a
 * deny into a PolicyDeniedError the step or turn fails with, and records every decision three
 * ways: in the reply (for the run's event log), as a `dev.ddo.policy.decided` CloudEvent and as
 * span attributes. It lives in the handler path, not in a hook, because it changes the call.
 */
import { ddoTracer } from '../../../shared/telemetry/tracing';
import type { ModelRef } from '../../../shared/agents/schema';
import { DdoError } from '../../../shared/errors';
import { EventTypes, runEventId, type PolicyDecided, type RunRef } from '../../../shared/events/catalogue';
import type { OutgoingEvent } from '../../../shared/events/emit';
import type { Logger } from '../../../shared/log';
import type { ChatMessage, ModelReply } from '../../../shared/model/types';
import { redactWith, type Policy } from '../../../shared/policy/registry';
import { ATTR } from '../../../shared/telemetry/attributes';
import { afterModel, afterTool, beforeModel, beforeTool, denialMessage, type Evaluation, type PolicyDecision } from './evaluate';

/** A call a policy refused; the step or model turn fails with reason `policy_denied`. */
export class PolicyDeniedError extends DdoError {
  constructor(message: string, readonly decision: PolicyDecision) {
    super(message, { status: 403, reason: 'policy_denied', details: { policyId: decision.policyId, rule: decision.rule } });
  }
}

/** What a held call waits for: the hold decision and the arguments as the person may see them. */
export interface HeldCall {
  reason: string;
  policyId: string;
  policyVersion: string;
  ttlSeconds: number;
  args: Record<string, unknown>;
}

/** A call a policy holds for a person's approval; the step is not run and the run pauses. */
export class PolicyHeldError extends DdoError {
  constructor(readonly held: HeldCall) {
    super(`Policy ${held.policyId} (version ${held.policyVersion}) holds the call: ${held.reason}.`, {
      status: 202,
      reason: 'approval_required',
      details: { policyId: held.policyId },
    });
  }
}

/** Span attribute names of a policy decision. */
export const POLICY_ATTR = {
  id: 'ddo.policy.id',
  version: 'ddo.policy.version',
  stage: 'ddo.policy.stage',
  outcome: 'ddo.policy.outcome',
  rule: 'ddo.policy.rule',
  inputSha256: 'ddo.policy.input_sha256',
} as const;

/** The decisions about one call, and the audit events they become. */
export class CallGovernor {
  readonly decisions: PolicyDecision[] = [];

  constructor(
    private readonly policies: readonly Policy[],
    private readonly ref: RunRef,
    private readonly call: PolicyDecided['call'],
    private readonly log: Logger,
  ) {}

  /** Whether any policy governs the call; without one nothing is evaluated or recorded. */
  get isGoverned(): boolean {
    return this.policies.length > 0;
  }

  /**
   * The tool's arguments as they may be used; throws PolicyDeniedError when a policy denies the
   * call, and PolicyHeldError when one holds it and a person has not approved it yet.
   */
  beforeTool(tool: string, args: Record<string, unknown>, isApproved = false): Record<string, unknown> {
    const evaluation = beforeTool(this.policies, tool, args, { isApproved });
    if (evaluation.held) {
      for (const d of evaluation.decisions) this.record(d);
      const { reason, policyId, policyVersion, ttlSeconds } = evaluation.held;
      throw new PolicyHeldError({ reason: reason ?? 'approval required', policyId, policyVersion, ttlSeconds, args: evaluation.value });
    }
    return this.settle(evaluation, `the call of ${tool}`);
  }

  /** The tool's result as it may leave the executor. */
  afterTool<T extends { output: unknown; remember?: string[] }>(result: T): T {
    return this.settle(afterTool(this.policies, result), 'the tool result');
  }

  /** The models that may be tried and the messages they may see; throws when none is allowed. */
  beforeModel(chain: readonly ModelRef[], messages: ChatMessage[]): { chain: ModelRef[]; messages: ChatMessage[] } {
    return this.settle(beforeModel(this.policies, chain, messages), 'the model call');
  }

  /** The model's reply as it may leave the executor. */
  afterModel<T extends Pick<ModelReply, 'text' | 'toolCalls'>>(reply: T): T {
    return this.settle(afterModel(this.policies, reply), 'the model reply');
  }

  /** An error message with every policy's redactions applied, for replies and logs. */
  redact(text: string): string {
    return redactWith(this.policies, text);
  }

  /** One `dev.ddo.policy.decided` event per decision; ids are stable, so re-sends are duplicates. */
  events(): OutgoingEvent[] {
    const where = this.call.stepId ?? `${this.call.purpose}-${this.call.attempt ?? 1}`;
    return this.decisions.map((decision) => ({
      type: EventTypes.policyDecided,
      id: runEventId(this.ref, 'policy', this.ref.iteration, where, decision.stage, decision.policyId),
      data: { ...this.ref, call: this.call, decision } satisfies PolicyDecided,
    }));
  }

  private settle<T>(evaluation: Evaluation<T>, what: string): T {
    for (const d of evaluation.decisions) this.record(d);
    if (evaluation.denied) throw new PolicyDeniedError(denialMessage(evaluation.denied, what), evaluation.denied);
    return evaluation.value;
  }

  private record(d: PolicyDecision): void {
    this.decisions.push(d);
    const fields = { runId: this.ref.runId, call: this.call, policyId: d.policyId, stage: d.stage, outcome: d.outcome, rule: d.rule, redactions: d.redactions };
    if (d.outcome === 'allow') this.log.debug(fields, 'policy decision');
    else this.log.info(fields, 'policy decision');
    // A short span per decision, child of the event-handling span, so traces show the audit.
    const span = ddoTracer.startSpan(`policy ${d.stage} ${this.call.tool ?? this.call.model ?? this.call.kind}`, {
      attributes: {
        [ATTR.runId]: this.ref.runId,
        [ATTR.agentId]: this.ref.agentId,
        [ATTR.tenant]: this.ref.tenant,
        [POLICY_ATTR.id]: d.policyId,
        [POLICY_ATTR.version]: d.policyVersion,
        [POLICY_ATTR.stage]: d.stage,
        [POLICY_ATTR.outcome]: d.outcome,
        [POLICY_ATTR.inputSha256]: d.inputSha256,
        ...(d.rule ? { [POLICY_ATTR.rule]: d.rule } : {}),
      },
    });
    span.end();
  }
}

/**
 * The event catalogue: every CloudEvent type DDO sends, who sends it, who receives it, and the
 * JSON Schema of its `data`. The Trigger manifests in knative/ route exactly these types, and
 * the deployment check compares the two.
 */
import type { ChatMessage, ModelCallUsage, ModelReply, ToolCall, Usage } from '../model/types';
import * as schemas from './schemas';

export const EVENT_SOURCE_PREFIX = '/ddo';

/** The extension attribute that routes model replies back to whoever asked (plan or reflect). */
export const PURPOSE_ATTRIBUTE = 'ddopurpose';

export const EventTypes = {
  runRequested: 'dev.ddo.run.requested',
  planRequested: 'dev.ddo.plan.requested',
  modelRequested: 'dev.ddo.model.requested',
  modelCompleted: 'dev.ddo.model.completed',
  planCreated: 'dev.ddo.plan.created',
  stepRequested: 'dev.ddo.step.requested',
  modelDelta: 'dev.ddo.model.delta',
  stepCompleted: 'dev.ddo.step.completed',
  runCompleted: 'dev.ddo.run.completed',
  runFailed: 'dev.ddo.run.failed',
  // PingSource's own type: a PingSource cannot choose another, and the sweep needs no more.
  sweepRequested: 'dev.knative.sources.ping',
  policyDecided: 'dev.ddo.policy.decided',
  approvalDecided: 'dev.ddo.approval.decided',
} as const;

export type EventType = (typeof EventTypes)[keyof typeof EventTypes];

export interface EventDefinition {
  type: EventType;
  summary: string;
  producers: string[];
  /** Services a Trigger delivers it to; an empty list means it is published for other systems. */
  consumers: string[];
  schema: Record<string, unknown>;
}

export const CATALOGUE: readonly EventDefinition[] = [
  {
    type: EventTypes.runRequested,
    summary: 'Start a run of an agent on an input. Sent by the api-gateway or any system in the mesh.',
    producers: ['api-gateway', 'external'],
    consumers: ['orchestrator'],
    schema: schemas.runRequestedData,
  },
  {
    type: EventTypes.planRequested,
    summary: 'THINK is done: plan the next iteration from the conversation and the tool catalogue.',
    producers: ['orchestrator'],
    consumers: ['planner'],
    schema: schemas.planRequestedData,
  },
  {
    type: EventTypes.modelRequested,
    summary: 'Ask the executor for one model turn, for planning or for reflection.',
    producers: ['planner', 'orchestrator'],
    consumers: ['executor'],
    schema: schemas.modelRequestedData,
  },
  {
    type: EventTypes.modelCompleted,
    summary: `A model turn finished; routed by the ${PURPOSE_ATTRIBUTE} attribute to the planner or orchestrator.`,
    producers: ['executor'],
    consumers: ['planner', 'orchestrator'],
    schema: schemas.modelCompletedData,
  },
  {
    type: EventTypes.modelDelta,
    summary: 'A piece of a model answer as it streams, for the run event stream (log only).',
    producers: ['executor'],
    consumers: ['orchestrator'],
    schema: schemas.modelDeltaData,
  },
  {
    type: EventTypes.planCreated,
    summary: 'PLAN is done: a validated plan of steps, a direct answer, or the reason planning failed.',
    producers: ['planner'],
    consumers: ['orchestrator'],
    schema: schemas.planCreatedData,
  },
  {
    type: EventTypes.stepRequested,
    summary: 'ACT: run one plan step (a tool call) whose dependencies are satisfied.',
    producers: ['orchestrator'],
    consumers: ['executor'],
    schema: schemas.stepRequestedData,
  },
  {
    type: EventTypes.stepCompleted,
    summary: 'A step finished, with its output or error and any facts it wants remembered.',
    producers: ['executor'],
    consumers: ['orchestrator'],
    schema: schemas.stepCompletedData,
  },
  {
    type: EventTypes.runCompleted,
    summary: 'A run ended with an answer.',
    producers: ['orchestrator'],
    consumers: [],
    schema: schemas.runFinishedData,
  },
  {
    type: EventTypes.runFailed,
    summary: 'A run ended without an answer; `error.reason` says why.',
    producers: ['orchestrator'],
    consumers: [],
    schema: schemas.runFinishedData,
  },
  {
    type: EventTypes.sweepRequested,
    summary: 'Re-drive running runs that made no progress for a while (a PingSource, or the local stack timer).',
    producers: ['scheduler'],
    consumers: ['orchestrator'],
    schema: schemas.sweepRequestedData,
  },
  {
    type: EventTypes.policyDecided,
    summary: 'A policy allowed, denied, redacted or held a tool or model call (before or after it), for audit.',
    producers: ['executor'],
    consumers: [],
    schema: schemas.policyDecidedData,
  },
  {
    type: EventTypes.approvalDecided,
    summary: 'A person approved or rejected a call a policy held; the run resumes. From the api-gateway or any system.',
    producers: ['api-gateway', 'external'],
    consumers: ['orchestrator'],
    schema: schemas.approvalDecidedData,
  },
];

/** Looks up a type in the catalogue. */
export function definitionOf(type: string): EventDefinition | undefined {
  return CATALOGUE.find((d) => d.type === type);
}

// Typed views of each event's data, kept beside the schemas they mirror.

export interface RunRef {
  tenant: string;
  runId: string;
  agentId: string;
  iteration: number;
}

/** The run reference of anything that carries one (a run state, an event's data). */
export function runRefOf(x: RunRef): RunRef {
  return { tenant: x.tenant, runId: x.runId, agentId: x.agentId, iteration: x.iteration };
}

export interface Failure {
  reason: string;
  message: string;
}

export interface PlanStep {
  id: string;
  tool: string;
  args: Record<string, unknown>;
  dependsOn: string[];
  toolCallId?: string;
}

export interface Plan {
  steps: PlanStep[];
  answer?: string;
}

export interface RunRequested {
  tenant: string;
  agentId: string;
  runId?: string;
  sessionId?: string;
  input: string;
  /** False: the caller waits for the whole answer, so its pieces are not streamed (default true). */
  stream?: boolean;
}

export interface PlanRequested extends RunRef {
  messages: ChatMessage[];
  proposal?: ToolCall[];
  stepsLeft: number;
  stream?: boolean;
}

export interface ModelDelta extends RunRef {
  purpose: 'plan' | 'reflect';
  index: number;
  text: string;
}

export interface ModelRequested extends RunRef {
  purpose: 'plan' | 'reflect';
  attempt: number;
  messages: ChatMessage[];
  stepsLeft: number;
  /** False: send no model.delta pieces; the answer arrives whole with the reply. */
  stream?: boolean;
}

export interface ModelCompleted extends ModelRequested {
  reply?: ModelReply;
  error?: Failure;
  /** What the governing policies decided about this turn. */
  policy?: PolicyDecisionData[];
}

export interface PlanCreated extends RunRef {
  plan?: Plan;
  assistant?: ChatMessage;
  usage?: Usage;
  /** Who answered the planning turn, for the run's per-model usage. */
  modelCall?: ModelCallUsage;
  error?: Failure;
  /** Policy decisions about the planning turn, passed on from the model reply. */
  policy?: PolicyDecisionData[];
}

export interface StepRequested extends RunRef {
  step: PlanStep;
  timeoutMs: number;
  /** A person approved this held call; the executor does not hold it again. */
  approved?: boolean;
}

/** Why a step was not run: a policy holds it for approval (the executor's PolicyHeldError). */
export interface HeldMarker {
  reason: string;
  policyId: string;
  policyVersion: string;
  ttlSeconds: number;
  /** The arguments with the policies' redactions applied, as the person deciding sees them. */
  args: Record<string, unknown>;
}

/** A person's decision about a held call. */
export interface ApprovalDecided {
  tenant: string;
  runId: string;
  stepId: string;
  iteration?: number;
  decision: 'approve' | 'reject';
  comment?: string;
}

export interface StepCompleted extends RunRef {
  stepId: string;
  ok: boolean;
  output?: unknown;
  error?: Failure;
  remember?: string[];
  durationMs: number;
  /** What the governing policies decided about this call. */
  policy?: PolicyDecisionData[];
  /** Set when the call was not made because a policy holds it for approval. */
  held?: HeldMarker;
}

export interface RunFinished {
  tenant: string;
  runId: string;
  agentId: string;
  sessionId: string;
  status: 'completed' | 'failed';
  output?: string;
  error?: Failure;
  iterations: number;
  usage: Usage;
}

/** One policy decision about a call, as the executor makes it and the audit records it. */
export interface PolicyDecisionData {
  policyId: string;
  policyVersion: string;
  stage: 'before' | 'after';
  /** Executor decisions, or the orchestrator's: a person's approve/reject, a budget stop. */
  outcome: 'allow' | 'deny' | 'redact' | 'hold' | 'approve' | 'reject' | 'budget_stop';
  /** The rule that denied or held, for example `tools.deny` or `arguments.http_get.url.hosts`. */
  rule?: string;
  reason?: string;
  /** Matches replaced, per kind (`email`, `api_key`, a user pattern's name). */
  redactions?: Record<string, number>;
  /** A sha256 of the input the policy saw, so the audit can match a call without holding it. */
  inputSha256: string;
}

/** A policy decision published on the broker. */
export interface PolicyDecided extends RunRef {
  call: { kind: 'tool' | 'model'; tool?: string; stepId?: string; purpose?: 'plan' | 'reflect'; attempt?: number; model?: string };
  decision: PolicyDecisionData;
}

export interface SweepRequested {
  /** Overrides the orchestrator's DDO_STALL_SECONDS for this sweep. */
  stallSeconds?: number;
}

/**
 * The id of an event a run causes. Tenants choose run ids, so the tenant is part of the id:
 * CloudEvents treats `source` + `id` as unique, and two tenants' runs must never look like
 * duplicates of each other.
 */
export function runEventId(ref: { tenant: string; runId: string }, ...parts: (string | number)[]): string {
  return [ref.tenant, ref.runId, ...parts].join('.');
}

/**
 * JSON Schemas for the `data` of every event, built from a few shared fragments. The catalogue
 * (catalogue.ts) names each event type and points at one of these.
 */
import { ID_PATTERN } from '../ids';

const id = { type: 'string', pattern: ID_PATTERN } as const;
const text = (max: number) => ({ type: 'string', maxLength: max }) as const;

const toolCall = {
  type: 'object',
  properties: { id: text(256), name: text(128), arguments: { type: 'object' } },
  required: ['id', 'name', 'arguments'],
  additionalProperties: false,
} as const;

export const messageSchema = {
  type: 'object',
  properties: {
    role: { enum: ['system', 'user', 'assistant', 'tool'] },
    content: text(200_000),
    toolCalls: { type: 'array', items: toolCall, maxItems: 64 },
    toolCallId: text(256),
    name: text(128),
    isError: { type: 'boolean' },
  },
  required: ['role'],
  additionalProperties: false,
} as const;

const usage = {
  type: 'object',
  properties: {
    inputTokens: { type: 'integer', minimum: 0 },
    outputTokens: { type: 'integer', minimum: 0 },
  },
  required: ['inputTokens', 'outputTokens'],
  additionalProperties: false,
} as const;

/** One model call's usage with who answered and how long it took. */
const modelCall = {
  type: 'object',
  properties: {
    provider: text(64),
    model: text(256),
    inputTokens: { type: 'integer', minimum: 0 },
    outputTokens: { type: 'integer', minimum: 0 },
    latencyMs: { type: 'number', minimum: 0 },
  },
  required: ['provider', 'model', 'inputTokens', 'outputTokens', 'latencyMs'],
  additionalProperties: false,
} as const;

const failure = {
  type: 'object',
  properties: { reason: text(64), message: text(4_000) },
  required: ['reason', 'message'],
  additionalProperties: false,
} as const;

const step = {
  type: 'object',
  properties: {
    id: id,
    tool: text(128),
    args: { type: 'object' },
    dependsOn: { type: 'array', items: id, maxItems: 64, uniqueItems: true },
    toolCallId: text(256),
  },
  required: ['id', 'tool', 'args', 'dependsOn'],
  additionalProperties: false,
} as const;

/** A plan: steps with dependencies, or a direct answer when no tool is needed. */
export const planSchema = {
  type: 'object',
  properties: {
    steps: { type: 'array', items: step, maxItems: 64 },
    answer: text(200_000),
  },
  required: ['steps'],
  additionalProperties: false,
} as const;

/** Fields every phase event carries: whose run it is and which iteration. */
const runRef = {
  tenant: id,
  runId: id,
  agentId: id,
  iteration: { type: 'integer', minimum: 1, maximum: 1_000 },
} as const;
const runRefRequired = ['tenant', 'runId', 'agentId', 'iteration'];

const messages = { type: 'array', items: messageSchema, maxItems: 2_000 } as const;

/** One policy decision about a call (functions/executor/policy/evaluate.ts). */
const policyDecision = {
  type: 'object',
  properties: {
    policyId: id,
    policyVersion: text(64),
    stage: { enum: ['before', 'after'] },
    outcome: { enum: ['allow', 'deny', 'redact', 'hold', 'approve', 'reject', 'budget_stop'] },
    rule: text(512),
    reason: text(2_000),
    redactions: { type: 'object', additionalProperties: { type: 'integer', minimum: 0 } },
    inputSha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
  },
  required: ['policyId', 'policyVersion', 'stage', 'outcome', 'inputSha256'],
  additionalProperties: false,
} as const;

/** The policy decisions about the call a reply reports, for the run's event log. */
const policyDecisions = { type: 'array', items: policyDecision, maxItems: 64 } as const;
const purpose = { enum: ['plan', 'reflect'] } as const;
/** False when nobody watches the run's answer arrive, so its pieces are not streamed. */
const stream = { type: 'boolean' } as const;

export const runRequestedData = {
  type: 'object',
  properties: {
    tenant: id,
    agentId: id,
    runId: id,
    sessionId: id,
    input: { type: 'string', minLength: 1, maxLength: 32_000 },
    stream,
  },
  required: ['tenant', 'agentId', 'input'],
  additionalProperties: false,
} as const;

export const planRequestedData = {
  type: 'object',
  properties: {
    ...runRef,
    messages,
    proposal: { type: 'array', items: toolCall, maxItems: 64 },
    stepsLeft: { type: 'integer', minimum: 0 },
    stream,
  },
  required: [...runRefRequired, 'messages', 'stepsLeft'],
  additionalProperties: false,
} as const;

export const modelRequestedData = {
  type: 'object',
  properties: {
    ...runRef,
    purpose,
    attempt: { type: 'integer', minimum: 1, maximum: 10 },
    messages,
    stepsLeft: { type: 'integer', minimum: 0 },
    stream,
  },
  required: [...runRefRequired, 'purpose', 'attempt', 'messages', 'stepsLeft'],
  additionalProperties: false,
} as const;

export const modelCompletedData = {
  type: 'object',
  properties: {
    ...runRef,
    purpose,
    attempt: { type: 'integer', minimum: 1, maximum: 10 },
    messages,
    stepsLeft: { type: 'integer', minimum: 0 },
    stream,
    reply: {
      type: 'object',
      properties: {
        provider: text(64),
        model: text(256),
        text: text(200_000),
        toolCalls: { type: 'array', items: toolCall, maxItems: 64 },
        usage,
        finishReason: { enum: ['stop', 'tool_calls', 'length', 'error'] },
        latencyMs: { type: 'number', minimum: 0 },
      },
      required: ['provider', 'model', 'toolCalls', 'usage', 'finishReason'],
      additionalProperties: false,
    },
    error: failure,
    policy: policyDecisions,
  },
  required: [...runRefRequired, 'purpose', 'attempt', 'messages', 'stepsLeft'],
  additionalProperties: false,
} as const;

export const planCreatedData = {
  type: 'object',
  properties: {
    ...runRef,
    plan: planSchema,
    assistant: messageSchema,
    usage,
    modelCall,
    error: failure,
    policy: policyDecisions,
  },
  required: runRefRequired,
  additionalProperties: false,
} as const;

export const stepRequestedData = {
  type: 'object',
  properties: {
    ...runRef,
    step,
    timeoutMs: { type: 'integer', minimum: 1, maximum: 3_600_000 },
    // A person approved this held call: the executor makes it without holding it again.
    approved: { type: 'boolean' },
  },
  required: [...runRefRequired, 'step', 'timeoutMs'],
  additionalProperties: false,
} as const;

export const stepCompletedData = {
  type: 'object',
  properties: {
    ...runRef,
    stepId: id,
    ok: { type: 'boolean' },
    output: {},
    error: failure,
    remember: { type: 'array', items: text(2_000), maxItems: 16 },
    durationMs: { type: 'number', minimum: 0 },
    policy: policyDecisions,
    // The call was not made: a policy holds it for a person's approval.
    held: {
      type: 'object',
      properties: {
        reason: text(2_000),
        policyId: id,
        policyVersion: text(64),
        ttlSeconds: { type: 'integer', minimum: 1, maximum: 604_800 },
        args: { type: 'object' },
      },
      required: ['reason', 'policyId', 'policyVersion', 'ttlSeconds', 'args'],
      additionalProperties: false,
    },
  },
  required: [...runRefRequired, 'stepId', 'ok', 'durationMs'],
  additionalProperties: false,
} as const;

export const runFinishedData = {
  type: 'object',
  properties: {
    tenant: id,
    runId: id,
    agentId: id,
    sessionId: id,
    status: { enum: ['completed', 'failed'] },
    output: text(200_000),
    error: failure,
    iterations: { type: 'integer', minimum: 0 },
    usage,
  },
  required: ['tenant', 'runId', 'agentId', 'sessionId', 'status', 'iterations', 'usage'],
  additionalProperties: false,
} as const;

/** A request to re-drive stalled runs; PingSource sends it on a schedule, with optional data. */
export const sweepRequestedData = {
  type: 'object',
  properties: {
    stallSeconds: { type: 'integer', minimum: 1, maximum: 86_400 },
  },
  additionalProperties: false,
} as const;

/** A policy decision about one tool or model call, published for audit systems. */
export const policyDecidedData = {
  type: 'object',
  properties: {
    ...runRef,
    call: {
      type: 'object',
      properties: {
        kind: { enum: ['tool', 'model'] },
        tool: text(128),
        stepId: id,
        purpose,
        attempt: { type: 'integer', minimum: 1, maximum: 10 },
        model: text(300),
      },
      required: ['kind'],
      additionalProperties: false,
    },
    decision: policyDecision,
  },
  required: [...runRefRequired, 'call', 'decision'],
  additionalProperties: false,
} as const;

/** A person's decision about a held call, from the api-gateway or another system. */
export const approvalDecidedData = {
  type: 'object',
  properties: {
    tenant: id,
    runId: id,
    stepId: id,
    // The iteration the held step belongs to; a decision for an earlier one no longer applies.
    iteration: { type: 'integer', minimum: 1, maximum: 1_000 },
    decision: { enum: ['approve', 'reject'] },
    comment: text(2_000),
  },
  required: ['tenant', 'runId', 'stepId', 'decision'],
  additionalProperties: false,
} as const;

export const modelDeltaData = {
  type: 'object',
  properties: {
    ...runRef,
    purpose,
    index: { type: 'integer', minimum: 0, maximum: 100_000 },
    text: text(20_000),
  },
  required: [...runRefRequired, 'purpose', 'index', 'text'],
  additionalProperties: false,
} as const;

/**
 * The JSON Schema of a policy file (`policies/<id>.yaml`) and its parsed shape. A policy is
 * data: which tools and models an agent may call, limits on tool arguments, what is redacted
 * before and after every call, and the run's budgets. The executor and orchestrator share it.
 */
import { ID_PATTERN } from '../ids';

/** The redactions DDO knows without a pattern of the user's. */
export const BUILTIN_REDACTIONS = ['email', 'phone', 'card', 'api_key', 'bearer'] as const;

/** One of the built-in redactions. */
export type BuiltinRedaction = (typeof BUILTIN_REDACTIONS)[number];

const names = { type: 'array', items: { type: 'string', minLength: 1, maxLength: 256 }, uniqueItems: true, maxItems: 256 } as const;

/** A limit on one argument of a tool; every field given must hold for the call to go ahead. */
const argumentConstraint = {
  type: 'object',
  properties: {
    // Host patterns for URL arguments: `api.example.com` exactly, or `*.example.com`.
    hosts: { type: 'array', items: { type: 'string', pattern: '^(\\*\\.)?[a-z0-9.-]+$' }, minItems: 1, maxItems: 256 },
    minimum: { type: 'number' },
    maximum: { type: 'number' },
    maxLength: { type: 'integer', minimum: 0 },
  },
  additionalProperties: false,
  minProperties: 1,
} as const;

/**
 * A call a person must approve before it is made: a tool name, or a tool with argument
 * conditions that must all match (the same fields as an argument limit, read as "holds when the
 * value satisfies it", for example `url: { hosts: ['*.internal'] }`).
 */
const holdRule = {
  oneOf: [
    { type: 'string', minLength: 1, maxLength: 128 },
    {
      type: 'object',
      properties: {
        tool: { type: 'string', minLength: 1, maxLength: 128 },
        when: { type: 'object', additionalProperties: argumentConstraint, minProperties: 1 },
        reason: { type: 'string', minLength: 1, maxLength: 500 },
      },
      required: ['tool'],
      additionalProperties: false,
    },
  ],
} as const;

/** How long a held call waits for a decision when the policy does not say. */
export const DEFAULT_APPROVAL_TTL_SECONDS = 3_600;

/** The schema every file in the policies folder must satisfy. */
export const policySchema = {
  type: 'object',
  properties: {
    id: { type: 'string', pattern: ID_PATTERN },
    version: { type: ['integer', 'string'], minLength: 1, maxLength: 64, minimum: 1 },
    description: { type: 'string', maxLength: 2_000 },
    match: {
      type: 'object',
      properties: { agents: names, tenants: names },
      additionalProperties: false,
    },
    tools: {
      type: 'object',
      properties: { allow: names, deny: names },
      additionalProperties: false,
    },
    models: {
      type: 'object',
      properties: { allow: names, deny: names },
      additionalProperties: false,
    },
    arguments: {
      type: 'object',
      additionalProperties: { type: 'object', additionalProperties: argumentConstraint },
    },
    redact: {
      type: 'object',
      properties: {
        builtins: { type: 'array', items: { enum: BUILTIN_REDACTIONS }, uniqueItems: true },
        patterns: {
          type: 'array',
          maxItems: 64,
          items: {
            type: 'object',
            properties: {
              name: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,63}$' },
              regex: { type: 'string', minLength: 1, maxLength: 1_000 },
            },
            required: ['name', 'regex'],
            additionalProperties: false,
          },
        },
      },
      additionalProperties: false,
    },
    hold: { type: 'array', items: holdRule, maxItems: 256 },
    approvalTtlSeconds: { type: 'integer', minimum: 1, maximum: 604_800 },
    budgets: {
      type: 'object',
      properties: {
        tokens: { type: 'integer', minimum: 1 },
        toolCalls: { type: 'integer', minimum: 0 },
        wallClockSeconds: { type: 'integer', minimum: 1, maximum: 86_400 },
        // Estimated cost in US dollars, from `prices`.
        costUsd: { type: 'number', exclusiveMinimum: 0 },
      },
      additionalProperties: false,
      minProperties: 1,
    },
    // Budgets per (tenant, agent) over fixed windows of `window` seconds, shared by every run.
    windowBudgets: {
      type: 'array',
      maxItems: 16,
      items: {
        type: 'object',
        properties: {
          window: { type: 'integer', minimum: 60, maximum: 2_592_000 },
          tokens: { type: 'integer', minimum: 1 },
          toolCalls: { type: 'integer', minimum: 0 },
          costUsd: { type: 'number', exclusiveMinimum: 0 },
        },
        required: ['window'],
        additionalProperties: false,
        minProperties: 2,
      },
    },
    // Price per 1000 tokens by `provider/model` pattern (`*` matches any run of characters).
    prices: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: {
          inputPer1k: { type: 'number', minimum: 0 },
          outputPer1k: { type: 'number', minimum: 0 },
        },
        required: ['inputPer1k', 'outputPer1k'],
        additionalProperties: false,
      },
      propertyNames: { minLength: 1, maxLength: 256 },
      maxProperties: 256,
    },
  },
  required: ['id', 'version'],
  additionalProperties: false,
} as const;

/** A limit on one tool argument. */
export interface ArgumentConstraint {
  hosts?: string[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
}

/** One `hold` rule as written: a tool name, or a tool with conditions on its arguments. */
export type HoldRule = string | { tool: string; when?: Record<string, ArgumentConstraint>; reason?: string };

/** Per-run budgets; a missing field is unlimited. */
export interface Budgets {
  tokens?: number;
  toolCalls?: number;
  wallClockSeconds?: number;
  /** Estimated cost in US dollars, from the price table (`prices`). */
  costUsd?: number;
}

/**
 * A budget of one agent for one tenant over fixed windows of `window` seconds (bucket =
 * floor(nowMs / (window * 1000))), shared by every run of that agent and tenant.
 */
export interface WindowBudget {
  window: number;
  tokens?: number;
  toolCalls?: number;
  /** Estimated cost in US dollars, from the price table (`prices`). */
  costUsd?: number;
}

/** What a model costs, in US dollars per 1000 tokens. */
export interface Price {
  inputPer1k: number;
  outputPer1k: number;
}

/** Prices by `provider/model` pattern; `*` matches any run of characters. */
export type PriceTable = Record<string, Price>;

/** A parsed and validated policy file. */
export interface PolicyDefinition {
  id: string;
  version: number | string;
  description?: string;
  /** Applies the policy to these agents (`*` for all) and, when given, only for these tenants. */
  match?: { agents?: string[]; tenants?: string[] };
  tools?: { allow?: string[]; deny?: string[] };
  /** `provider/name` patterns; `*` matches any run of characters. */
  models?: { allow?: string[]; deny?: string[] };
  arguments?: Record<string, Record<string, ArgumentConstraint>>;
  /** Absent: every built-in redaction. `builtins: []` switches them off. */
  redact?: { builtins?: BuiltinRedaction[]; patterns?: { name: string; regex: string }[] };
  budgets?: Budgets;
  /** Budgets per (tenant, agent) over time windows, next to the per-run `budgets`. */
  windowBudgets?: WindowBudget[];
  /** Prices of models, for estimated cost (`budgets.costUsd` and the run's `usage.costUsd`). */
  prices?: PriceTable;
  /** Calls that wait for a person's approval before they are made. */
  hold?: HoldRule[];
  /** How long a held call waits for a decision (default DEFAULT_APPROVAL_TTL_SECONDS). */
  approvalTtlSeconds?: number;
}

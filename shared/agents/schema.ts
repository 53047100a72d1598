/** The JSON Schema of an agent definition file (`agents/<id>.yaml`). */
import { ID_PATTERN } from '../ids';

/** The model providers the executor knows; `offline` needs no network and no credentials. */
export const MODEL_PROVIDERS = ['offline', 'openai', 'bedrock', 'watsonx'] as const;

const httpUrl = { type: 'string', pattern: '^https?://', maxLength: 2_048 } as const;

/** Options every provider understands; each provider adds its own connection settings. */
const commonOptions = {
  temperature: { type: 'number', minimum: 0, maximum: 2 },
  topP: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
  maxTokens: { type: 'integer', minimum: 1, maximum: 1_000_000 },
} as const;

// Options are checked per provider so a typo (`baseUrl` for `baseURL`) fails at start-up,
// naming the field, instead of being ignored at the first model call.
const optionsByProvider = {
  offline: {},
  openai: {
    baseURL: httpUrl,
    // Only *_API_KEY variables, so an agent file cannot send another secret as a bearer token.
    apiKeyEnv: { type: 'string', pattern: '^[A-Z][A-Z0-9_]*_API_KEY$', maxLength: 128 },
    maxCompletionTokens: { type: 'integer', minimum: 1, maximum: 1_000_000 },
  },
  bedrock: {
    region: { type: 'string', pattern: '^[a-z0-9-]{1,32}$' },
    endpoint: httpUrl,
  },
  watsonx: {
    serviceUrl: httpUrl,
    projectId: { type: 'string', minLength: 1, maxLength: 128 },
    spaceId: { type: 'string', minLength: 1, maxLength: 128 },
    version: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
  },
} as const;

/** One model: provider, model name and the provider's options. */
const modelRef = {
  type: 'object',
  properties: {
    provider: { enum: MODEL_PROVIDERS },
    name: { type: 'string', minLength: 1, maxLength: 256 },
    options: { type: 'object' },
  },
  required: ['provider', 'name'],
  additionalProperties: false,
  allOf: MODEL_PROVIDERS.map((provider) => ({
    if: { properties: { provider: { const: provider } }, required: ['provider'] },
    then: {
      properties: {
        options: {
          type: 'object',
          properties: { ...commonOptions, ...optionsByProvider[provider] },
          additionalProperties: false,
        },
      },
    },
  })),
} as const;

/** Models tried in order when the primary keeps failing with retryable errors. */
const fallbacks = { type: 'array', items: modelRef, maxItems: 4 } as const;

/** The schema every file in the agents folder must satisfy. */
export const agentSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', pattern: ID_PATTERN },
    description: { type: 'string', maxLength: 1_000 },
    instructions: { type: 'string', minLength: 1, maxLength: 32_000 },
    model: { ...modelRef, properties: { ...modelRef.properties, fallbacks } },
    tools: { type: 'array', items: { type: 'string' }, uniqueItems: true, maxItems: 64 },
    limits: {
      type: 'object',
      properties: {
        maxIterations: { type: 'integer', minimum: 1, maximum: 100 },
        maxSteps: { type: 'integer', minimum: 1, maximum: 1_000 },
        timeoutSeconds: { type: 'integer', minimum: 1, maximum: 86_400 },
        stepTimeoutSeconds: { type: 'integer', minimum: 1, maximum: 3_600 },
      },
      required: ['maxIterations', 'maxSteps', 'timeoutSeconds'],
      additionalProperties: false,
    },
    // Policies (policies/<id>.yaml) that govern every call of this agent, by id.
    policies: { type: 'array', items: { type: 'string', pattern: ID_PATTERN }, uniqueItems: true, maxItems: 16 },
    memory: {
      type: 'object',
      properties: {
        factScope: { enum: ['session', 'agent'] },
        historyTurns: { type: 'integer', minimum: 0, maximum: 1_000 },
      },
      additionalProperties: false,
    },
  },
  required: ['id', 'instructions', 'model', 'tools', 'limits'],
  additionalProperties: false,
} as const;

/** A model an agent uses: its provider, its name there and the provider's options. */
export interface ModelRef {
  provider: string;
  name: string;
  options?: Record<string, unknown>;
}

/** A parsed and validated agent file. */
export interface AgentDefinition {
  id: string;
  description?: string;
  instructions: string;
  model: ModelRef & { fallbacks?: ModelRef[] };
  tools: string[];
  limits: { maxIterations: number; maxSteps: number; timeoutSeconds: number; stepTimeoutSeconds?: number };
  memory?: { factScope?: 'session' | 'agent'; historyTurns?: number };
  /** Ids of the policies that govern this agent's calls. */
  policies?: string[];
}

export const DEFAULT_STEP_TIMEOUT_SECONDS = 30;
export const DEFAULT_HISTORY_TURNS = 20;

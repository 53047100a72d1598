/** The JSON Schema of an agent definition file (`agents/<id>.yaml`). */
import { ID_PATTERN } from '../ids';

export const agentSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', pattern: ID_PATTERN },
    description: { type: 'string', maxLength: 1_000 },
    instructions: { type: 'string', minLength: 1, maxLength: 32_000 },
    model: {
      type: 'object',
      properties: {
        provider: { type: 'string', minLength: 1, maxLength: 64 },
        name: { type: 'string', minLength: 1, maxLength: 256 },
        options: { type: 'object' },
      },
      required: ['provider', 'name'],
      additionalProperties: false,
    },
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

export interface AgentDefinition {
  id: string;
  description?: string;
  instructions: string;
  model: { provider: string; name: string; options?: Record<string, unknown> };
  tools: string[];
  limits: { maxIterations: number; maxSteps: number; timeoutSeconds: number; stepTimeoutSeconds?: number };
  memory?: { factScope?: 'session' | 'agent'; historyTurns?: number };
}

export const DEFAULT_STEP_TIMEOUT_SECONDS = 30;
export const DEFAULT_HISTORY_TURNS = 20;

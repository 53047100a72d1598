/**
 * The Secrets DDO's functions read, declared once: which keys, in which Secret, for which single
 * function. The Knative Services map each key to an environment variable of the same name, and
 * the deployment check proves every key is mapped and no other function can read it.
 */
import type { FunctionId } from './topology';

/** Provider credentials; only the executor, the one function with a way out, holds them. */
export const EXECUTOR_SECRET_KEYS = [
  'OPENAI_API_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_BEARER_TOKEN_BEDROCK',
  'WATSONX_AI_APIKEY',
  'WATSONX_AI_PROJECT_ID',
] as const;

/** The memory store's connection (Redis over TCP, or Upstash over REST); only memory holds it. */
export const MEMORY_SECRET_KEYS = [
  'REDIS_URL',
  'UPSTASH_REDIS_REST_URL',
  'UPSTASH_REDIS_REST_TOKEN',
] as const;

/** The api-gateway's tenant:key pairs. */
export const API_GATEWAY_SECRET_KEYS = ['DDO_API_KEYS'] as const;

/** One Secret, the function that may read it and the keys that function reads from it. */
export interface DeploySecret {
  name: string;
  owner: FunctionId;
  keys: readonly string[];
  /**
   * Whether each key may be absent: provider credentials are per provider (an agent that uses
   * only Bedrock needs no OpenAI key), while a gateway without API keys cannot start.
   */
  areKeysOptional: boolean;
}

/** Every Secret the manifests reference; `kubectl create secret generic` makes them (see README). */
export const DEPLOY_SECRETS: readonly DeploySecret[] = [
  { name: 'ddo-executor-providers', owner: 'executor', keys: EXECUTOR_SECRET_KEYS, areKeysOptional: true },
  { name: 'ddo-memory-store', owner: 'memory', keys: MEMORY_SECRET_KEYS, areKeysOptional: true },
  { name: 'ddo-api-keys', owner: 'api-gateway', keys: API_GATEWAY_SECRET_KEYS, areKeysOptional: false },
];

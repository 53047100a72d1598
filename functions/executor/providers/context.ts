/** What every network provider is built with: the egress policy and the environment to read. */
import type { EgressPolicy } from '../egress';

/** Shared inputs of the network providers; `env` is injected so tests need not touch process.env. */
export interface ProviderContext {
  policy: EgressPolicy;
  env: NodeJS.ProcessEnv;
}

/** A target model, for error messages: `openai model gpt-4o-mini: …`. */
export interface ModelTarget {
  provider: string;
  model: string;
}

/** Reads a string option from an agent's `model.options`. */
export function stringOption(options: Record<string, unknown> | undefined, key: string): string | undefined {
  const value = options?.[key];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** Reads an environment variable, treating blank as unset. */
export function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

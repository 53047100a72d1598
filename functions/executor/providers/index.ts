/**
 * Model providers by name. Only the executor loads this module. Each network provider's
 * module, and through it its SDK, is required on first use, so a function or a cold start that
 * never calls a provider never pays for its import (openai, Bedrock and watsonx add roughly
 * 25 to 80 ms each).
 */
import { ConfigError } from '../../../shared/errors';
import type { ModelProvider } from '../../../shared/model/types';
import type { ProviderContext } from './context';
import { OfflineProvider } from './offline';

export type { ProviderContext } from './context';

/** Builds one provider; called at most once per registry. */
export type ProviderFactory = (ctx: ProviderContext) => ModelProvider;

const FACTORIES: Record<string, ProviderFactory> = {
  offline: () => new OfflineProvider(),
  openai: (ctx) => new (require('./openai') as typeof import('./openai')).OpenAIProvider(ctx),
  bedrock: (ctx) => new (require('./bedrock') as typeof import('./bedrock')).BedrockProvider(ctx),
  watsonx: (ctx) => new (require('./watsonx') as typeof import('./watsonx')).WatsonxProvider(ctx),
};

/** The providers of one executor, built lazily and kept. */
export interface ProviderRegistry {
  /** Returns the provider named in an agent's `model.provider`; throws ConfigError if unknown. */
  get(name: string): ModelProvider;
}

/** Creates a registry; `overrides` replace or add factories (tests use scripted providers). */
export function createProviderRegistry(
  ctx: ProviderContext,
  overrides: Record<string, ProviderFactory> = {},
): ProviderRegistry {
  const factories = { ...FACTORIES, ...overrides };
  const instances = new Map<string, ModelProvider>();
  return {
    get(name) {
      let provider = instances.get(name);
      if (!provider) {
        const factory = Object.hasOwn(factories, name) ? factories[name] : undefined;
        if (!factory) {
          const known = Object.keys(factories).join(', ');
          throw new ConfigError(`Unknown model provider ${JSON.stringify(name)}; use one of ${known}.`);
        }
        provider = factory(ctx);
        instances.set(name, provider);
      }
      return provider;
    },
  };
}

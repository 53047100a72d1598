/**
 * Model providers by name. Only the executor loads this module; each provider's SDK is loaded
 * on first use so a function that never calls a provider never pays for its import.
 */
import { ConfigError } from '../../../shared/errors';
import type { ModelProvider } from '../../../shared/model/types';
import { OfflineProvider } from './offline';

const factories: Record<string, () => ModelProvider> = {
  offline: () => new OfflineProvider(),
};

const instances = new Map<string, ModelProvider>();

/** Returns the provider named in an agent's `model.provider`. */
export function providerFor(name: string): ModelProvider {
  let provider = instances.get(name);
  if (!provider) {
    const factory = factories[name];
    if (!factory) throw new ConfigError(`Unknown model provider ${JSON.stringify(name)}; use one of ${Object.keys(factories).join(', ')}.`);
    provider = factory();
    instances.set(name, provider);
  }
  return provider;
}

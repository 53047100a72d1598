/**
 * The hooks of an executor: the built-in ones, then the user's modules named in DDO_HOOKS
 * (comma-separated paths, relative to the working directory). A module exports a CallHooks
 * object, an array of them, or a function returning either (as `default` or `hooks`). A module
 * that cannot be loaded stops start-up, naming it.
 */
import path from 'node:path';
import { ConfigError } from '../../../shared/errors';
import type { Logger } from '../../../shared/log';
import { loggingHooks, metricsHooks, tracingHooks } from './builtin';
import type { CallHooks } from './types';

function asHooks(value: unknown, where: string): CallHooks[] {
  const resolved = typeof value === 'function' ? (value as () => unknown)() : value;
  const list = Array.isArray(resolved) ? resolved : [resolved];
  return list.map((h, i) => {
    const hook = h as Partial<CallHooks> | null;
    const methods = ['before', 'after', 'onError'] as const;
    if (!hook || typeof hook !== 'object' || !methods.some((m) => typeof hook[m] === 'function')) {
      throw new ConfigError(`${where}: export ${i + 1} is not a hook object with before, after or onError.`);
    }
    return { name: hook.name ?? `${path.basename(where)}#${i + 1}`, ...hook } as CallHooks;
  });
}

/** Loads the built-in hooks and every module in DDO_HOOKS. */
export function loadHooks(log: Logger, env: NodeJS.ProcessEnv = process.env): CallHooks[] {
  const hooks = [tracingHooks(), metricsHooks(), loggingHooks(log, env)];
  const modules = (env.DDO_HOOKS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const m of modules) {
    const full = path.resolve(m);
    let loaded: Record<string, unknown>;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- user modules named by configuration
      loaded = require(full) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`DDO_HOOKS names ${m}, which could not be loaded: ${(err as Error).message}`);
    }
    hooks.push(...asHooks(loaded.default ?? loaded.hooks ?? loaded, m));
  }
  return hooks;
}

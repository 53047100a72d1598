/**
 * Runs a tool or model call between its hooks. Hooks run in order; each one's failure is logged
 * with its name and swallowed, so the call and the step carry on whatever a hook does.
 */
import type { Logger } from '../../../shared/log';
import type { CallFailure, CallHooks, CallInfo, CallResult } from './types';

type Stage = 'before' | 'after' | 'onError';

async function each(hooks: readonly CallHooks[], log: Logger, stage: Stage, call: CallInfo, arg: unknown): Promise<void> {
  for (const hook of hooks) {
    const fn = hook[stage] as ((c: CallInfo, a: unknown) => void | Promise<void>) | undefined;
    if (!fn) continue;
    try {
      await fn.call(hook, call, arg);
    } catch (err) {
      log.warn({ hook: hook.name, stage, runId: call.runId, err: { message: (err as Error)?.message } }, 'a call hook failed; ignored');
    }
  }
}

/**
 * Runs `fn` with the hooks around it. `describe` turns fn's value into the result the `after`
 * hooks see; `failure` turns a thrown error into what `onError` hooks see. Errors are rethrown.
 */
export async function withHooks<T>(
  hooks: readonly CallHooks[],
  log: Logger,
  call: CallInfo,
  input: unknown,
  fn: () => Promise<T>,
  describe: (value: T, durationMs: number) => CallResult,
  failure: (err: unknown, durationMs: number) => CallFailure,
): Promise<T> {
  await each(hooks, log, 'before', call, input);
  const started = performance.now();
  try {
    const value = await fn();
    await each(hooks, log, 'after', call, describe(value, performance.now() - started));
    return value;
  } catch (err) {
    await each(hooks, log, 'onError', call, failure(err, performance.now() - started));
    throw err;
  }
}

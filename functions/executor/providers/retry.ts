/**
 * Retries of one model, done once here for every provider (each SDK's own retries are off),
 * so backoff, Retry-After and time bounds behave the same on OpenAI, Bedrock and watsonx.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ModelCallError, scrub } from './failure';

/** How hard to try one model before failing over, and how long a model turn may take. */
export interface RetryPolicy {
  /** Retries after the first attempt, per model. */
  maxRetries: number;
  /** First backoff delay; it doubles per retry, with jitter. */
  baseDelayMs: number;
  /** Longest single wait. A Retry-After beyond it fails over instead of waiting. */
  maxDelayMs: number;
  /** How long one attempt may take (DDO_MODEL_TIMEOUT_MS). */
  timeoutMs: number;
  /** How long one model turn may take in all: attempts, waits and fallbacks. */
  budgetMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 2,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  timeoutMs: 120_000,
  budgetMs: 300_000,
};

/** Called before each wait, for logs and tests. */
export type RetryObserver = (err: ModelCallError, delayMs: number, attempt: number) => void;

/** The backoff before retry number `retry` (0-based): base·2^retry, jittered into [½, 1]. */
export function backoffMs(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const full = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.round(full / 2 + (full / 2) * random());
}

/**
 * Runs `attempt` until it succeeds, fails with an error retrying cannot fix, runs out of
 * retries, or would pass `deadline`. Each attempt gets its own timeout signal; a timeout
 * becomes a retryable ModelCallError of kind `timeout`.
 */
export async function withRetries<T>(
  target: { provider: string; model: string },
  attempt: (signal: AbortSignal) => Promise<T>,
  policy: RetryPolicy,
  deadline: number,
  onRetry?: RetryObserver,
): Promise<T> {
  for (let retry = 0; ; retry++) {
    const remainingMs = deadline - Date.now();
    const timeoutMs = Math.max(1, Math.min(policy.timeoutMs, remainingMs));
    const signal = AbortSignal.timeout(timeoutMs);
    let failure: ModelCallError;
    try {
      return await raceAbort(attempt(signal), signal);
    } catch (err) {
      failure = signal.aborted
        ? new ModelCallError(target, 'timeout', `no answer within ${timeoutMs} ms`)
        : asModelCallError(target, err);
    }

    if (!failure.isRetryable || retry >= policy.maxRetries) throw failure;
    const delayMs = failure.retryAfterMs ?? backoffMs(policy, retry);
    // Waiting less than Retry-After asks again too early; waiting longer breaks the bound.
    if (delayMs > policy.maxDelayMs || Date.now() + delayMs >= deadline) throw failure;
    onRetry?.(failure, delayMs, retry + 1);
    await sleep(delayMs);
  }
}

/** Rejects as soon as `signal` aborts, even if `promise` (an SDK call) ignores the signal. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** Anything a provider let through unmapped is treated as a fault retrying cannot fix. */
function asModelCallError(target: { provider: string; model: string }, err: unknown): ModelCallError {
  if (err instanceof ModelCallError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ModelCallError(target, 'bad_request', `unexpected failure: ${scrub(message)}`);
}

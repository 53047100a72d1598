/**
 * The executor's model-call settings, each declared once: per-attempt timeout, retries with
 * backoff per model, and the bound on a whole model turn (all attempts, waits and fallbacks).
 */
import { parse, type SettingsSpec } from '../../shared/config';
import { DEFAULT_RETRY_POLICY } from './providers/retry';

export const retrySettings = {
  modelTimeoutMs: {
    env: 'DDO_MODEL_TIMEOUT_MS',
    default: DEFAULT_RETRY_POLICY.timeoutMs,
    parse: parse.int(100, 3_600_000),
    doc: 'How long one model call (one attempt) may take before it fails and is retried.',
  },
  modelMaxRetries: {
    env: 'DDO_MODEL_MAX_RETRIES',
    default: DEFAULT_RETRY_POLICY.maxRetries,
    parse: parse.int(0, 10),
    doc: 'Retries per model on 429, 5xx, timeouts and connection errors before failing over.',
  },
  modelRetryBaseMs: {
    env: 'DDO_MODEL_RETRY_BASE_MS',
    default: DEFAULT_RETRY_POLICY.baseDelayMs,
    parse: parse.int(1, 60_000),
    doc: 'First backoff delay; it doubles per retry, with jitter, unless Retry-After says otherwise.',
  },
  modelRetryMaxDelayMs: {
    env: 'DDO_MODEL_RETRY_MAX_DELAY_MS',
    default: DEFAULT_RETRY_POLICY.maxDelayMs,
    parse: parse.int(1, 600_000),
    doc: 'Longest single wait; a Retry-After beyond it fails over to the next model instead.',
  },
  modelBudgetMs: {
    env: 'DDO_MODEL_BUDGET_MS',
    default: DEFAULT_RETRY_POLICY.budgetMs,
    parse: parse.int(100, 3_600_000),
    doc: 'How long one model turn may take in all: every attempt, wait and fallback.',
  },
} satisfies SettingsSpec;

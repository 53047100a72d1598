/** Small factories and helpers the memory store tests share. */
import type { Fact, HistoryMessage, MemoryStore, RunDocument } from '../../functions/memory/store/types';

/** Values that a careless encoding would change on the way back. */
export const TRICKY_STRINGS: readonly string[] = [
  '12345678901234567890',
  '{"a":1}',
  '[1,2]',
  'true',
  'null',
  '123',
  '-0',
  '1e3',
  '',
  ' ',
  'OK',
  'T0s=',
  '👩‍🚀🚀',
  '漢字とかな',
  'e\u0301 n\u0303',
  'line\nbreak\ttab',
  '"quoted" \\ back',
  '\u0000nul',
  'lone \ud800 surrogate',
];

let counter = 0;

/** A fresh id, unique within this test process. */
export function uniqueId(prefix: string): string {
  counter += 1;
  return `${prefix}_${counter}`;
}

/** A run document with the fields the store reads. */
export function makeRun(runId: string, overrides: Partial<RunDocument> = {}): RunDocument {
  const at = '2025-01-01T00:00:00.000Z';
  return { runId, agentId: 'demo', status: 'running', createdAt: at, updatedAt: at, ...overrides };
}

/** A fact, optionally expiring at `expiresAt`. */
export function makeFact(id: string, text: string, expiresAt?: string): Fact {
  return { id, text, createdAt: '2025-01-01T00:00:00.000Z', ...(expiresAt ? { expiresAt } : {}) };
}

/** One run's question and answer. */
export function turn(runId: string, n: number): HistoryMessage[] {
  return [
    { role: 'user', content: `question ${n}`, runId, at: '2025-01-01T00:00:00.000Z' },
    { role: 'assistant', content: `answer ${n}`, runId, at: '2025-01-01T00:00:01.000Z' },
  ];
}

/** Resolves after `ms`; only for waiting out real expiry times in Redis. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Calls `fn` until it resolves or `timeoutMs` passes, then rethrows its last error. */
export async function eventually<T>(
  fn: () => Promise<T>,
  timeoutMs = 10_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(everyMs);
    }
  }
}

/**
 * Increments `counter` in the run state with compare-and-set, re-reading after each lost race,
 * and logs one `inc` entry per success. Resolves with how many attempts it took.
 */
export async function incrementWithRetry(
  store: MemoryStore,
  tenant: string,
  runId: string,
  writer: number,
): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const stored = await store.getRun(tenant, runId);
    if (!stored) throw new Error(`run ${runId} is missing`);
    const state = { ...stored.state, counter: Number(stored.state.counter) + 1 };
    try {
      await store.commitRun(tenant, runId, stored.version, state, [{ type: 'inc', writer }]);
      return attempt;
    } catch (err) {
      if ((err as { reason?: string }).reason !== 'conflict') throw err;
    }
  }
}

/**
 * Window budgets and the memory store: a run reads its agent's totals for the current bucket of
 * each window when it starts, and adds its own use when it finishes (engine.ts `flush`).
 */
import { estimateCostUsd, windowBucket, type RunBudget, type UsageTotals } from '../../shared/policy/budget';
import type { MemoryClient } from './memory-client';
import type { RunState } from './run-state';

/** The distinct windows (seconds) of a budget's window budgets. */
const windowsOf = (budget: RunBudget | undefined): number[] => [...new Set((budget?.windows ?? []).map((w) => w.window))];

/** The agent's totals in the current bucket of each window budget, by window; undefined without any. */
export async function readWindowUsage(
  memory: MemoryClient,
  budget: RunBudget | undefined,
  tenant: string,
  agentId: string,
  nowMs: number,
): Promise<Record<string, UsageTotals> | undefined> {
  const windows = windowsOf(budget);
  if (windows.length === 0) return undefined;
  const totals = await Promise.all(windows.map((window) => memory.readUsage(tenant, agentId, { window, bucket: windowBucket(window, nowMs) })));
  return Object.fromEntries(windows.map((w, i) => [String(w), totals[i]]));
}

/**
 * Adds a finished run's tokens, estimated cost and tool calls to the bucket of each window its
 * budget has, at the time it finished. A final flush re-sent after a crash (a redelivered last
 * event) would count the run twice; recording the run id in the counter would lift that.
 */
export async function addWindowUsage(memory: MemoryClient, state: RunState): Promise<void> {
  const windows = windowsOf(state.budget);
  if (windows.length === 0) return;
  const usage: UsageTotals = {
    tokens: state.usage.inputTokens + state.usage.outputTokens,
    costUsd: estimateCostUsd(state.prices, state.usageByModel) ?? 0,
    toolCalls: state.stepsUsed,
  };
  if (usage.tokens === 0 && usage.costUsd === 0 && usage.toolCalls === 0) return;
  const at = Date.parse(state.completedAt ?? state.updatedAt);
  await Promise.all(windows.map((window) => memory.addUsage(state.tenant, state.agentId, { window, bucket: windowBucket(window, at) }, usage)));
}

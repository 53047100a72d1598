/**
 * Per-run budgets (tokens, estimated cost, tool calls, wall-clock time) as pure checks the orchestrator makes
 * before it asks for the next model or tool call, and the note that tells the model what is
 * left. Token use of the next call is estimated from its prompt (about four characters a token);
 * its cost is that estimate at the input price of the priciest model the run may call.
 *
 * Window budgets (`windowBudgets`) are per (tenant, agent) over fixed windows: the run reads the
 * window's totals from the memory store when it starts, and a call is refused when the window's
 * total plus this run's use so far plus the call would cross the window budget. A finished run
 * adds its use to the window's counter (engine.ts `flush`).
 */
import type { ChatMessage, Usage } from '../model/types';
import { globMatches } from './match';
import type { Budgets, Price, PriceTable, WindowBudget } from './schema';

/** The budget a run carries: the tightest limits of its policies, and which policies set them. */
export interface RunBudget extends Budgets {
  policies: string[];
  /** The window budgets of its policies, each with the policy (`id@version`) that set it. */
  windows?: (WindowBudget & { policy: string })[];
}

/** What an agent used in one window bucket (or what a run adds to it). */
export interface UsageTotals {
  tokens: number;
  costUsd: number;
  toolCalls: number;
}

/** The fixed-window bucket `nowMs` falls in. */
export const windowBucket = (windowSeconds: number, nowMs: number): number => Math.floor(nowMs / (windowSeconds * 1_000));

/** What a run has used so far. */
export interface BudgetUse {
  usage: Usage;
  toolCalls: number;
  startedAtMs: number;
  /** Estimated cost so far in US dollars (`estimateCostUsd`); absent without a price table. */
  costUsd?: number;
  /** The price the next model call is estimated at; absent when no model of the run is priced. */
  nextPrice?: Price;
  /** What other runs of the agent used in each window (by window seconds) when this run started. */
  windowUsage?: Record<string, UsageTotals>;
}

/** The next call the run would make. */
export type NextCall = { kind: 'model'; messages: ChatMessage[] } | { kind: 'tools'; count: number };

/** Why a run stops: the budget crossed and a sentence that says by what. */
export interface BudgetStop {
  budget: 'tokens' | 'costUsd' | 'toolCalls' | 'wallClockSeconds';
  message: string;
  /** The window (seconds) of the window budget crossed; absent for a per-run budget. */
  window?: number;
}

const CHARS_PER_TOKEN = 4;

/** A rough token count of a prompt; providers tokenise differently, so it errs on the high side. */
export function estimateTokens(messages: readonly ChatMessage[]): number {
  return Math.ceil(JSON.stringify(messages).length / CHARS_PER_TOKEN);
}

/** The price of `model` (`provider/name`): an exact entry, else the first pattern that matches. */
export function priceOf(prices: PriceTable | undefined, model: string): Price | undefined {
  if (!prices) return undefined;
  if (prices[model]) return prices[model];
  const pattern = Object.keys(prices).find((p) => globMatches(p, model));
  return pattern === undefined ? undefined : prices[pattern];
}

/** The priciest (by input price) of `models` that has a price, for estimating the next call. */
export function priciest(prices: PriceTable | undefined, models: readonly string[]): Price | undefined {
  let out: Price | undefined;
  for (const m of models) {
    const p = priceOf(prices, m);
    if (p && (!out || p.inputPer1k > out.inputPer1k)) out = p;
  }
  return out;
}

/** Tokens used per `provider/model`, as the run state keeps them. */
export type UsageByModel = Record<string, Usage & { provider: string; model: string }>;

/**
 * The estimated cost in US dollars of the tokens in `usageByModel`, or undefined without a price
 * table. Models the table does not price count as free.
 */
export function estimateCostUsd(prices: PriceTable | undefined, usageByModel: UsageByModel | undefined): number | undefined {
  if (!prices) return undefined;
  let total = 0;
  for (const row of Object.values(usageByModel ?? {})) {
    const price = priceOf(prices, `${row.provider}/${row.model}`);
    if (price) total += (row.inputTokens * price.inputPer1k + row.outputTokens * price.outputPer1k) / 1_000;
  }
  return roundUsd(total);
}

/** Dollars to a millionth, so sums of small prices stay readable. */
export const roundUsd = (usd: number): number => Math.round(usd * 1e6) / 1e6;

/** What is left of each limited budget at `nowMs`. */
export function remaining(budget: RunBudget, use: BudgetUse, nowMs: number): Budgets {
  const out: Budgets = {};
  if (budget.tokens !== undefined) out.tokens = Math.max(0, budget.tokens - use.usage.inputTokens - use.usage.outputTokens);
  if (budget.costUsd !== undefined) out.costUsd = Math.max(0, roundUsd(budget.costUsd - (use.costUsd ?? 0)));
  if (budget.toolCalls !== undefined) out.toolCalls = Math.max(0, budget.toolCalls - use.toolCalls);
  if (budget.wallClockSeconds !== undefined) {
    out.wallClockSeconds = Math.max(0, Math.floor(budget.wallClockSeconds - (nowMs - use.startedAtMs) / 1_000));
  }
  return out;
}

/** The stop the next call would cause, or undefined when it fits every budget. */
export function budgetStop(budget: RunBudget | undefined, use: BudgetUse, next: NextCall, nowMs: number): BudgetStop | undefined {
  if (!budget) return undefined;

  const left = remaining(budget, use, nowMs);
  const by = `the budget of ${budget.policies.join(', ')}`;
  // The estimate serialises the whole conversation, so it is made at most once per check.
  let estimate: number | undefined;
  const tokensOfNext = () => (estimate ??= next.kind === 'model' ? estimateTokens(next.messages) : 0);
  if (left.wallClockSeconds === 0) {
    return { budget: 'wallClockSeconds', message: `The run used its ${budget.wallClockSeconds} seconds of wall-clock time (${by}).` };
  }
  if (next.kind === 'tools' && left.toolCalls !== undefined && next.count > left.toolCalls) {
    return { budget: 'toolCalls', message: `The plan needs ${next.count} tool calls but ${left.toolCalls} of ${budget.toolCalls} remain (${by}).` };
  }
  if (next.kind === 'model' && left.tokens !== undefined) {
    const needed = tokensOfNext();
    if (needed > left.tokens) {
      return { budget: 'tokens', message: `The next model call needs about ${needed} tokens but ${left.tokens} of ${budget.tokens} remain (${by}).` };
    }
  }
  if (next.kind === 'model' && budget.costUsd !== undefined) {
    const spent = use.costUsd ?? 0;
    const needed = use.nextPrice ? roundUsd((tokensOfNext() * use.nextPrice.inputPer1k) / 1_000) : 0;
    if (spent + needed > budget.costUsd) {
      return {
        budget: 'costUsd',
        message: `The next model call would cost about $${needed} but $${left.costUsd} of the $${budget.costUsd} cost budget remain (${by}).`,
      };
    }
  }
  return windowStop(budget, use, next, tokensOfNext);
}

/** The stop the next call would cause against a window budget: window total + this run + next. */
function windowStop(budget: RunBudget, use: BudgetUse, next: NextCall, tokensOfNext: () => number): BudgetStop | undefined {
  for (const w of budget.windows ?? []) {
    const before = use.windowUsage?.[String(w.window)] ?? { tokens: 0, costUsd: 0, toolCalls: 0 };
    const name = (what: string, limit: number | string) => `the agent's ${w.window}-second ${what} budget of ${limit}`;
    const by = `${w.policy}; ${before.tokens} tokens, $${roundUsd(before.costUsd)} and ${before.toolCalls} tool calls used by earlier runs in this window`;
    if (next.kind === 'tools' && w.toolCalls !== undefined) {
      const used = before.toolCalls + use.toolCalls;
      if (used + next.count > w.toolCalls) {
        const left = Math.max(0, w.toolCalls - used);
        return { budget: 'toolCalls', window: w.window, message: `The plan needs ${next.count} tool calls but ${left} remain of ${name('tool-call', w.toolCalls)} (${by}).` };
      }
    }
    if (next.kind !== 'model') continue;
    const tokens = tokensOfNext();
    if (w.tokens !== undefined) {
      const used = before.tokens + use.usage.inputTokens + use.usage.outputTokens;
      if (used + tokens > w.tokens) {
        const left = Math.max(0, w.tokens - used);
        return { budget: 'tokens', window: w.window, message: `The next model call needs about ${tokens} tokens but ${left} remain of ${name('token', w.tokens)} (${by}).` };
      }
    }
    if (w.costUsd !== undefined) {
      const spent = roundUsd(before.costUsd + (use.costUsd ?? 0));
      const needed = use.nextPrice ? roundUsd((tokens * use.nextPrice.inputPer1k) / 1_000) : 0;
      if (spent + needed > w.costUsd) {
        const left = Math.max(0, roundUsd(w.costUsd - spent));
        return { budget: 'costUsd', window: w.window, message: `The next model call would cost about $${needed} but $${left} remain of ${name('cost', `$${w.costUsd}`)} (${by}).` };
      }
    }
  }
  return undefined;
}

/** The sentence appended to the system message so the planner and REFLECT see what is left. */
export function budgetNote(budget: RunBudget, use: BudgetUse, nowMs: number): string {
  const left = remaining(budget, use, nowMs);
  const parts = [
    left.tokens !== undefined ? `about ${left.tokens} tokens` : '',
    left.costUsd !== undefined ? `about $${left.costUsd} of estimated cost` : '',
    left.toolCalls !== undefined ? `${left.toolCalls} tool calls` : '',
    left.wallClockSeconds !== undefined ? `${left.wallClockSeconds} seconds` : '',
    ...(budget.windows ?? []).map((w) => windowLeft(w, use)),
  ].filter(Boolean);
  return `Budget left for this run: ${parts.join(', ')}. Finish early or choose a cheaper path if it runs short.`;
}

/** What is left of one window budget, as a phrase of the budget note. */
function windowLeft(w: NonNullable<RunBudget['windows']>[number], use: BudgetUse): string {
  const before = use.windowUsage?.[String(w.window)] ?? { tokens: 0, costUsd: 0, toolCalls: 0 };
  const parts = [
    w.tokens !== undefined ? `about ${Math.max(0, w.tokens - before.tokens - use.usage.inputTokens - use.usage.outputTokens)} tokens` : '',
    w.costUsd !== undefined ? `about $${Math.max(0, roundUsd(w.costUsd - before.costUsd - (use.costUsd ?? 0)))}` : '',
    w.toolCalls !== undefined ? `${Math.max(0, w.toolCalls - before.toolCalls - use.toolCalls)} tool calls` : '',
  ].filter(Boolean);
  return parts.length > 0 ? `${parts.join(', ')} of the agent's ${w.window}-second budget` : '';
}

/** `messages` with the budget note added to the system message (a copy; the run keeps its own). */
export function withBudgetNote(messages: ChatMessage[], note: string): ChatMessage[] {
  const i = messages.findIndex((m) => m.role === 'system');
  if (i < 0) return [{ role: 'system', content: note }, ...messages];
  const copy = [...messages];
  copy[i] = { role: 'system', content: `${(copy[i] as { content: string }).content}\n\n${note}` };
  return copy;
}

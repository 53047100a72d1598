/**
 * Per-run budgets (tokens, estimated cost, tool calls, wall-clock time) as pure checks the orchestrator makes
 * before it asks for the next model or tool call, and the note that tells the model what is
 * left. Token use of the next call is estimated from its prompt (about four characters a token);
 * its cost is that estimate at the input price of the priciest model the run may call.
 *
 * Budgets are per run; per-agent or per-tenant budgets over a time window would need a counter
 * per window in the memory store, shared by every run of that agent or tenant.
 */
import type { ChatMessage, Usage } from '../model/types';
import { globMatches } from './match';
import type { Budgets, Price, PriceTable } from './schema';

/** The budget a run carries: the tightest limits of its policies, and which policies set them. */
export interface RunBudget extends Budgets {
  policies: string[];
}

/** What a run has used so far. */
export interface BudgetUse {
  usage: Usage;
  toolCalls: number;
  startedAtMs: number;
  /** Estimated cost so far in US dollars (`estimateCostUsd`); absent without a price table. */
  costUsd?: number;
  /** The price the next model call is estimated at; absent when no model of the run is priced. */
  nextPrice?: Price;
}

/** The next call the run would make. */
export type NextCall = { kind: 'model'; messages: ChatMessage[] } | { kind: 'tools'; count: number };

/** Why a run stops: the budget crossed and a sentence that says by what. */
export interface BudgetStop {
  budget: 'tokens' | 'costUsd' | 'toolCalls' | 'wallClockSeconds';
  message: string;
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
  if (left.wallClockSeconds === 0) {
    return { budget: 'wallClockSeconds', message: `The run used its ${budget.wallClockSeconds} seconds of wall-clock time (${by}).` };
  }
  if (next.kind === 'tools' && left.toolCalls !== undefined && next.count > left.toolCalls) {
    return { budget: 'toolCalls', message: `The plan needs ${next.count} tool calls but ${left.toolCalls} of ${budget.toolCalls} remain (${by}).` };
  }
  if (next.kind === 'model' && left.tokens !== undefined) {
    const needed = estimateTokens(next.messages);
    if (needed > left.tokens) {
      return { budget: 'tokens', message: `The next model call needs about ${needed} tokens but ${left.tokens} of ${budget.tokens} remain (${by}).` };
    }
  }
  if (next.kind === 'model' && budget.costUsd !== undefined) {
    const spent = use.costUsd ?? 0;
    const needed = use.nextPrice ? roundUsd((estimateTokens(next.messages) * use.nextPrice.inputPer1k) / 1_000) : 0;
    if (spent + needed > budget.costUsd) {
      return {
        budget: 'costUsd',
        message: `The next model call would cost about $${needed} but $${left.costUsd} of the $${budget.costUsd} cost budget remain (${by}).`,
      };
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
  ].filter(Boolean);
  return `Budget left for this run: ${parts.join(', ')}. Finish early or choose a cheaper path if it runs short.`;
}

/** `messages` with the budget note added to the system message (a copy; the run keeps its own). */
export function withBudgetNote(messages: ChatMessage[], note: string): ChatMessage[] {
  const i = messages.findIndex((m) => m.role === 'system');
  if (i < 0) return [{ role: 'system', content: note }, ...messages];
  const copy = [...messages];
  copy[i] = { role: 'system', content: `${(copy[i] as { content: string }).content}\n\n${note}` };
  return copy;
}

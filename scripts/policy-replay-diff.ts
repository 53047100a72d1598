/**
 * The pure half of `npm run policy:replay`: given a recorded run (its view and event log) and
 * the policies to try, says what those policies would have decided differently. Nothing is
 * called: tool arguments and outputs come from the record, and decisions from the same pure
 * evaluation the executor uses (functions/executor/policy/evaluate.ts).
 *
 * Limit: the run view holds the arguments and outputs of the latest iteration's steps only
 * (earlier iterations' steps appear in the event log without them), and model messages are
 * not stored, so earlier steps are judged by tool name alone and prompt redaction is not
 * replayed. Storing each iteration's steps in the run document would lift the first limit.
 */
import { afterTool, beforeModel, beforeTool } from '../functions/executor/policy/evaluate';
import type { RunView } from '../functions/orchestrator/run-state';
import { estimateCostUsd } from '../shared/policy/budget';
import { budgetsOf, pricesOf, type Policy } from '../shared/policy/registry';

/** One difference between what happened and what the policies would have decided. */
export interface ReplayChange {
  kind: 'allow_to_deny' | 'deny_to_allow' | 'newly_held' | 'no_longer_held' | 'new_redaction' | 'budget_stop' | 'model_denied';
  /** The step, `iteration/stepId` for earlier iterations, or the model or budget concerned. */
  where: string;
  detail: string;
}

/** A log entry as the event stream carries it. */
export type LogEntry = Record<string, unknown> & { type?: string };

interface RecordedCall {
  where: string;
  tool: string;
  args?: Record<string, unknown>;
  output?: unknown;
  wasDenied: boolean;
  wasHeld: boolean;
  /** Whether the call was made (so its output may be judged). */
  wasMade: boolean;
}

/** The tool calls of a run: the latest plan from the view, earlier ones from the log. */
export function recordedCalls(run: RunView, log: readonly LogEntry[]): RecordedCall[] {
  const byStep = new Map<string, RecordedCall>();
  let iteration = 1;
  for (const e of log) {
    if (e.type === 'phase' && typeof e.iteration === 'number') iteration = e.iteration;
    if (typeof e.stepId !== 'string' || typeof e.tool !== 'string') continue;
    const where = `${iteration}/${e.stepId}`;
    const call = byStep.get(where) ?? { where, tool: e.tool, wasDenied: false, wasHeld: false, wasMade: false };
    if (e.type === 'policy' && e.outcome === 'deny') call.wasDenied = true;
    if (e.type === 'approval' && e.state === 'requested') call.wasHeld = true;
    if (e.type === 'step' && e.status === 'succeeded') call.wasMade = true;
    const error = e.error as { reason?: string } | undefined;
    if (e.type === 'step' && error?.reason === 'policy_denied') call.wasDenied = true;
    byStep.set(where, call);
  }
  for (const s of run.steps) {
    const where = `${run.iterations}/${s.id}`;
    const known = byStep.get(where) ?? { where, tool: s.tool, wasDenied: s.error?.reason === 'policy_denied', wasHeld: false, wasMade: s.status === 'succeeded' };
    byStep.set(where, { ...known, args: s.args, output: s.output, wasMade: known.wasMade || s.status === 'succeeded' });
  }
  return [...byStep.values()];
}

/** What `policies` would have changed about the recorded run. */
export function replayRun(run: RunView, log: readonly LogEntry[], policies: readonly Policy[]): ReplayChange[] {
  const changes: ReplayChange[] = [];
  for (const call of recordedCalls(run, log)) {
    const before = beforeTool(policies, call.tool, call.args ?? {});
    const label = call.args ? call.where : `${call.where} (tool name only: arguments not recorded)`;
    if (before.denied && !call.wasDenied) changes.push({ kind: 'allow_to_deny', where: label, detail: `${call.tool}: ${before.denied.reason} (${before.denied.policyId}, ${before.denied.rule})` });
    if (!before.denied && call.wasDenied) changes.push({ kind: 'deny_to_allow', where: label, detail: `${call.tool} would be allowed` });
    if (before.held && !call.wasHeld) changes.push({ kind: 'newly_held', where: label, detail: `${call.tool}: ${before.held.reason} (${before.held.policyId})` });
    if (!before.held && !before.denied && call.wasHeld) changes.push({ kind: 'no_longer_held', where: label, detail: `${call.tool} would run without approval` });
    if (before.denied || before.held) continue;
    const outgoing = redactedKinds(before.decisions);
    if (outgoing) changes.push({ kind: 'new_redaction', where: label, detail: `${call.tool} arguments: ${outgoing}` });
    if (!call.wasMade || call.output === undefined) continue;
    const incoming = redactedKinds(afterTool(policies, { output: call.output }).decisions);
    if (incoming) changes.push({ kind: 'new_redaction', where: label, detail: `${call.tool} result: ${incoming}` });
  }
  for (const m of run.usage.byModel) {
    const ev = beforeModel(policies, [{ provider: m.provider, name: m.model }], []);
    if (ev.denied) changes.push({ kind: 'model_denied', where: `${m.provider}/${m.model}`, detail: `${ev.denied.reason} (${ev.denied.policyId})` });
  }
  changes.push(...budgetChanges(run, log, policies));
  return changes;
}

/** The budgets the run would have crossed, judged on its totals (not call by call). */
function budgetChanges(run: RunView, log: readonly LogEntry[], policies: readonly Policy[]): ReplayChange[] {
  const budget = budgetsOf(policies);
  if (!budget) return [];
  const out: ReplayChange[] = [];
  const by = budget.policies.join(', ');
  const tokens = run.usage.inputTokens + run.usage.outputTokens;
  const toolCalls = log.filter((e) => e.type === 'step' && e.status === 'running').length || run.steps.length;
  const seconds = (Date.parse(run.completedAt ?? run.updatedAt) - Date.parse(run.createdAt)) / 1_000;
  if (budget.tokens !== undefined && tokens > budget.tokens) out.push({ kind: 'budget_stop', where: 'tokens', detail: `used ${tokens}, budget ${budget.tokens} (${by})` });
  if (budget.toolCalls !== undefined && toolCalls > budget.toolCalls) out.push({ kind: 'budget_stop', where: 'toolCalls', detail: `made ${toolCalls}, budget ${budget.toolCalls} (${by})` });
  if (budget.costUsd !== undefined) {
    // Priced with the tried policies' table, not the one the run had.
    const byModel = Object.fromEntries(run.usage.byModel.map((r) => [`${r.provider}/${r.model}`, r]));
    const cost = estimateCostUsd(pricesOf(policies), byModel) ?? 0;
    if (cost > budget.costUsd) out.push({ kind: 'budget_stop', where: 'costUsd', detail: `cost about $${cost}, budget $${budget.costUsd} (${by})` });
  }
  if (budget.wallClockSeconds !== undefined && seconds > budget.wallClockSeconds) {
    out.push({ kind: 'budget_stop', where: 'wallClockSeconds', detail: `took ${seconds.toFixed(1)} s, budget ${budget.wallClockSeconds} s (${by})` });
  }
  return out;
}

function redactedKinds(decisions: readonly { outcome: string; redactions?: Record<string, number> }[]): string | undefined {
  const kinds = decisions.filter((d) => d.outcome === 'redact').flatMap((d) => Object.entries(d.redactions ?? {}).map(([k, n]) => `${n} ${k}`));
  return kinds.length > 0 ? `would redact ${kinds.join(', ')}` : undefined;
}

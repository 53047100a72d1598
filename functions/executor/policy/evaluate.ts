/**
 * Policy evaluation around one call, as pure functions: before a tool or model call (allow or
 * deny the tool or model, check the arguments, redact what goes out) and after it (redact what
 * comes back). Each governing policy yields one decision per stage; the first deny wins.
 */
import { createHash } from 'node:crypto';
import type { ModelRef } from '../../../shared/agents/schema';
import type { ChatMessage, ModelReply } from '../../../shared/model/types';
import { redactionCount, redactValue } from '../../../shared/policy/redact';
import type { PolicyDecisionData } from '../../../shared/events/catalogue';
import type { Policy } from '../../../shared/policy/registry';
import { globMatches, hostMatches } from '../../../shared/policy/match';
import { DEFAULT_APPROVAL_TTL_SECONDS, type ArgumentConstraint, type HoldRule } from '../../../shared/policy/schema';

/**
 * What one policy decided at one stage of one call; this is what the audit records. It is the
 * event catalogue's shape, so what the executor decides is exactly what the events carry.
 */
export type PolicyDecision = PolicyDecisionData;

/** The (possibly redacted) value to go on with, every decision, and the deny if there was one. */
export interface Evaluation<T> {
  value: T;
  decisions: PolicyDecision[];
  denied?: PolicyDecision;
  /** Set when a policy holds the call for a person's approval; the call is not made. */
  held?: PolicyDecision & { ttlSeconds: number };
}

/** A sha256 (hex) of a JSON value. */
export function sha256Of(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value) ?? 'undefined').digest('hex');
}


/** Why `value` breaks `limit`, or undefined when it holds. */
function violation(name: string, value: unknown, limit: ArgumentConstraint): [string, string] | undefined {
  if (limit.hosts) {
    let host: string | undefined;
    try {
      host = new URL(String(value)).hostname.toLowerCase();
    } catch {
      host = undefined;
    }
    if (!host || !limit.hosts.some((p) => hostMatches(p, host))) {
      return ['hosts', `${name} must point at ${limit.hosts.join(', ')}, not ${host ?? 'an unparsable URL'}`];
    }
  }
  if (typeof value === 'number' && limit.minimum !== undefined && value < limit.minimum) return ['minimum', `${name} must be at least ${limit.minimum}`];
  if (typeof value === 'number' && limit.maximum !== undefined && value > limit.maximum) return ['maximum', `${name} must be at most ${limit.maximum}`];
  const size = typeof value === 'string' ? value.length : value === undefined ? 0 : JSON.stringify(value).length;
  if (limit.maxLength !== undefined && size > limit.maxLength) return ['maxLength', `${name} must be at most ${limit.maxLength} characters, not ${size}`];
  return undefined;
}

/** Checks whether `policy` lets the tool run with `args`; a reason sentence when it does not. */
function toolDenial(policy: Policy, tool: string, args: Record<string, unknown>): { rule: string; reason: string } | undefined {
  if (policy.tools?.deny?.includes(tool)) return { rule: 'tools.deny', reason: `the tool ${tool} is denied` };
  if (policy.tools?.allow && !policy.tools.allow.includes(tool)) return { rule: 'tools.allow', reason: `the tool ${tool} is not allowed` };
  for (const [arg, limit] of Object.entries(policy.arguments?.[tool] ?? {})) {
    if (args[arg] === undefined) continue;
    const broken = violation(arg, args[arg], limit);
    if (broken) return { rule: `arguments.${tool}.${arg}.${broken[0]}`, reason: broken[1] };
  }
  return undefined;
}

const version = (p: Policy) => String(p.version);

/** The first of `policy`'s hold rules that catches this call: its index and reason sentence. */
function holdRuleFor(policy: Policy, tool: string, args: Record<string, unknown>): { rule: string; reason: string } | undefined {
  const rules: HoldRule[] = policy.hold ?? [];
  for (const [i, r] of rules.entries()) {
    const rule = typeof r === 'string' ? { tool: r } : r;
    if (rule.tool !== tool) continue;
    // A condition matches when the argument is present and satisfies the limit as written.
    const conditions = Object.entries(rule.when ?? {});
    if (!conditions.every(([arg, limit]) => args[arg] !== undefined && !violation(arg, args[arg], limit))) continue;
    const what = conditions.length > 0 ? ` with ${conditions.map(([arg]) => arg).join(', ')} as given` : '';
    return { rule: `hold.${i}`, reason: rule.reason ?? `the call of ${tool}${what} needs a person's approval` };
  }
  return undefined;
}

/** Redacts `value` with each policy in turn, recording one allow or redact decision per policy. */
function redactAll<T>(policies: readonly Policy[], stage: 'before' | 'after', value: T, hash: string): Evaluation<T> {
  const decisions: PolicyDecision[] = [];
  let current = value;
  for (const p of policies) {
    const { value: next, counts } = redactValue(current, p.rules);
    current = next;
    const redacted = redactionCount(counts) > 0;
    decisions.push({ policyId: p.id, policyVersion: version(p), stage, outcome: redacted ? 'redact' : 'allow', inputSha256: hash, ...(redacted ? { redactions: counts } : {}) });
  }
  return { value: current, decisions };
}

/**
 * Before a tool call: may it run with these arguments, and what arguments does it get? A deny
 * wins over a hold; a hold applies only until a person approved the call (`isApproved`). A held
 * call's value is its arguments redacted, as the person deciding may see them.
 */
export function beforeTool(
  policies: readonly Policy[],
  tool: string,
  args: Record<string, unknown>,
  opts: { isApproved?: boolean } = {},
): Evaluation<Record<string, unknown>> {
  const hash = sha256Of({ tool, args });
  for (const p of policies) {
    const denial = toolDenial(p, tool, args);
    if (!denial) continue;
    const denied: PolicyDecision = { policyId: p.id, policyVersion: version(p), stage: 'before', outcome: 'deny', inputSha256: hash, ...denial };
    return { value: args, decisions: [denied], denied };
  }
  const redacted = redactAll(policies, 'before', args, hash);
  if (opts.isApproved) return redacted;
  for (const p of policies) {
    const hold = holdRuleFor(p, tool, args);
    if (!hold) continue;
    const decision: PolicyDecision = { policyId: p.id, policyVersion: version(p), stage: 'before', outcome: 'hold', inputSha256: hash, ...hold };
    const ttlSeconds = p.approvalTtlSeconds ?? DEFAULT_APPROVAL_TTL_SECONDS;
    return { value: redacted.value, decisions: [decision], held: { ...decision, ttlSeconds } };
  }
  return redacted;
}

/** After a tool call: its output and the facts it wants remembered, redacted. */
export function afterTool<T extends { output: unknown; remember?: string[] }>(policies: readonly Policy[], result: T): Evaluation<T> {
  return redactAll(policies, 'after', result, sha256Of(result));
}

/**
 * Before a model call: the agent's chain less the models a policy refuses (a denial only when
 * none is left), and the messages redacted.
 */
export function beforeModel(policies: readonly Policy[], chain: readonly ModelRef[], messages: ChatMessage[]): Evaluation<{ chain: ModelRef[]; messages: ChatMessage[] }> {
  const hash = sha256Of(messages);
  let allowed = [...chain];
  for (const p of policies) {
    const refused = (m: ModelRef) => {
      const name = `${m.provider}/${m.name}`;
      return (p.models?.deny ?? []).some((g) => globMatches(g, name)) || (p.models?.allow !== undefined && !p.models.allow.some((g) => globMatches(g, name)));
    };
    allowed = allowed.filter((m) => !refused(m));
    if (allowed.length > 0) continue;
    const names = chain.map((m) => `${m.provider}/${m.name}`).join(', ');
    const denied: PolicyDecision = { policyId: p.id, policyVersion: version(p), stage: 'before', outcome: 'deny', inputSha256: hash, rule: 'models', reason: `the model ${names} is not allowed` };
    return { value: { chain: allowed, messages }, decisions: [denied], denied };
  }
  const redacted = redactAll(policies, 'before', messages, hash);
  return { ...redacted, value: { chain: allowed, messages: redacted.value } };
}

/** After a model call: its text and its tool calls' arguments, redacted. */
export function afterModel<T extends Pick<ModelReply, 'text' | 'toolCalls'>>(policies: readonly Policy[], reply: T): Evaluation<T> {
  const { text, toolCalls } = reply;
  const redacted = redactAll(policies, 'after', { text, toolCalls }, sha256Of({ text, toolCalls }));
  return { ...redacted, value: { ...reply, ...redacted.value } };
}

/** The sentence a denied call fails with; the model reads it on REFLECT. */
export function denialMessage(d: PolicyDecision, what: string): string {
  return `Policy ${d.policyId} (version ${d.policyVersion}) denied ${what}: ${d.reason}. Try another way.`;
}

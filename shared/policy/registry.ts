/**
 * Loads every policy from DDO_POLICIES_DIR (default `./policies`) once per process, and says
 * which policies govern an agent's run. A bad file is fatal at start-up with a message naming
 * the file and the field, as agent files are (shared/agents/registry.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { readConfigFile } from '../config-file';
import type { AgentDefinition } from '../agents/schema';
import { ConfigError } from '../errors';
import { redactionRules, redactText, type RedactionRule } from './redact';
import type { RunBudget } from './budget';
import { policySchema, type PolicyDefinition, type PriceTable } from './schema';

/** A loaded policy with its redaction rules compiled. */
export interface Policy extends PolicyDefinition {
  rules: RedactionRule[];
}

/** Every policy of the process, by id. */
export type PolicyRegistry = ReadonlyMap<string, Policy>;

const cache = new Map<string, PolicyRegistry>();

/** The policies folder for this process. */
export function policiesDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.DDO_POLICIES_DIR ?? path.join(process.cwd(), 'policies'));
}

/** Reads and validates every `*.yaml`/`*.yml` file in `dir`; a missing folder means no policies. */
export function loadPolicies(dir: string = policiesDir()): PolicyRegistry {
  const cached = cache.get(dir);
  if (cached) return cached;

  const registry = new Map<string, Policy>();
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort() : [];
  for (const file of files) {
    const policy = parsePolicyFile(path.join(dir, file));
    registry.set(policy.id, policy);
  }
  cache.set(dir, registry);
  return registry;
}

/** Parses and validates one policy file. */
export function parsePolicyFile(file: string): Policy {
  const policy = readConfigFile<PolicyDefinition>(file, policySchema);
  policy.redact?.patterns?.forEach((p, i) => {
    try {
      new RegExp(p.regex, 'g');
    } catch (err) {
      throw new ConfigError(`${file}: field redact/patterns/${i}/regex is not a valid regular expression: ${(err as Error).message}`, { file });
    }
  });
  return { ...policy, rules: redactionRules(policy.redact) };
}

/** Fails start-up when an agent names a policy that does not exist. */
export function checkAgentPolicies(agents: Iterable<AgentDefinition>, policies: PolicyRegistry): void {
  for (const agent of agents) {
    agent.policies?.forEach((id, i) => {
      if (!policies.has(id)) {
        throw new ConfigError(`agent ${agent.id}: field policies/${i} names unknown policy ${JSON.stringify(id)}; add policies/${id}.yaml.`);
      }
    });
  }
}

const listed = (list: string[] | undefined, value: string) => list?.some((x) => x === '*' || x === value) ?? false;

/**
 * The policies governing `agent` for `tenant`: those the agent file names, then those whose
 * `match` names the agent (or `*`) and, when it lists tenants, the tenant. Order is stable.
 */
export function policiesFor(registry: PolicyRegistry, agent: Pick<AgentDefinition, 'id' | 'policies'>, tenant: string): Policy[] {
  const out: Policy[] = [];
  for (const id of agent.policies ?? []) {
    const p = registry.get(id);
    if (p && (!p.match?.tenants || listed(p.match.tenants, tenant))) out.push(p);
  }
  for (const p of registry.values()) {
    if (out.includes(p) || !listed(p.match?.agents, agent.id)) continue;
    if (p.match?.tenants && !listed(p.match.tenants, tenant)) continue;
    out.push(p);
  }
  return out;
}

/** The tightest of the budgets of `policies`, with the policy each limit came from. */
export function budgetsOf(policies: readonly Policy[]): RunBudget | undefined {
  const out: RunBudget = { policies: [] };
  for (const p of policies) {
    if (!p.budgets && !p.windowBudgets?.length) continue;
    const name = `${p.id}@${p.version}`;
    out.policies.push(name);
    for (const key of ['tokens', 'toolCalls', 'wallClockSeconds', 'costUsd'] as const) {
      const v = p.budgets?.[key];
      if (v !== undefined) out[key] = Math.min(out[key] ?? v, v);
    }
    // Every window budget is kept with its policy; checking each one enforces the tightest.
    for (const w of p.windowBudgets ?? []) (out.windows ??= []).push({ ...w, policy: name });
  }
  return out.policies.length > 0 ? out : undefined;
}

/**
 * The price table of `policies`: every pattern any of them prices; when two price the same
 * pattern, the higher price wins, so an estimate errs on the high side. Undefined when none does.
 */
export function pricesOf(policies: readonly Policy[]): PriceTable | undefined {
  const out: PriceTable = {};
  for (const p of policies) {
    for (const [pattern, price] of Object.entries(p.prices ?? {})) {
      const had = out[pattern];
      out[pattern] = had
        ? { inputPer1k: Math.max(had.inputPer1k, price.inputPer1k), outputPer1k: Math.max(had.outputPer1k, price.outputPer1k) }
        : { inputPer1k: price.inputPer1k, outputPer1k: price.outputPer1k };
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Applies every policy's redaction to a text (the orchestrator uses it on a run's input). */
export function redactWith(policies: readonly Policy[], text: string): string {
  return policies.reduce((t, p) => redactText(t, p.rules), text);
}

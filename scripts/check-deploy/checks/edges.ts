/**
 * The permitted-edge proof: computes who may call whom from the ALLOW AuthorizationPolicies, the
 * way Istio evaluates them, and compares that set with shared/deploy/mesh.ts PERMITTED_EDGES in
 * both directions. A workload no ALLOW policy selects accepts every caller unless its namespace
 * has a default deny; a rule without `from` admits anyone.
 *
 * Edges to the broker ingress are computed for DDO's broker path only: the ingress is shared with
 * other namespaces' brokers, whose paths are not DDO's business. DENY policies can only remove
 * calls, so they cannot add an edge and the proof does not need them.
 *
 * @see https://istio.io/latest/docs/concepts/security/#allow-deny-and-audit-precedence
 */
import {
  BROKER_INGRESS_WORKLOADS,
  BROKER_PATH,
  EGRESS_GATEWAY,
  EXTERNAL_PRINCIPALS,
  KNATIVE_SERVING_NAMESPACE,
  formatEdge,
  principalOf,
  type ExternalCaller,
  type WorkloadSelector,
} from '../../../shared/deploy/mesh';
import { NAMESPACE } from '../../../shared/deploy/topology';
import type { ProfileContext } from '../context';
import type { Manifest } from '../manifests';
import { dig, list, ofKind, record, selects, strings, text } from '../objects';
import { Findings } from '../report';
import type { Violation } from '../violation';

/** A workload AuthorizationPolicies select, under its name in the edge matrix. */
export interface PolicyTarget {
  party: string;
  selector: WorkloadSelector;
}

/** The edges allowed into one target, each with the policies that allow it. */
export interface TargetEdges {
  target: PolicyTarget;
  edges: Map<string, Manifest[]>;
}

const POLICY_FILE = 'istio/authorization.yaml';
const EGRESS_POLICY_FILE = 'istio/egress-gateway.yaml';

/**
 * The workloads the edge matrix names as callees, with the labels policies select them by. The
 * ingress gateway is not one: it is the public entry, open to anyone by design.
 */
export function policyTargets(ctx: ProfileContext): PolicyTarget[] {
  const egress = { namespace: EGRESS_GATEWAY.namespace, labels: EGRESS_GATEWAY.labels };
  return [
    ...ctx.facts.functions.map((f) => ({
      party: f.id,
      selector: { namespace: NAMESPACE, labels: { 'serving.knative.dev/service': f.service } },
    })),
    ...BROKER_INGRESS_WORKLOADS.map((selector) => ({ party: 'broker-ingress', selector })),
    { party: 'egress-gateway', selector: egress },
  ];
}

/** Whether an Istio string match (exact, `prefix*`, `*suffix` or `*`) matches `value`. */
export function istioMatch(pattern: string, value: string): boolean {
  if (pattern === '*') return value !== '';
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith('*')) return value.endsWith(pattern.slice(1));
  return pattern === value;
}

/** An ALLOW policy with no selector and no rules: its namespace refuses what nothing else allows. */
export function isDefaultDeny(p: Manifest): boolean {
  const spec = record(p.body.spec);
  const action = text(spec.action) ?? 'ALLOW';
  return action === 'ALLOW' && spec.selector === undefined && list(spec.rules).length === 0;
}

/** Computes the edges a profile's policies allow into each target. */
export function computeEdges(ctx: ProfileContext): TargetEdges[] {
  const policies = ofKind(ctx.manifests, 'AuthorizationPolicy', 'security.istio.io');
  const allow = policies.filter((p) => (text(dig(p.body, 'spec', 'action')) ?? 'ALLOW') === 'ALLOW');
  const deniedByDefault = new Set(policies.filter(isDefaultDeny).map((p) => p.namespace));
  const parties = partyOfPrincipal(ctx);

  return policyTargets(ctx).map((target) => {
    const edges = new Map<string, Manifest[]>();
    const add = (edge: string, policy?: Manifest): void => {
      edges.set(edge, [...(edges.get(edge) ?? []), ...(policy ? [policy] : [])]);
    };
    const selecting = allow.filter((p) => appliesTo(p, target.selector));
    if (selecting.length === 0 && !deniedByDefault.has(target.selector.namespace)) {
      add(formatEdge('*', target.party));
    }
    const fixedPath = target.party === 'broker-ingress' ? BROKER_PATH : undefined;
    for (const policy of selecting) {
      for (const rule of list(dig(policy.body, 'spec', 'rules')).map(record)) {
        const scope = pathScope(rule, fixedPath);
        if (scope === 'no-match') continue;
        for (const from of ruleSources(rule, parties)) add(formatEdge(from, target.party, scope), policy);
      }
    }
    return { target, edges };
  });
}

/** Proves the allowed edges equal the permitted ones, and that only the executor may leave. */
export function checkEdges(ctx: ProfileContext): Violation[] {
  const computed = computeEdges(ctx);
  const found = new Findings();
  const policyFile = ofKind(ctx.manifests, 'AuthorizationPolicy')[0]?.file ?? POLICY_FILE;
  reportExtraEdges(ctx, computed, found, policyFile);
  reportMissingEdges(ctx, computed, found, policyFile);
  reportEgressCallers(ctx, computed, found);
  return found.list;
}

function reportExtraEdges(
  ctx: ProfileContext,
  computed: TargetEdges[],
  found: Findings,
  file: string,
): void {
  const permitted = new Set(ctx.facts.permittedEdges);
  const reported = new Set<string>();
  for (const [edge, origins] of computed.flatMap(({ edges }) => [...edges])) {
    if (permitted.has(edge) || reported.has(edge)) continue;
    reported.add(edge);
    if (origins.length === 0) {
      const to = edge.split(' -> ')[1];
      found.at(
        file,
        'AuthorizationPolicy/(none)',
        `The call ${edge} is allowed: no ALLOW policy selects ${to} and its namespace has no default deny`,
        `Select ${to} with ALLOW policies for its permitted callers only`,
      );
    }
    for (const policy of new Set(origins)) {
      found.about(policy)(
        `It allows the call ${edge}, which is not a permitted edge`,
        'Remove that caller from the policy, or, if the call is intended, add the edge to PERMITTED_EDGES ' +
          'in shared/deploy/mesh.ts',
      );
    }
  }
}

function reportMissingEdges(
  ctx: ProfileContext,
  computed: TargetEdges[],
  found: Findings,
  file: string,
): void {
  const calleeOf = (edge: string): string => edge.split(' -> ')[1].split(' [')[0];
  for (const { target, edges } of computed) {
    const labels = JSON.stringify(target.selector.labels);
    const where = `${target.selector.namespace} ${labels}`;
    for (const edge of ctx.facts.permittedEdges.filter((e) => calleeOf(e) === target.party)) {
      if (edges.has(edge)) continue;
      found.at(
        file,
        'AuthorizationPolicy/(none)',
        `The permitted call ${edge} is not allowed by any policy selecting ${where}`,
        `Add an ALLOW policy in namespace ${target.selector.namespace} selecting ${labels} with source ` +
          sourceOf(ctx, edge.split(' -> ')[0]),
      );
    }
  }
}

function reportEgressCallers(ctx: ProfileContext, computed: TargetEdges[], found: Findings): void {
  const account = ctx.facts.functions.find((f) => f.id === 'executor')?.serviceAccount ?? 'ddo-executor';
  const executor = principalOf(NAMESPACE, account);
  for (const { target, edges } of computed.filter((t) => t.target.party === 'egress-gateway')) {
    for (const [edge, origins] of edges) {
      const caller = edge.split(' -> ')[0];
      if (caller === 'executor') continue;
      const labels = JSON.stringify(target.selector.labels);
      const problem =
        `Only the executor's principal (${executor}) may use the egress gateway, but ${caller} can`;
      const fix = `Admit nothing but ${executor} in the ALLOW policies selecting ${labels}`;
      if (origins.length === 0) found.at(EGRESS_POLICY_FILE, 'AuthorizationPolicy/(none)', problem, fix);
      for (const policy of new Set(origins)) found.about(policy)(problem, fix);
    }
  }
}

// How an ALLOW rule names a caller of the matrix.
function sourceOf(ctx: ProfileContext, caller: string): string {
  const fn = ctx.facts.functions.find((f) => f.id === caller);
  if (fn) return `principals [${principalOf(NAMESPACE, fn.serviceAccount)}]`;
  if (caller === 'knative-serving') return `namespaces [${KNATIVE_SERVING_NAMESPACE}]`;
  const external = EXTERNAL_PRINCIPALS[caller as ExternalCaller];
  return external ? `principals [${external.join(', ')}]` : caller;
}

function appliesTo(policy: Manifest, selector: WorkloadSelector): boolean {
  if (policy.namespace !== selector.namespace) return false;
  return selects(strings(dig(policy.body, 'spec', 'selector', 'matchLabels')), selector.labels);
}

function partyOfPrincipal(ctx: ProfileContext): Map<string, string> {
  const map = new Map<string, string>();
  for (const f of ctx.facts.functions) map.set(principalOf(NAMESPACE, f.serviceAccount), f.id);
  for (const [party, principals] of Object.entries(EXTERNAL_PRINCIPALS)) {
    for (const p of principals) map.set(p, party);
  }
  return map;
}

// The callers a rule admits, by party name. An unknown principal stays as it is; anything broader
// than named principals or namespaces (no `from`, wildcards, only negative matches) is `*`.
function ruleSources(rule: Record<string, unknown>, parties: Map<string, string>): string[] {
  const sources = list(rule.from).map((f) => record(record(f).source));
  if (sources.length === 0) return ['*'];
  return sources.flatMap((src) => {
    const principals = list(src.principals).map(String);
    const namespaces = list(src.namespaces).map(String);
    if (principals.length > 0) return principals.map((p) => (p.includes('*') ? '*' : (parties.get(p) ?? p)));
    if (namespaces.length === 0) return ['*'];
    return namespaces.map((ns) => {
      if (ns.includes('*')) return '*';
      return ns === KNATIVE_SERVING_NAMESPACE ? 'knative-serving' : `namespace:${ns}`;
    });
  });
}

// The paths a rule limits its edge to ([] for all), or 'no-match' when `fixedPath` is given and
// the rule cannot match it.
function pathScope(rule: Record<string, unknown>, fixedPath?: string): string[] | 'no-match' {
  const operations = list(rule.to).map((t) => record(record(t).operation));
  if (operations.length === 0) return [];
  if (fixedPath !== undefined) {
    const canMatch = operations.some((op) => {
      const paths = list(op.paths).map(String);
      const notPaths = list(op.notPaths).map(String);
      const isIn = paths.length === 0 || paths.some((p) => istioMatch(p, fixedPath));
      return isIn && !notPaths.some((p) => istioMatch(p, fixedPath));
    });
    return canMatch ? [] : 'no-match';
  }
  if (operations.some((op) => list(op.paths).length === 0)) return [];
  return [...new Set(operations.flatMap((op) => list(op.paths).map(String)))];
}

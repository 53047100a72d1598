/**
 * The mesh's other hard rules: mTLS STRICT, a default deny, sidecars that know only registered
 * hosts (and, for the isolated functions, not even the way out), NetworkPolicies that keep pods
 * inside the cluster, and the JWT tenant header set by the ingress gateway alone.
 */
import {
  EGRESS_GATEWAY,
  EXTERNAL_PRINCIPALS,
  INGRESS_GATEWAY,
  ISOLATED_FUNCTIONS,
  JWT_HEADER,
  TENANT_CLAIM,
  TENANT_HEADER,
} from '../../../shared/deploy/mesh';
import { NAMESPACE } from '../../../shared/deploy/topology';
import type { ProfileContext } from '../context';
import type { Manifest } from '../manifests';
import { dig, list, ofKind, record, selects, strings, text } from '../objects';
import { Findings } from '../report';
import type { Violation } from '../violation';
import { isDefaultDeny } from './edges';

/** All mesh-hardening checks of one profile. */
export function checkMesh(ctx: ProfileContext): Violation[] {
  const found = new Findings();
  checkMtls(ctx, found);
  checkDefaultDeny(ctx, found);
  checkSidecars(ctx, found);
  checkNetworkPolicies(ctx, found);
  checkTenantHeader(ctx, found);
  return found.list;
}

const inNamespace = (manifests: Manifest[]): Manifest[] => manifests.filter((m) => m.namespace === NAMESPACE);

function checkMtls(ctx: ProfileContext, found: Findings): void {
  const all = inNamespace(ofKind(ctx.manifests, 'PeerAuthentication', 'security.istio.io'));
  const fix = `Set spec.mtls.mode: STRICT (and no portLevelMtls) on the PeerAuthentication of ${NAMESPACE}`;
  const namespaceWide = all.find((p) => dig(p.body, 'spec', 'selector') === undefined);
  if (!namespaceWide) {
    const problem = `Namespace ${NAMESPACE} has no PeerAuthentication, so plaintext is accepted`;
    found.at('istio/peer-authentication.yaml', 'PeerAuthentication/(none)', problem, fix);
  }
  for (const p of all) {
    const mode = text(dig(p.body, 'spec', 'mtls', 'mode')) ?? (p === namespaceWide ? 'unset' : undefined);
    const portLevel = Object.values(record(dig(p.body, 'spec', 'portLevelMtls')));
    const ports = portLevel.map((v) => text(record(v).mode));
    const weak = [mode, ...ports].filter((m) => m !== undefined && m !== 'STRICT');
    if (weak.length > 0) found.about(p)(`mTLS is ${weak.join(', ')}, not STRICT`, fix);
  }
}

function checkDefaultDeny(ctx: ProfileContext, found: Findings): void {
  const policies = ofKind(ctx.manifests, 'AuthorizationPolicy', 'security.istio.io');
  if (inNamespace(policies).some(isDefaultDeny)) return;
  found.at(
    policies[0]?.file ?? 'istio/authorization.yaml',
    'AuthorizationPolicy/(none)',
    `Namespace ${NAMESPACE} has no default deny, so a workload no ALLOW policy selects accepts every caller`,
    `Add an AuthorizationPolicy allow-nothing in namespace ${NAMESPACE} with spec: {}`,
  );
}

function checkSidecars(ctx: ProfileContext, found: Findings): void {
  const sidecars = inNamespace(ofKind(ctx.manifests, 'Sidecar', 'networking.istio.io'));
  const namespaceDefault = sidecars.find((s) => dig(s.body, 'spec', 'workloadSelector') === undefined);
  if (!namespaceDefault) {
    found.at(
      'istio/outbound.yaml',
      'Sidecar/(none)',
      `Namespace ${NAMESPACE} has no default Sidecar`,
      `Add a Sidecar without workloadSelector in ${NAMESPACE} with outboundTrafficPolicy.mode REGISTRY_ONLY`,
    );
  }
  for (const s of sidecars) {
    const mode = text(dig(s.body, 'spec', 'outboundTrafficPolicy', 'mode'));
    if (mode === 'REGISTRY_ONLY') continue;
    found.about(s)(
      `Its outbound traffic policy is ${mode ?? 'unset'}, not REGISTRY_ONLY`,
      'Set spec.outboundTrafficPolicy.mode: REGISTRY_ONLY',
    );
  }

  // The isolated functions must not even see the egress gateway or the declared external hosts.
  const externalNamespaces = new Set(ofKind(ctx.manifests, 'ServiceEntry').map((e) => e.namespace));
  for (const id of ISOLATED_FUNCTIONS) {
    const service = ctx.facts.functions.find((f) => f.id === id)?.service ?? `ddo-${id}`;
    const selectsIt = (s: Manifest): boolean =>
      strings(dig(s.body, 'spec', 'workloadSelector', 'labels'))['serving.knative.dev/service'] === service;
    const sidecar = sidecars.find(selectsIt) ?? namespaceDefault;
    if (!sidecar) continue;
    const hosts = list(dig(sidecar.body, 'spec', 'egress')).flatMap((e) => list(record(e).hosts).map(String));
    const leaks = hosts.filter((h) => {
      const ns = h.split('/')[0] === '.' ? sidecar.namespace : h.split('/')[0];
      return ns === '*' || ns === EGRESS_GATEWAY.namespace || externalNamespaces.has(ns);
    });
    if (leaks.length === 0) continue;
    found.about(sidecar)(
      `${service} must have no path out of the mesh, but Sidecar ${sidecar.name} lets it see ` +
        leaks.join(', '),
      `Give ${service} its own Sidecar whose egress hosts exclude ${EGRESS_GATEWAY.namespace}/* and the ` +
        "ServiceEntries' namespace",
    );
  }
}

function checkNetworkPolicies(ctx: ProfileContext, found: Findings): void {
  const policies = inNamespace(ofKind(ctx.manifests, 'NetworkPolicy', 'networking.k8s.io'));
  const coversAllPods = (p: Manifest): boolean =>
    Object.keys(strings(dig(p.body, 'spec', 'podSelector', 'matchLabels'))).length === 0 &&
    list(dig(p.body, 'spec', 'policyTypes')).includes('Egress');
  if (!policies.some(coversAllPods)) {
    found.at(
      'istio/outbound.yaml',
      'NetworkPolicy/(none)',
      `No NetworkPolicy limits the egress of every pod in ${NAMESPACE}, so a pod can bypass its sidecar`,
      'Add a NetworkPolicy with podSelector {} and policyTypes [Ingress, Egress]',
    );
  }
  for (const p of policies) {
    for (const rule of list(dig(p.body, 'spec', 'egress')).map(record)) {
      const peers = list(rule.to).map(record);
      const blocks = peers.map((peer) => text(dig(peer, 'ipBlock', 'cidr'))).filter((c) => c !== undefined);
      if (peers.length > 0 && blocks.length === 0) continue;
      const what = peers.length === 0 ? 'every destination' : `ipBlock ${blocks.join(', ')}`;
      found.about(p)(
        `An egress rule allows ${what}, so pods could reach the internet without their sidecar`,
        'Allow only namespaceSelector and podSelector peers; the egress gateway is the way out',
      );
    }
  }
}

function checkTenantHeader(ctx: ProfileContext, found: Findings): void {
  const onIngress = (r: Manifest): boolean =>
    r.namespace === INGRESS_GATEWAY.namespace &&
    selects(strings(dig(r.body, 'spec', 'selector', 'matchLabels')), INGRESS_GATEWAY.labels);
  const auths = ofKind(ctx.manifests, 'RequestAuthentication', 'security.istio.io').filter(onIngress);
  const isWired = auths
    .flatMap((r) => list(dig(r.body, 'spec', 'jwtRules')).map(record))
    .some((rule) => {
      const lower = (v: unknown): string | undefined => text(v)?.toLowerCase();
      const readsHeader = list(rule.fromHeaders).some((h) => lower(record(h).name) === JWT_HEADER);
      const setsTenant = list(rule.outputClaimToHeaders)
        .map(record)
        .some((o) => lower(o.header) === TENANT_HEADER && text(o.claim) === TENANT_CLAIM);
      return readsHeader && setsTenant;
    });
  if (!isWired) {
    found.at(
      'istio/ingress.yaml',
      'RequestAuthentication/(none)',
      `No RequestAuthentication on the ingress gateway reads JWTs from ${JWT_HEADER} and sets ` +
        `${TENANT_HEADER} from claim ${TENANT_CLAIM}`,
      'Add it with fromHeaders and outputClaimToHeaders (shared/deploy/mesh.ts)',
    );
  }

  const ingress = EXTERNAL_PRINCIPALS['ingress-gateway'][0];
  const api = ctx.facts.functions.find((f) => f.id === 'api-gateway')?.service ?? 'ddo-api-gateway';
  const guardsHeader = (p: Manifest): boolean => {
    const selector = strings(dig(p.body, 'spec', 'selector', 'matchLabels'));
    const isDeny = text(dig(p.body, 'spec', 'action')) === 'DENY';
    const isDenyOnApi = isDeny && selector['serving.knative.dev/service'] === api;
    return (
      isDenyOnApi &&
      list(dig(p.body, 'spec', 'rules')).some((r) => {
        const notPrincipals = list(record(r).from).flatMap((f) => list(dig(f, 'source', 'notPrincipals')));
        const keys = list(record(r).when).map((w) => text(record(w).key)?.toLowerCase());
        return notPrincipals.includes(ingress) && keys.includes(`request.headers[${TENANT_HEADER}]`);
      })
    );
  };
  if (inNamespace(ofKind(ctx.manifests, 'AuthorizationPolicy')).some(guardsHeader)) return;
  found.at(
    'istio/ingress.yaml',
    'AuthorizationPolicy/(none)',
    `No DENY policy stops ${TENANT_HEADER} reaching ${api} from a caller other than the ingress gateway`,
    `Add one with notPrincipals [${ingress}] and a when on request.headers[${TENANT_HEADER}]`,
  );
}

/**
 * The mesh's trust model, declared once: who the callers are (service-account principals), which
 * workloads the policies select, and the exact set of calls that may happen. The
 * AuthorizationPolicies in istio/ must permit this edge set and nothing else; the deployment
 * check computes the edges from the policies and compares.
 *
 * @see https://istio.io/latest/docs/reference/config/security/authorization-policy/
 */
import { DEPLOYED_FUNCTIONS, NAMESPACE, type FunctionId } from './topology';

/** Istio's default trust domain, the first part of every principal. */
export const TRUST_DOMAIN = 'cluster.local';

/** The principal of a Kubernetes service account, as AuthorizationPolicy `principals` name it. */
export function principalOf(namespace: string, serviceAccount: string): string {
  return `${TRUST_DOMAIN}/ns/${namespace}/sa/${serviceAccount}`;
}

/** Callers in the edge matrix that live outside DDO's namespace. */
export type ExternalCaller = 'ingress-gateway' | 'broker-dispatcher' | 'ping-source';

/** Principals of the callers that live outside DDO's namespace. */
export const EXTERNAL_PRINCIPALS: Readonly<Record<ExternalCaller, readonly string[]>> = {
  // Istio's default ingress gateway; net-istio's knative-local-gateway runs in the same pods.
  'ingress-gateway': [principalOf('istio-system', 'istio-ingressgateway-service-account')],
  // Whoever delivers a Trigger's events: the channel-based broker's filter (subscribers) and
  // in-memory channel dispatcher (dead letters), or the Kafka broker's data plane.
  'broker-dispatcher': [
    principalOf('knative-eventing', 'mt-broker-filter'),
    principalOf('knative-eventing', 'imc-dispatcher'),
    principalOf('knative-eventing', 'knative-kafka-broker-data-plane'),
  ],
  // The PingSource adapter that sends the stalled-run sweeper's schedule to the broker.
  'ping-source': [principalOf('knative-eventing', 'pingsource-mt-adapter')],
};

/** Knative Serving's namespace: its activator and autoscaler call revisions under its identities. */
export const KNATIVE_SERVING_NAMESPACE = 'knative-serving';

/** Paths Knative Serving's system pods probe and scrape on a revision. */
export const PROBE_PATHS: readonly string[] = ['/healthz', '/metrics'];

/** A set of pods that policies select by label. */
export interface WorkloadSelector {
  namespace: string;
  labels: Readonly<Record<string, string>>;
}

/** The egress gateway DDO installs (istio/install/): dedicated, so its policy affects no one else. */
export const EGRESS_GATEWAY = {
  namespace: 'istio-system',
  labels: { istio: 'ddo-egressgateway' },
  host: 'ddo-egressgateway.istio-system.svc.cluster.local',
} as const;

/** The ingress gateway that takes public traffic. */
export const INGRESS_GATEWAY: WorkloadSelector = {
  namespace: 'istio-system',
  labels: { istio: 'ingressgateway' },
};

/** The broker ingress pods of both broker classes DDO uses (channel-based in dev, Kafka in prod). */
export const BROKER_INGRESS_WORKLOADS: readonly WorkloadSelector[] = [
  { namespace: 'knative-eventing', labels: { 'eventing.knative.dev/brokerRole': 'ingress' } },
  { namespace: 'knative-eventing', labels: { app: 'kafka-broker-receiver' } },
];

/** The ingress path of DDO's broker (`/<namespace>/<broker>`); the edge to the broker is for it. */
export const BROKER_PATH = `/${NAMESPACE}/default`;

/** The header clients put a JWT in (Authorization carries API keys, which Istio would refuse). */
export const JWT_HEADER = 'x-ddo-jwt';

/** The JWT claim that names the tenant. */
export const TENANT_CLAIM = 'ddo_tenant';

/**
 * The header the ingress gateway sets from a verified JWT's tenant claim (and removes when no
 * valid JWT came). The api-gateway trusts it only from the ingress gateway's principal.
 */
export const TENANT_HEADER = 'x-ddo-tenant';

/**
 * Functions with no path out of the mesh at all: the egress gateway's host and the declared
 * external hosts are not even in their sidecar's registry.
 */
export const ISOLATED_FUNCTIONS: readonly FunctionId[] = ['planner', 'memory'];

/** Formats one edge: `caller -> callee`, with the paths it is limited to, if any. */
export function formatEdge(from: string, to: string, paths: readonly string[] = []): string {
  return paths.length === 0 ? `${from} -> ${to}` : `${from} -> ${to} [${[...paths].sort().join(', ')}]`;
}

const alwaysOn = DEPLOYED_FUNCTIONS.filter((f) => f.isAlwaysOn).map((f) => f.id);
const scalesToZero = DEPLOYED_FUNCTIONS.filter((f) => !f.isAlwaysOn).map((f) => f.id);

/**
 * Every permitted call, exactly. The design's edges, plus what Knative needs: a function that
 * scales to zero must admit the knative-serving namespace (the activator forwards the first
 * requests), one that never does admits it on the probe and metrics paths only.
 */
export const PERMITTED_EDGES: readonly string[] = [
  formatEdge('ingress-gateway', 'api-gateway'),
  formatEdge('api-gateway', 'orchestrator'),
  formatEdge('orchestrator', 'memory'),
  ...(['orchestrator', 'planner', 'executor', 'dead-letters'] as const).map((to) =>
    formatEdge('broker-dispatcher', to),
  ),
  ...(['orchestrator', 'planner', 'executor'] as const).map((from) => formatEdge(from, 'broker-ingress')),
  formatEdge('ping-source', 'broker-ingress'),
  formatEdge('executor', 'egress-gateway'),
  ...scalesToZero.map((to) => formatEdge('knative-serving', to)),
  ...alwaysOn.map((to) => formatEdge('knative-serving', to, PROBE_PATHS)),
].sort();

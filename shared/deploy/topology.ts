/**
 * What DDO deploys to a cluster and where: the namespace, one Knative Service per function, and
 * the zone layout production assumes. The manifests in knative/, brokers/ and istio/ follow these
 * names, and the deployment check (scripts/check-deploy) holds them to it.
 */

/** The namespace every DDO workload runs in; its service accounts are the mesh identities. */
export const NAMESPACE = 'ddo';

/** The node label replicas spread over (one value per availability zone). */
export const ZONE_TOPOLOGY_KEY = 'topology.kubernetes.io/zone';

/** Zones a production cluster has; a per-zone minimum is this many replicas. */
export const PRODUCTION_ZONES = 3;

/** Skaffold profiles that deploy to a multi-zone cluster and must keep per-zone minimums. */
export const MULTI_ZONE_PROFILES: readonly string[] = ['prod'];

/**
 * Knative's default ceiling on a revision's `timeoutSeconds` (config-defaults
 * max-revision-timeout-seconds); a longer timeout is refused unless the cluster raises it.
 */
export const MAX_REVISION_TIMEOUT_SECONDS = 600;

/** Short names of the deployed functions, as the event catalogue's producers and consumers use them. */
export type FunctionId = 'api-gateway' | 'orchestrator' | 'planner' | 'executor' | 'memory' | 'dead-letters';

/** One function as deployed: its Knative Service, mesh identity and image build arguments. */
export interface DeployedFunction {
  id: FunctionId;
  /** Knative Service name, which is also the image name skaffold builds. */
  service: string;
  /** Service account, hence the principal cluster.local/ns/ddo/sa/<serviceAccount>. */
  serviceAccount: string;
  /** FUNCTION_FOLDER build argument: the folder under functions/. */
  folder: string;
  /** FUNCTION_TARGET build argument: the functions-framework target the folder registers. */
  target: string;
  /**
   * Never scaled to zero: its callers must be seen by their own identity, and while a revision
   * is at zero Knative's activator forwards requests under the activator's identity instead.
   */
  isAlwaysOn: boolean;
  /** Keeps at least one replica per zone in multi-zone profiles. */
  hasPerZoneMinimum: boolean;
}

const fn = (
  id: FunctionId,
  target: string,
  isAlwaysOn: boolean,
  hasPerZoneMinimum = isAlwaysOn,
): DeployedFunction => ({
  id,
  service: `ddo-${id}`,
  serviceAccount: `ddo-${id}`,
  folder: id,
  target,
  isAlwaysOn,
  hasPerZoneMinimum,
});

/** Every function DDO deploys, with the dead-letter sink the Triggers name. */
export const DEPLOYED_FUNCTIONS: readonly DeployedFunction[] = [
  fn('api-gateway', 'apiGateway', true),
  fn('orchestrator', 'orchestrator', true),
  fn('planner', 'planner', false),
  fn('executor', 'executor', false),
  fn('memory', 'memory', true),
  fn('dead-letters', 'deadLetters', false),
];

/** The deployed function with this id. */
export function deployedFunction(id: FunctionId): DeployedFunction {
  const found = DEPLOYED_FUNCTIONS.find((f) => f.id === id);
  if (!found) throw new Error(`No deployed function ${id}.`);
  return found;
}

/** The function whose Knative Service has this name, if any. */
export function functionOfService(service: string): DeployedFunction | undefined {
  return DEPLOYED_FUNCTIONS.find((f) => f.service === service);
}

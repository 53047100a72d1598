/**
 * What every check receives: one skaffold profile's rendered objects, and the facts the code
 * declares (event catalogue, egress hosts, Secrets, permitted edges, deployed functions). The
 * facts are parameters so tests can check a mutated copy of them as well as of the manifests.
 */
import { CATALOGUE, type EventDefinition } from '../../shared/events/catalogue';
import { EGRESS_HOSTS } from '../../shared/deploy/egress-hosts';
import { PERMITTED_EDGES } from '../../shared/deploy/mesh';
import { DEPLOY_SECRETS, type DeploySecret } from '../../shared/deploy/secrets';
import {
  DEPLOYED_FUNCTIONS,
  MULTI_ZONE_PROFILES,
  type DeployedFunction,
} from '../../shared/deploy/topology';
import type { Manifest } from './manifests';
import type { SkaffoldConfig } from './skaffold';
import type { Violation } from './violation';

/** What the code says must be true of the manifests. */
export interface DeployFacts {
  catalogue: readonly EventDefinition[];
  /** Hosts provider and tool code can reach. */
  egressHosts: readonly string[];
  secrets: readonly DeploySecret[];
  permittedEdges: readonly string[];
  functions: readonly DeployedFunction[];
  /** Profiles that run on a multi-zone cluster. */
  multiZoneProfiles: readonly string[];
}

/** The facts as the code declares them. */
export function declaredFacts(): DeployFacts {
  return {
    catalogue: CATALOGUE,
    egressHosts: EGRESS_HOSTS,
    secrets: DEPLOY_SECRETS,
    permittedEdges: PERMITTED_EDGES,
    functions: DEPLOYED_FUNCTIONS,
    multiZoneProfiles: MULTI_ZONE_PROFILES,
  };
}

/** One profile, rendered, with everything a check may compare it against. */
export interface ProfileContext {
  root: string;
  profile: string;
  isMultiZone: boolean;
  manifests: readonly Manifest[];
  skaffold: SkaffoldConfig;
  facts: DeployFacts;
}

/** A check of one rendered profile. */
export type ProfileCheck = (ctx: ProfileContext) => Violation[];

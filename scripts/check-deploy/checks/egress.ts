/**
 * The way out: the ServiceEntry hosts equal the hosts the code can reach
 * (shared/deploy/egress-hosts.ts), the executor's egress guard reads exactly those hosts from
 * istio/, and every host is routed through the egress gateway, which originates TLS and verifies
 * the server's certificate.
 */
import path from 'node:path';
import { loadDeclaredHosts } from '../../../functions/executor/egress';
import { EGRESS_GATEWAY } from '../../../shared/deploy/mesh';
import type { ProfileContext } from '../context';
import type { Manifest } from '../manifests';
import {
  containerEnv,
  containers,
  dig,
  isKnativeService,
  list,
  ofKind,
  record,
  selects,
  strings,
  text,
} from '../objects';
import { Findings } from '../report';
import type { Violation } from '../violation';

const ENTRIES_FILE = 'istio/egress-service-entries.yaml';
const ROUTES_FILE = 'istio/egress-routes.yaml';

/** All egress checks of one profile. */
export function checkEgress(ctx: ProfileContext): Violation[] {
  const found = new Findings();
  const entries = ofKind(ctx.manifests, 'ServiceEntry', 'networking.istio.io');
  const declared = new Map<string, Manifest>();
  for (const e of entries) {
    for (const host of list(dig(e.body, 'spec', 'hosts')).map(String)) declared.set(host.toLowerCase(), e);
  }
  checkHostSets(ctx, declared, found);
  for (const e of entries) checkEntry(e, found);
  for (const host of declared.keys()) checkRoute(ctx, host, found);
  checkExecutorUrls(ctx, declared, found);
  return found.list;
}

function checkHostSets(ctx: ProfileContext, declared: Map<string, Manifest>, found: Findings): void {
  const reachable = new Set(ctx.facts.egressHosts.map((h) => h.toLowerCase()));
  for (const host of [...reachable].filter((h) => !declared.has(h))) {
    found.at(
      ENTRIES_FILE,
      'ServiceEntry/(none)',
      `Provider code can reach ${host} (shared/deploy/egress-hosts.ts), but no ServiceEntry declares it, ` +
        'so the mesh and the egress guard refuse it',
      `Declare ${host} in a ServiceEntry and route it in ${ROUTES_FILE}`,
    );
  }
  for (const [host, entry] of [...declared].filter(([h]) => !reachable.has(h))) {
    found.about(entry)(
      `It declares ${host}, which no code calls (shared/deploy/egress-hosts.ts)`,
      'Remove the host, or add it to egress-hosts.ts, where the code that calls it takes it from',
    );
  }
  const guard = loadDeclaredHosts(path.join(ctx.root, 'istio'));
  const mesh = [...declared.keys()].sort();
  if (guard.join(',') === mesh.join(',')) return;
  found.at(
    ENTRIES_FILE,
    'ServiceEntry',
    `The executor's egress guard reads hosts [${guard.join(', ')}] from istio/, but the profile declares ` +
      `[${mesh.join(', ')}]`,
    'Keep every ServiceEntry in istio/ and deploy all of them in every profile',
  );
}

function checkEntry(entry: Manifest, found: Findings): void {
  const report = found.about(entry);
  const spec = record(entry.body.spec);
  const exportTo = list(spec.exportTo).map(String);
  if (exportTo.length === 0 || exportTo.includes('*')) {
    report('It is exported to every namespace', `Set exportTo: [., ${EGRESS_GATEWAY.namespace}]`);
  }
  const ports = list(spec.ports).map((p) => `${String(record(p).number)}/${String(record(p).protocol)}`);
  if (ports.includes('80/HTTP') && ports.some((p) => p.startsWith('443/'))) return;
  report(
    `Its ports are [${ports.join(', ')}]; TLS origination needs 80/HTTP (the sidecar's side) and 443 (the ` +
      "gateway's)",
    'Declare ports 80 (HTTP) and 443 (HTTPS)',
  );
}

function checkRoute(ctx: ProfileContext, host: string, found: Findings): void {
  const isEgressGateway = (g: Manifest): boolean =>
    selects(strings(dig(g.body, 'spec', 'selector')), EGRESS_GATEWAY.labels);
  const takesHost = (server: unknown): boolean =>
    list(record(server).hosts).some((h) => String(h).split('/').pop() === host) &&
    text(dig(server, 'tls', 'mode')) === 'ISTIO_MUTUAL';
  const gateway = ofKind(ctx.manifests, 'Gateway', 'networking.istio.io')
    .filter(isEgressGateway)
    .find((g) => list(dig(g.body, 'spec', 'servers')).some(takesHost));
  if (!gateway) {
    found.at(
      'istio/egress-gateway.yaml',
      'Gateway/(none)',
      `No egress Gateway server takes ${host} over ISTIO_MUTUAL`,
      `Add ${host} to the hosts of the egress Gateway's ISTIO_MUTUAL server`,
    );
  }

  const services = ofKind(ctx.manifests, 'VirtualService', 'networking.istio.io').filter((v) =>
    list(dig(v.body, 'spec', 'hosts')).includes(host),
  );
  const routes = services.flatMap((v) => list(dig(v.body, 'spec', 'http')).map(record));
  const destinationsFrom = (isFrom: (gateway: string) => boolean): string[] =>
    routes
      .filter((r) => list(r.match).some((m) => list(record(m).gateways).map(String).some(isFrom)))
      .flatMap((r) => list(r.route).map((d) => text(dig(d, 'destination', 'host')) ?? ''));
  const fromMesh = destinationsFrom((g) => g === 'mesh');
  const fromGateway = destinationsFrom((g) => gateway !== undefined && g.split('/').pop() === gateway.name);
  if (!fromMesh.includes(EGRESS_GATEWAY.host) || !fromGateway.includes(host)) {
    found.at(
      services[0]?.file ?? ROUTES_FILE,
      services[0] ? `VirtualService/${services[0].name}` : 'VirtualService/(none)',
      `${host} is not routed from the mesh to ${EGRESS_GATEWAY.host} and from there to ${host}`,
      'Add a VirtualService with both routes (see the others in egress-routes.yaml)',
    );
  }

  const rule = ofKind(ctx.manifests, 'DestinationRule', 'networking.istio.io').find(
    (d) => text(dig(d.body, 'spec', 'host')) === host,
  );
  const policy = record(dig(rule?.body, 'spec', 'trafficPolicy'));
  const tls = [policy.tls, ...list(policy.portLevelSettings).map((p) => record(p).tls)]
    .filter((t) => t !== undefined)
    .map(record);
  const hasTrustRoots = (t: Record<string, unknown>): boolean =>
    text(t.caCertificates) !== undefined || text(t.credentialName) !== undefined;
  const verifies = tls.some(
    (t) => t.mode === 'SIMPLE' && t.sni === host && t.insecureSkipVerify !== true && hasTrustRoots(t),
  );
  if (verifies) return;
  found.at(
    rule?.file ?? ROUTES_FILE,
    rule ? `DestinationRule/${rule.name}` : 'DestinationRule/(none)',
    `The egress gateway does not originate TLS to ${host} with certificate verification`,
    `Give ${host} a DestinationRule with tls mode SIMPLE, sni ${host}, and caCertificates or credentialName`,
  );
}

function checkExecutorUrls(ctx: ProfileContext, declared: Map<string, Manifest>, found: Findings): void {
  const executor = ctx.facts.functions.find((f) => f.id === 'executor')?.service;
  for (const svc of ctx.manifests.filter((m) => isKnativeService(m) && m.name === executor)) {
    for (const c of containers(svc)) {
      for (const [name, source] of containerEnv(c, ctx.manifests, svc.namespace)) {
        if (source.value === undefined || !/^https?:\/\//.test(source.value)) continue;
        const host = new URL(source.value).hostname.toLowerCase();
        if (host.endsWith('.svc.cluster.local') || declared.has(host)) continue;
        found.about(svc)(
          `Its ${name} points at ${host}, which no ServiceEntry declares, so the call would be refused`,
          `Declare ${host} (ServiceEntry and shared/deploy/egress-hosts.ts), or change ${name}`,
        );
      }
    }
  }
}

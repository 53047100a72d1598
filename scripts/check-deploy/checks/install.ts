/**
 * The mesh installation (istio/install/, applied with istioctl rather than skaffold) against what
 * the profiles rely on: DDO's own egress gateway with the labels the policies select, one replica
 * per zone for production, REGISTRY_ONLY by default, and a tracing provider that reaches the
 * OpenTelemetry collector, whose pipeline exports to Jaeger.
 */
import { parse } from 'yaml';
import { EGRESS_GATEWAY } from '../../../shared/deploy/mesh';
import { PRODUCTION_ZONES, ZONE_TOPOLOGY_KEY } from '../../../shared/deploy/topology';
import type { ProfileContext } from '../context';
import { listYamlFiles, readManifestFile, type Manifest } from '../manifests';
import { dig, integer, list, ofKind, podTemplate, record, selects, strings, text } from '../objects';
import { Findings } from '../report';
import type { Violation } from '../violation';

/** Where the IstioOperator files live. */
export const INSTALL_DIR = 'istio/install';

/** The IstioOperator objects of istio/install/. */
export function installManifests(root: string): Manifest[] {
  return listYamlFiles(root, [INSTALL_DIR])
    .flatMap((f) => readManifestFile(root, f).manifests)
    .filter((m) => m.kind === 'IstioOperator');
}

/** Checks the installation files and the trace path of one profile. */
export function checkInstall(ctx: ProfileContext): Violation[] {
  const found = new Findings();
  const operators = installManifests(ctx.root);
  const file = operators[0]?.file ?? `${INSTALL_DIR}/istio-operator.yaml`;
  checkEgressGateway(ctx, operators, file, found);
  const mode = operators.map((o) => text(dig(o.body, 'spec', 'meshConfig', 'outboundTrafficPolicy', 'mode')));
  if (operators.length > 0 && !mode.includes('REGISTRY_ONLY')) {
    found.at(
      file,
      'IstioOperator',
      "The mesh's default outbound traffic policy is not REGISTRY_ONLY",
      'Set meshConfig.outboundTrafficPolicy.mode: REGISTRY_ONLY',
    );
  }
  checkTracing(ctx, operators, file, found);
  return found.list;
}

function checkEgressGateway(ctx: ProfileContext, operators: Manifest[], file: string, found: Findings): void {
  const gateways = operators.flatMap((o) => list(dig(o.body, 'spec', 'components', 'egressGateways')));
  const ours = gateways
    .map(record)
    .filter((g) => g.enabled !== false && selects(EGRESS_GATEWAY.labels, strings(g.label)));
  if (ours.length === 0) {
    found.at(
      file,
      'IstioOperator/(none)',
      'No IstioOperator installs the egress gateway the policies select',
      `Add an egressGateways entry with label ${JSON.stringify(EGRESS_GATEWAY.labels)}`,
    );
    return;
  }
  if (!ctx.isMultiZone) return;
  const isPerZone = ours.some((g) => {
    const k8s = record(g.k8s);
    const min = integer(dig(k8s, 'hpaSpec', 'minReplicas')) ?? integer(k8s.replicaCount) ?? 1;
    return min >= PRODUCTION_ZONES && JSON.stringify(k8s.overlays ?? []).includes(ZONE_TOPOLOGY_KEY);
  });
  if (isPerZone) return;
  found.at(
    file,
    'IstioOperator',
    `The egress gateway is not installed with ${PRODUCTION_ZONES} or more replicas spread over ` +
      ZONE_TOPOLOGY_KEY,
    'Set hpaSpec.minReplicas and a zone topologySpreadConstraint overlay (istio/install/prod-zones.yaml)',
  );
}

function checkTracing(ctx: ProfileContext, operators: Manifest[], file: string, found: Findings): void {
  const providers = operators.flatMap((o) => list(dig(o.body, 'spec', 'meshConfig', 'extensionProviders')));
  const telemetries = ofKind(ctx.manifests, 'Telemetry', 'telemetry.istio.io');
  if (telemetries.length === 0) {
    const fix = 'Add a Telemetry with a tracing provider';
    found.at('istio/telemetry.yaml', 'Telemetry/(none)', 'No Telemetry sends traces anywhere', fix);
  }
  for (const t of telemetries) {
    const tracing = list(dig(t.body, 'spec', 'tracing'));
    for (const name of tracing.flatMap((tr) => list(record(tr).providers).map((p) => text(record(p).name)))) {
      const provider = providers.find((p) => text(record(p).name) === name);
      const service = text(dig(provider, 'opentelemetry', 'service'));
      if (service !== undefined) {
        checkCollector(ctx, service, t, found);
        continue;
      }
      found.about(t)(
        `Its tracing provider ${name} is no opentelemetry extension provider of the mesh`,
        `Declare ${name} in meshConfig.extensionProviders (${file})`,
      );
    }
  }
}

function checkCollector(ctx: ProfileContext, host: string, telemetry: Manifest, found: Findings): void {
  const [name, namespace] = host.split('.');
  const service = ctx.manifests.find(
    (m) => m.kind === 'Service' && m.apiVersion === 'v1' && m.name === name && m.namespace === namespace,
  );
  const selector = strings(dig(service?.body, 'spec', 'selector'));
  const deployment = ofKind(ctx.manifests, 'Deployment', 'apps').find(
    (d) => d.namespace === namespace && selects(selector, podTemplate(d).labels),
  );
  if (!service || !deployment) {
    found.about(telemetry)(
      `Traces go to ${host}, but no Service and Deployment of the collector are in this profile`,
      'Deploy the collector (istio/telemetry.yaml)',
    );
    return;
  }
  const volumes = list(dig(deployment.body, 'spec', 'template', 'spec', 'volumes'));
  const configMapName = volumes.map((v) => text(dig(v, 'configMap', 'name'))).find(Boolean);
  const configMap = ctx.manifests.find(
    (m) => m.kind === 'ConfigMap' && m.name === configMapName && m.namespace === namespace,
  );
  const config = Object.values(strings(configMap?.body.data))
    .map((t) => record(parse(t)))
    .find((c) => c.service !== undefined);
  const exporters = list(dig(config, 'service', 'pipelines', 'traces', 'exporters')).map(String);
  if (exporters.some((e) => /jaeger/.test(String(dig(config, 'exporters', e, 'endpoint') ?? '')))) return;
  found.about(configMap ?? deployment)(
    "The collector's traces pipeline exports to no Jaeger endpoint",
    "Add an otlp exporter to Jaeger's collector and list it in service.pipelines.traces.exporters",
  );
}

/**
 * Schema validation with the kubernetes-models packages: Kubernetes (kubernetes-models), Knative
 * (@kubernetes-models/knative) and Istio (@kubernetes-models/istio). Each kind is imported from
 * its own subpath, because the root indexes load every model (about 300 ms each). The schemas
 * check types and enums; the other checks add what they cannot (references, invariants).
 */
import fs from 'node:fs';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service as CoreService } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Broker } from '@kubernetes-models/knative/eventing.knative.dev/v1/Broker';
import { Trigger } from '@kubernetes-models/knative/eventing.knative.dev/v1/Trigger';
import { Service as KnativeService } from '@kubernetes-models/knative/serving.knative.dev/v1/Service';
import { PingSource } from '@kubernetes-models/knative/sources.knative.dev/v1/PingSource';
import { IstioOperator } from '@kubernetes-models/istio/install.istio.io/v1alpha1/IstioOperator';
import { DestinationRule } from '@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule';
import { Gateway } from '@kubernetes-models/istio/networking.istio.io/v1beta1/Gateway';
import { ServiceEntry } from '@kubernetes-models/istio/networking.istio.io/v1beta1/ServiceEntry';
import { Sidecar } from '@kubernetes-models/istio/networking.istio.io/v1beta1/Sidecar';
import { VirtualService } from '@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService';
import { AuthorizationPolicy } from '@kubernetes-models/istio/security.istio.io/v1/AuthorizationPolicy';
import { RequestAuthentication } from '@kubernetes-models/istio/security.istio.io/v1/RequestAuthentication';
import { PeerAuthentication } from '@kubernetes-models/istio/security.istio.io/v1beta1/PeerAuthentication';
import { Telemetry } from '@kubernetes-models/istio/telemetry.istio.io/v1alpha1/Telemetry';
import { objectRef, type Manifest } from './manifests';
import { violation, type Violation } from './violation';

type ModelClass = new (data: never) => { validate(): void };

// apiVersion/kind → model. Istio's networking v1 and security v1 PeerAuthentication are newer
// than the models that run on Node 20, hence v1beta1 for those.
const MODELS: Readonly<Record<string, ModelClass>> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': CoreService,
  'apps/v1/Deployment': Deployment,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'serving.knative.dev/v1/Service': KnativeService,
  'eventing.knative.dev/v1/Broker': Broker,
  'eventing.knative.dev/v1/Trigger': Trigger,
  'sources.knative.dev/v1/PingSource': PingSource,
  'security.istio.io/v1/AuthorizationPolicy': AuthorizationPolicy,
  'security.istio.io/v1/RequestAuthentication': RequestAuthentication,
  'security.istio.io/v1beta1/PeerAuthentication': PeerAuthentication,
  'networking.istio.io/v1beta1/Gateway': Gateway,
  'networking.istio.io/v1beta1/VirtualService': VirtualService,
  'networking.istio.io/v1beta1/DestinationRule': DestinationRule,
  'networking.istio.io/v1beta1/ServiceEntry': ServiceEntry,
  'networking.istio.io/v1beta1/Sidecar': Sidecar,
  'telemetry.istio.io/v1alpha1/Telemetry': Telemetry,
  'install.istio.io/v1alpha1/IstioOperator': IstioOperator,
};

/** The kustomize configuration kind, which is not a cluster object. */
export const KUSTOMIZATION_API = 'kustomize.config.k8s.io/';

/** Validates one object against its schema; an object of a kind with no model is a violation. */
export function validateSchema(m: Manifest): Violation[] {
  const Model = MODELS[`${m.apiVersion}/${m.kind}`];
  if (!Model) {
    const problem =
      `No schema covers ${m.apiVersion} ${m.kind} (document ${m.doc}), so the clusters DDO targets ` +
      `may not serve it either (the models are ${schemaVersions().slice(0, 2).join('; ')})`;
    const fix = 'Use a kind those versions have, or add its model to scripts/check-deploy/schemas.ts';
    return [violation(m.file, objectRef(m), problem, fix)];
  }
  try {
    new Model(m.body as never).validate();
    return [];
  } catch (err) {
    // ajv's ValidationError, which reports every error (allErrors) with its instance path.
    const errors = (err as { errors?: Array<{ instancePath?: string; message?: string }> }).errors;
    const details = errors?.map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`.trim()) ?? [
      (err as Error).message,
    ];
    const schema = `${m.apiVersion} ${m.kind}`;
    const problem = `It does not match the ${schema} schema: ${[...new Set(details)].join('; ')}`;
    return [violation(m.file, objectRef(m), problem, 'Fix the fields named')];
  }
}

/** Which upstream versions the models were generated from, read from the installed packages. */
export function schemaVersions(): string[] {
  const pkg = (name: string): { version: string; 'crd-generate'?: { input?: string[] } } =>
    JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as never;
  const knative = pkg('@kubernetes-models/knative');
  const istio = pkg('@kubernetes-models/istio');
  const k8s = pkg('kubernetes-models');
  // The packages record the CRD release URLs they were generated from.
  const versionIn = (inputs: string[] | undefined, pattern: RegExp): string =>
    (inputs ?? []).map((u) => pattern.exec(u)?.[1]).find(Boolean) ?? 'unknown';
  const knativeInputs = knative['crd-generate']?.input;
  const serving = versionIn(knativeInputs, /\/serving\/releases\/download\/knative-v([\d.]+)\//);
  const eventing = versionIn(knativeInputs, /\/eventing\/releases\/download\/knative-v([\d.]+)\//);
  const istioRelease = versionIn(istio['crd-generate']?.input, /\/istio\/istio\/([\d.]+)\//);
  return [
    `Knative Serving ${serving} and Eventing ${eventing} (@kubernetes-models/knative ${knative.version})`,
    `Istio ${istioRelease} (@kubernetes-models/istio ${istio.version})`,
    `Kubernetes (kubernetes-models ${k8s.version})`,
  ];
}

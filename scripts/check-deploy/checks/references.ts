/**
 * References that must resolve, which no schema checks: each Knative Service's ServiceAccount and
 * ConfigMaps, each Secret key a function reads (mapped, and readable by its owner alone), the
 * Triggers' brokers, subscribers and dead-letter sinks, and the in-cluster URLs in settings.
 */
import type { ProfileContext } from '../context';
import type { Manifest } from '../manifests';
import {
  containerEnv,
  containers,
  dig,
  isKnativeService,
  list,
  ofKind,
  podTemplate,
  record,
  text,
} from '../objects';
import { Findings } from '../report';
import type { Violation } from '../violation';

/** All reference checks of one profile. */
export function checkReferences(ctx: ProfileContext): Violation[] {
  const found = new Findings();
  checkServiceRefs(ctx, found);
  checkSecrets(ctx, found);
  checkEventingRefs(ctx, found);
  checkUrls(ctx, found);
  return found.list;
}

function exists(ctx: ProfileContext, kind: string, name: string, namespace: string): boolean {
  return ctx.manifests.some((m) => m.kind === kind && m.name === name && m.namespace === namespace);
}

function checkServiceRefs(ctx: ProfileContext, found: Findings): void {
  for (const svc of ctx.manifests.filter(isKnativeService)) {
    const report = found.about(svc);
    const account = text(podTemplate(svc).spec.serviceAccountName);
    const fn = ctx.facts.functions.find((f) => f.service === svc.name);
    if (account === undefined) {
      const own = fn?.serviceAccount ?? 'its own account';
      report(
        'It runs as the namespace default account, which is no identity of its own',
        `Set spec.template.spec.serviceAccountName to ${own}`,
      );
    } else if (!exists(ctx, 'ServiceAccount', account, svc.namespace)) {
      report(`Its ServiceAccount ${account} does not exist`, `Add ServiceAccount ${account}`);
    } else if (fn && account !== fn.serviceAccount) {
      report(
        `It runs as ${account}, not ${fn.serviceAccount}`,
        `Use ${fn.serviceAccount}: the policies name its principal (shared/deploy/topology.ts)`,
      );
    }
    for (const from of containers(svc).flatMap((c) => list(c.envFrom).map(record))) {
      const name = text(dig(from, 'configMapRef', 'name'));
      const isOptional = dig(from, 'configMapRef', 'optional') === true;
      if (name === undefined || isOptional || exists(ctx, 'ConfigMap', name, svc.namespace)) continue;
      report(`Its envFrom ConfigMap ${name} does not exist`, 'Add the ConfigMap, or remove the reference');
    }
  }
}

function checkSecrets(ctx: ProfileContext, found: Findings): void {
  const services = ctx.manifests.filter(isKnativeService);

  // No function reads another function's credentials, by Secret name or by variable name.
  for (const svc of services) {
    const fn = ctx.facts.functions.find((f) => f.service === svc.name);
    const report = found.about(svc);
    for (const c of containers(svc)) {
      for (const [name, source] of containerEnv(c, ctx.manifests, svc.namespace)) {
        const owned = ctx.facts.secrets.find((s) => s.keys.includes(name) || s.name === source.secret?.name);
        if (!owned || owned.owner === fn?.id) continue;
        const from = source.secret ? ` from Secret ${source.secret.name}` : '';
        report(
          `It reads ${name}${from}, which only ddo-${owned.owner} may hold`,
          `Remove ${name} from ${svc.name}; see shared/deploy/secrets.ts`,
        );
      }
    }
    for (const volume of list(podTemplate(svc).spec.volumes).map(record)) {
      const secretName = text(dig(volume, 'secret', 'secretName'));
      const owned = ctx.facts.secrets.find((s) => s.name === secretName);
      if (!owned || owned.owner === fn?.id) continue;
      report(`It mounts Secret ${secretName}, which only ddo-${owned.owner} may hold`, 'Remove the volume');
    }
  }

  // The owner maps every key the code reads, under the key's own name.
  for (const secret of ctx.facts.secrets) {
    const service = ctx.facts.functions.find((f) => f.id === secret.owner)?.service;
    const owner = services.find((s) => s.name === service);
    if (!owner) continue;
    const report = found.about(owner);
    const envs = containers(owner).map((c) => containerEnv(c, ctx.manifests, owner.namespace));
    const env = new Map(envs.flatMap((e) => [...e]));
    for (const key of secret.keys) {
      const source = env.get(key)?.secret;
      if (source?.name !== secret.name || source.key !== key) {
        report(
          `It does not map key ${key} of Secret ${secret.name} to the variable ${key} the code reads`,
          `Add env ${key} with valueFrom.secretKeyRef { name: ${secret.name}, key: ${key} }`,
        );
      } else if (source.isOptional !== secret.areKeysOptional) {
        report(
          `Key ${key} of Secret ${secret.name} is ${source.isOptional ? '' : 'not '}optional`,
          `Set optional: ${secret.areKeysOptional} (shared/deploy/secrets.ts)`,
        );
      }
    }
  }
}

function checkSink(ctx: ProfileContext, found: Findings, m: Manifest, where: string, dest: unknown): void {
  const report = found.about(m);
  const ref = record(dig(dest, 'ref'));
  const name = text(ref.name);
  if (name === undefined) {
    if (text(dig(dest, 'uri')) === undefined) report(`${where} names no ref or uri`, `Set ${where}.ref`);
    return;
  }
  const namespace = text(ref.namespace) ?? m.namespace;
  const isService = text(ref.kind) === 'Service' && text(ref.apiVersion) === 'serving.knative.dev/v1';
  const isFound = (t: Manifest): boolean =>
    isKnativeService(t) && t.name === name && t.namespace === namespace;
  if (isService && ctx.manifests.some(isFound)) return;
  report(
    `${where} refers to ${text(ref.kind) ?? '?'} ${name}, which is no Knative Service in this profile`,
    `Point ${where}.ref at an existing serving.knative.dev/v1 Service`,
  );
}

function checkEventingRefs(ctx: ProfileContext, found: Findings): void {
  for (const trigger of ofKind(ctx.manifests, 'Trigger', 'eventing.knative.dev')) {
    const report = found.about(trigger);
    const broker = text(dig(trigger.body, 'spec', 'broker'));
    if (!broker || !exists(ctx, 'Broker', broker, trigger.namespace)) {
      report(`Its broker ${broker ?? '(none)'} does not exist`, 'Add the Broker, or fix spec.broker');
    }
    checkSink(ctx, found, trigger, 'spec.subscriber', dig(trigger.body, 'spec', 'subscriber'));
    const delivery = record(dig(trigger.body, 'spec', 'delivery'));
    const retries = typeof delivery.retry === 'number' ? delivery.retry : 0;
    if (retries < 1 || delivery.backoffPolicy !== 'exponential' || delivery.deadLetterSink === undefined) {
      report(
        'Its delivery lacks retries, exponential backoff or a dead-letter sink',
        'Give it spec.delivery with retry (1 or more), backoffPolicy exponential, backoffDelay and ' +
          'deadLetterSink',
      );
    }
    if (delivery.deadLetterSink !== undefined) {
      checkSink(ctx, found, trigger, 'spec.delivery.deadLetterSink', delivery.deadLetterSink);
    }
  }

  for (const broker of ofKind(ctx.manifests, 'Broker', 'eventing.knative.dev')) {
    const dls = dig(broker.body, 'spec', 'delivery', 'deadLetterSink');
    if (dls !== undefined) checkSink(ctx, found, broker, 'spec.delivery.deadLetterSink', dls);
    const config = record(dig(broker.body, 'spec', 'config'));
    const name = text(config.name);
    const namespace = text(config.namespace) ?? broker.namespace;
    if (name === undefined || text(config.kind) !== 'ConfigMap') continue;
    if (exists(ctx, 'ConfigMap', name, namespace)) continue;
    const problem = `Its config ConfigMap ${namespace}/${name} is not in this profile`;
    found.about(broker)(problem, 'Deploy it with the Broker');
  }
}

// The ingress service of each broker class DDO uses.
const BROKER_HOSTS: Readonly<Record<string, string>> = {
  MTChannelBasedBroker: 'broker-ingress.knative-eventing.svc.cluster.local',
  Kafka: 'kafka-broker-ingress.knative-eventing.svc.cluster.local',
};

const IN_CLUSTER_HOST = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local$/;

function checkUrls(ctx: ProfileContext, found: Findings): void {
  for (const svc of ctx.manifests.filter(isKnativeService)) {
    for (const c of containers(svc)) {
      for (const [name, source] of containerEnv(c, ctx.manifests, svc.namespace)) {
        if (source.value === undefined || !/^https?:\/\//.test(source.value)) continue;
        const url = new URL(source.value);
        const where = source.configMap ? `ConfigMap ${source.configMap} key ${name}` : `env ${name}`;
        if (name === 'DDO_BROKER_URL') checkBrokerUrl(ctx, found, svc, where, url);
        const [, service, namespace] = IN_CLUSTER_HOST.exec(url.hostname) ?? [];
        if (namespace !== svc.namespace) continue;
        const isTarget = (m: Manifest): boolean =>
          isKnativeService(m) && m.name === service && m.namespace === namespace;
        if (ctx.manifests.some(isTarget)) continue;
        found.about(svc)(`${where} points at ${service}, which is no Service in this profile`, 'Fix the URL');
      }
    }
  }
}

function checkBrokerUrl(
  ctx: ProfileContext,
  found: Findings,
  svc: Manifest,
  where: string,
  url: URL,
): void {
  const report = found.about(svc);
  const [, namespace, name] = url.pathname.split('/');
  const isBroker = (m: Manifest): boolean =>
    m.kind === 'Broker' && m.name === name && m.namespace === namespace;
  const broker = ctx.manifests.find(isBroker);
  if (!broker) {
    report(
      `${where} is ${url.href}, but there is no Broker ${namespace}/${name}`,
      'Use http://<ingress>/<namespace>/<broker> of an existing Broker',
    );
    return;
  }
  const annotations = record(dig(broker.body, 'metadata', 'annotations'));
  const brokerClass = text(annotations['eventing.knative.dev/broker.class']) ?? 'MTChannelBasedBroker';
  const host = BROKER_HOSTS[brokerClass];
  if (host === undefined || url.hostname === host) return;
  report(
    `${where} points at ${url.hostname}, but the ${brokerClass} broker's ingress is ${host}`,
    `Set the URL to http://${host}${url.pathname}`,
  );
}

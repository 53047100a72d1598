/**
 * How the workloads run: every one spreads over zones (and multi-zone profiles keep a replica per
 * zone where the design asks for it), autoscaling settings are coherent with the mesh policies,
 * the executor outlasts its longest request, skaffold builds exactly the deployed images, and the
 * broker is the one the profile calls for.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { parseIsoDuration } from '../../../local/manifests';
import { DEFAULT_RETRY_POLICY } from '../../../functions/executor/providers/retry';
import { DEFAULT_STEP_TIMEOUT_SECONDS } from '../../../shared/agents/schema';
import {
  MAX_REVISION_TIMEOUT_SECONDS,
  NAMESPACE,
  PRODUCTION_ZONES,
  ZONE_TOPOLOGY_KEY,
} from '../../../shared/deploy/topology';
import type { ProfileContext } from '../context';
import type { Manifest } from '../manifests';
import {
  containerEnv,
  containers,
  dig,
  integer,
  isKnativeService,
  list,
  ofKind,
  podLabels,
  podTemplate,
  record,
  selects,
  strings,
  text,
} from '../objects';
import { Findings } from '../report';
import type { Violation } from '../violation';

/** Time the executor needs after its work to send the result event (the emitter waits 5 s). */
export const RESULT_EMIT_MARGIN_SECONDS = 10;

/** All workload checks of one profile. */
export function checkWorkloads(ctx: ProfileContext): Violation[] {
  const found = new Findings();
  checkZoneSpread(ctx, found);
  checkAutoscaling(ctx, found);
  checkExecutorTimeout(ctx, found);
  checkImages(ctx, found);
  checkBroker(ctx, found);
  return found.list;
}

function zoneSpreadOf(w: Manifest): Record<string, unknown> | undefined {
  const labels = podLabels(w);
  return list(podTemplate(w).spec.topologySpreadConstraints)
    .map(record)
    .find((c) => {
      const selector = strings(dig(c, 'labelSelector', 'matchLabels'));
      const isOwnPods = Object.keys(selector).length > 0 && selects(selector, labels);
      return c.topologyKey === ZONE_TOPOLOGY_KEY && isOwnPods;
    });
}

function checkZoneSpread(ctx: ProfileContext, found: Findings): void {
  const isWorkload = (m: Manifest): boolean =>
    isKnativeService(m) || (m.kind === 'Deployment' && m.apiVersion === 'apps/v1');
  for (const w of ctx.manifests.filter(isWorkload)) {
    const report = found.about(w);
    const zone = zoneSpreadOf(w);
    if (!zone) {
      report(
        `Its replicas do not spread over ${ZONE_TOPOLOGY_KEY}`,
        `Add a topologySpreadConstraint with topologyKey ${ZONE_TOPOLOGY_KEY}, maxSkew 1 and a ` +
          'labelSelector matching its pods',
      );
      continue;
    }
    const fn = ctx.facts.functions.find((f) => f.service === w.name);
    if (!ctx.isMultiZone || !fn?.hasPerZoneMinimum) continue;

    const minScale = integer(podTemplate(w).annotations['autoscaling.knative.dev/min-scale']) ?? 0;
    const minDomains = integer(zone.minDomains);
    const isStrict = zone.whenUnsatisfiable === 'DoNotSchedule' && (minDomains ?? 0) >= PRODUCTION_ZONES;
    if (minScale >= PRODUCTION_ZONES && isStrict) continue;
    report(
      `In a ${PRODUCTION_ZONES}-zone profile it must keep a replica per zone, but min-scale is ` +
        `${minScale} and the zone spread is ${String(zone.whenUnsatisfiable)} with minDomains ` +
        `${minDomains ?? 'unset'}`,
      `Set min-scale to ${PRODUCTION_ZONES} and the zone spread to DoNotSchedule with minDomains ` +
        `${PRODUCTION_ZONES} (knative/prod/)`,
    );
  }
}

function checkAutoscaling(ctx: ProfileContext, found: Findings): void {
  for (const svc of ctx.manifests.filter(isKnativeService)) {
    const report = found.about(svc);
    const { annotations, spec } = podTemplate(svc);
    const at = (key: string): number | undefined => integer(annotations[`autoscaling.knative.dev/${key}`]);
    const [min, max, target] = [at('min-scale'), at('max-scale'), at('target')];
    if (min === undefined || max === undefined || target === undefined) {
      report(
        'It lacks a whole-number min-scale, max-scale or target annotation',
        'Set all three under spec.template.metadata.annotations',
      );
      continue;
    }
    if (min > max) report(`min-scale ${min} is above max-scale ${max}`, 'Lower min-scale or raise max-scale');
    const concurrency = integer(spec.containerConcurrency);
    if (concurrency !== undefined && concurrency > 0 && concurrency < target) {
      report(
        `containerConcurrency ${concurrency} is below the autoscaling target ${target}`,
        'Raise containerConcurrency to at least the target',
      );
    }
    const timeout = integer(spec.timeoutSeconds);
    if (timeout === undefined || timeout > MAX_REVISION_TIMEOUT_SECONDS) {
      report(
        `timeoutSeconds is ${String(spec.timeoutSeconds ?? 'unset')}`,
        `Set it, at most ${MAX_REVISION_TIMEOUT_SECONDS} (Knative's default max-revision-timeout-seconds)`,
      );
    }
    const fn = ctx.facts.functions.find((f) => f.service === svc.name);
    const burst = annotations['autoscaling.knative.dev/target-burst-capacity'];
    if (fn?.isAlwaysOn && (min < 1 || at('target-burst-capacity') !== 0)) {
      report(
        `min-scale is ${min} and target-burst-capacity ${burst ?? 'unset'}, so Knative's activator can ` +
          "sit in front of it and hide its callers' identities from its policies",
        'Set min-scale to 1 or more and target-burst-capacity to "0" (shared/deploy/topology.ts isAlwaysOn)',
      );
    }
    const env = containers(svc).map((c) => containerEnv(c, ctx.manifests, svc.namespace));
    const backend = env.map((e) => e.get('DDO_MEMORY_BACKEND')?.value).find(Boolean);
    if (backend === 'embedded' && (max !== 1 || min !== 1)) {
      report(
        `It keeps memory in the process (DDO_MEMORY_BACKEND=embedded) but may run ${min} to ${max} replicas`,
        'Set min-scale and max-scale to 1, or use the redis backend',
      );
    }
  }
}

/** The longest step any agent in `<root>/agents` allows, in seconds. */
export function longestStepSeconds(root: string): number {
  const dir = path.join(root, 'agents');
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)) : [];
  const steps = files.map((f) => {
    const agent: unknown = parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    return integer(dig(agent, 'limits', 'stepTimeoutSeconds')) ?? DEFAULT_STEP_TIMEOUT_SECONDS;
  });
  return Math.max(DEFAULT_STEP_TIMEOUT_SECONDS, ...steps);
}

function checkExecutorTimeout(ctx: ProfileContext, found: Findings): void {
  const executor = ctx.facts.functions.find((f) => f.id === 'executor')?.service;
  const svc = ctx.manifests.find((m) => isKnativeService(m) && m.name === executor);
  if (!svc) return;

  const report = found.about(svc);
  const timeout = integer(podTemplate(svc).spec.timeoutSeconds) ?? 0;
  const env = containers(svc).map((c) => containerEnv(c, ctx.manifests, svc.namespace));
  // A model turn is bounded by its budget (every attempt, wait and fallback), not one attempt.
  const budgetMs = integer(env.map((e) => e.get('DDO_MODEL_BUDGET_MS')?.value).find(Boolean));
  const modelSeconds = Math.ceil((budgetMs ?? DEFAULT_RETRY_POLICY.budgetMs) / 1_000);
  const stepSeconds = longestStepSeconds(ctx.root);
  const needed = Math.max(modelSeconds, stepSeconds) + RESULT_EMIT_MARGIN_SECONDS;
  if (timeout < needed) {
    report(
      `timeoutSeconds ${timeout} is not above its longest request: a model turn of ${modelSeconds} s ` +
        `(DDO_MODEL_BUDGET_MS) or a step of ${stepSeconds} s, plus ${RESULT_EMIT_MARGIN_SECONDS} s to send ` +
        'the result',
      `Raise timeoutSeconds to ${needed} or more, or lower DDO_MODEL_BUDGET_MS`,
    );
  }
  const triggers = ofKind(ctx.manifests, 'Trigger', 'eventing.knative.dev');
  for (const t of triggers.filter((t) => dig(t.body, 'spec', 'subscriber', 'ref', 'name') === executor)) {
    const attempt = text(dig(t.body, 'spec', 'delivery', 'timeout'));
    const attemptSeconds = attempt === undefined ? undefined : durationSeconds(attempt);
    if (attemptSeconds !== undefined && attemptSeconds >= timeout) continue;
    found.about(t)(
      `Its delivery attempt timeout is ${attempt ?? 'the broker default'}, shorter than the executor's ` +
        `${timeout} s, so a long call would be retried while it still runs`,
      `Set spec.delivery.timeout to PT${timeout}S or more`,
    );
  }
}

function durationSeconds(iso: string): number | undefined {
  try {
    return parseIsoDuration(iso) / 1_000;
  } catch {
    return undefined;
  }
}

function checkImages(ctx: ProfileContext, found: Findings): void {
  const built = new Map(ctx.skaffold.artifacts.map((a) => [a.image, a]));
  const used = new Set<string>();
  for (const w of ctx.manifests.filter(isKnativeService)) {
    for (const image of containers(w).map((c) => text(c.image) ?? '')) {
      used.add(image);
      if (built.has(image)) continue;
      found.about(w)(
        `Its image ${image} is not built by skaffold.yaml`,
        `Add a build artifact ${image}, or use one of ${[...built.keys()].join(', ')}`,
      );
    }
  }
  for (const artifact of ctx.skaffold.artifacts) {
    const where = [ctx.skaffold.file, `Artifact/${artifact.image}`] as const;
    if (!used.has(artifact.image)) {
      const fix = 'Remove the artifact or deploy a Service that uses it';
      found.at(...where, `No Knative Service runs the image ${artifact.image}`, fix);
    }
    const fn = ctx.facts.functions.find((f) => f.service === artifact.image);
    const { FUNCTION_FOLDER: folder, FUNCTION_TARGET: target } = artifact.buildArgs;
    if (!fn || (folder === fn.folder && target === fn.target)) continue;
    found.at(
      ...where,
      `It builds folder ${String(folder)} with target ${String(target)}`,
      `Set buildArgs FUNCTION_FOLDER: ${fn.folder} and FUNCTION_TARGET: ${fn.target}`,
    );
  }
}

function checkBroker(ctx: ProfileContext, found: Findings): void {
  const brokers = ofKind(ctx.manifests, 'Broker', 'eventing.knative.dev');
  const main = brokers.find((b) => b.name === 'default' && b.namespace === NAMESPACE);
  if (!main) {
    const problem = `The profile deploys no Broker ${NAMESPACE}/default`;
    const fix = "Add one to the profile's brokers/ kustomization";
    found.at('brokers/broker-dev.yaml', 'Broker/(none)', problem, fix);
    return;
  }
  if (!ctx.isMultiZone) return;

  const annotations = record(dig(main.body, 'metadata', 'annotations'));
  const brokerClass = text(annotations['eventing.knative.dev/broker.class']) ?? 'MTChannelBasedBroker';
  const configName = text(dig(main.body, 'spec', 'config', 'name'));
  const config = ctx.manifests.find((m) => m.kind === 'ConfigMap' && m.name === configName);
  const replication = integer(strings(config?.body.data)['default.topic.replication.factor']) ?? 0;
  if (brokerClass === 'Kafka' && replication >= PRODUCTION_ZONES) return;
  found.about(main)(
    `A multi-zone profile needs a Kafka broker replicated ${PRODUCTION_ZONES} ways, but this is ` +
      `${brokerClass} with replication factor ${replication}`,
    `Use broker.class Kafka with default.topic.replication.factor ${PRODUCTION_ZONES} (brokers/prod/)`,
  );
}

/**
 * Reads the Knative Eventing manifests (Brokers and Triggers) that the cluster applies, so the
 * local broker routes and retries exactly as they say. Only the fields the local broker acts on
 * are typed; everything else in the files (other kinds, annotations) is ignored.
 *
 * @see https://knative.dev/docs/eventing/brokers/ (Broker and Trigger objects)
 * @see https://knative.dev/docs/eventing/event-delivery/ (the delivery spec)
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ConfigError } from '../shared/errors';

/** Where a Trigger or a dead-letter sink sends events: a Service by name, a URI, or both. */
export interface DestinationSpec {
  ref?: { kind: string; name: string; apiVersion?: string; namespace?: string };
  uri?: string;
}

/** Knative's DeliverySpec: retries, backoff and the dead-letter sink. */
export interface DeliverySpec {
  retry?: number;
  backoffPolicy?: 'exponential' | 'linear';
  /** ISO-8601 duration, e.g. PT0.2S. */
  backoffDelay?: string;
  /** Per-attempt timeout, an ISO-8601 duration (Knative's delivery-timeout feature). */
  timeout?: string;
  deadLetterSink?: DestinationSpec;
}

/** Kubernetes object metadata, reduced to what routing uses. */
export interface ObjectMeta {
  name: string;
  namespace: string;
}

/** An eventing.knative.dev Broker. */
export interface BrokerManifest {
  kind: 'Broker';
  metadata: ObjectMeta;
  spec: { delivery?: DeliverySpec };
}

/** An eventing.knative.dev Trigger; `spec.delivery` is already resolved against its Broker. */
export interface TriggerManifest {
  kind: 'Trigger';
  metadata: ObjectMeta;
  spec: {
    broker: string;
    filter: { attributes: Record<string, string> };
    subscriber: DestinationSpec;
    delivery?: DeliverySpec;
  };
}

/** Everything the local broker needs from the manifest folders. */
export interface EventingManifests {
  brokers: BrokerManifest[];
  triggers: TriggerManifest[];
}

// kubectl applies namespace-less objects to the current namespace; `default` is its default.
const DEFAULT_NAMESPACE = 'default';

const NUMBER = String.raw`(\d+(?:[.,]\d+)?)`;
const ISO_DURATION = new RegExp(`^P(?:${NUMBER}D)?(?:T(?:${NUMBER}H)?(?:${NUMBER}M)?(?:${NUMBER}S)?)?$`, 'i');

/** Loads every `*.yaml`/`*.yml` file in `dirs` (not recursive) and returns its Brokers and Triggers. */
export function loadManifests(dirs: readonly string[]): EventingManifests {
  const brokers: BrokerManifest[] = [];
  const triggers: TriggerManifest[] = [];
  for (const dir of dirs) {
    const files = fs
      .readdirSync(dir)
      .filter((f) => /\.ya?ml$/i.test(f))
      .sort();
    for (const file of files) {
      const found = parseManifests(fs.readFileSync(path.join(dir, file), 'utf8'), path.join(dir, file));
      brokers.push(...found.brokers);
      triggers.push(...found.triggers);
    }
  }
  return { brokers, triggers: triggers.map((t) => withInheritedDelivery(t, brokers)) };
}

/** Parses one multi-document YAML text; `file` only names the source in error messages. */
export function parseManifests(text: string, file = '<inline>'): EventingManifests {
  const brokers: BrokerManifest[] = [];
  const triggers: TriggerManifest[] = [];
  parseAllDocuments(text).forEach((doc, index) => {
    const where = `${file} (document ${index + 1})`;
    if (doc.errors.length > 0) throw new ConfigError(`${where} is not valid YAML: ${doc.errors[0].message}`);
    const obj = doc.toJS() as Record<string, unknown> | null;
    if (obj === null || typeof obj !== 'object') return;
    if (!String(obj.apiVersion ?? '').startsWith('eventing.knative.dev/')) return;
    if (obj.kind === 'Broker') brokers.push(toBroker(obj, where));
    if (obj.kind === 'Trigger') triggers.push(toTrigger(obj, where));
  });
  return { brokers, triggers };
}

/** A Trigger without its own delivery spec uses its Broker's, as Knative does. */
export function withInheritedDelivery(
  trigger: TriggerManifest,
  brokers: readonly BrokerManifest[],
): TriggerManifest {
  if (trigger.spec.delivery) return trigger;

  const broker = brokers.find(
    (b) => b.metadata.name === trigger.spec.broker && b.metadata.namespace === trigger.metadata.namespace,
  );
  if (!broker?.spec.delivery) return trigger;
  return { ...trigger, spec: { ...trigger.spec, delivery: broker.spec.delivery } };
}

/**
 * Parses an ISO-8601 duration into milliseconds: `PT0.2S`, `PT5M`, `PT1H30M`, `P1DT2H`. Any
 * component may carry a fraction (`.` or `,`). Years, months and weeks are refused, because
 * their length in milliseconds depends on the calendar.
 */
export function parseIsoDuration(text: string): number {
  const trimmed = text.trim();
  const m = ISO_DURATION.exec(trimmed);
  // The pattern also matches `P`, `PT` and `P1DT`, which ISO-8601 does not allow.
  if (!m || m.slice(1).every((v) => v === undefined) || /T$/i.test(trimmed)) {
    throw new ConfigError(
      `${JSON.stringify(text)} is not an ISO-8601 duration; write it like PT0.2S, PT30S, PT5M or P1DT2H.`,
    );
  }
  const [days, hours, minutes, seconds] = m.slice(1).map((v) => Number((v ?? '0').replace(',', '.')));
  return Math.round(((days * 24 + hours) * 60 + minutes) * 60_000 + seconds * 1_000);
}

function toBroker(obj: Record<string, unknown>, where: string): BrokerManifest {
  const spec = asRecord(obj.spec) ?? {};
  const delivery = toDelivery(spec.delivery, where);
  return { kind: 'Broker', metadata: toMeta(obj, where), spec: { delivery } };
}

function toTrigger(obj: Record<string, unknown>, where: string): TriggerManifest {
  const metadata = toMeta(obj, where);
  const spec = asRecord(obj.spec);
  const broker = spec?.broker;
  if (typeof broker !== 'string' || broker === '') {
    throw new ConfigError(`${where}: Trigger ${metadata.name} needs spec.broker.`);
  }
  const attributes = asRecord(asRecord(spec?.filter)?.attributes) ?? {};
  for (const [key, value] of Object.entries(attributes)) {
    if (typeof value !== 'string') {
      throw new ConfigError(`${where}: Trigger ${metadata.name} filter attribute ${key} must be a string.`);
    }
  }
  const subscriber = toDestination(spec?.subscriber, `${where}: Trigger ${metadata.name} spec.subscriber`);
  return {
    kind: 'Trigger',
    metadata,
    spec: {
      broker,
      filter: { attributes: attributes as Record<string, string> },
      subscriber,
      delivery: toDelivery(spec?.delivery, `${where}: Trigger ${metadata.name}`),
    },
  };
}

function toMeta(obj: Record<string, unknown>, where: string): ObjectMeta {
  const meta = asRecord(obj.metadata);
  if (typeof meta?.name !== 'string' || meta.name === '') {
    throw new ConfigError(`${where} needs metadata.name.`);
  }
  const hasNamespace = typeof meta.namespace === 'string' && meta.namespace !== '';
  return { name: meta.name, namespace: hasNamespace ? (meta.namespace as string) : DEFAULT_NAMESPACE };
}

function toDelivery(raw: unknown, where: string): DeliverySpec | undefined {
  const d = asRecord(raw);
  if (!d) return undefined;

  const delivery: DeliverySpec = {};
  if (d.retry !== undefined) {
    if (!Number.isInteger(d.retry) || (d.retry as number) < 0) {
      throw new ConfigError(`${where}: delivery.retry must be a whole number, got ${String(d.retry)}.`);
    }
    delivery.retry = d.retry as number;
  }
  if (d.backoffPolicy !== undefined) {
    if (d.backoffPolicy !== 'exponential' && d.backoffPolicy !== 'linear') {
      throw new ConfigError(`${where}: delivery.backoffPolicy must be exponential or linear.`);
    }
    delivery.backoffPolicy = d.backoffPolicy;
  }
  for (const key of ['backoffDelay', 'timeout'] as const) {
    if (d[key] === undefined) continue;
    try {
      parseIsoDuration(String(d[key]));
    } catch (err) {
      throw new ConfigError(`${where}: delivery.${key} ${(err as Error).message}`);
    }
    delivery[key] = String(d[key]);
  }
  if (d.deadLetterSink !== undefined) {
    delivery.deadLetterSink = toDestination(d.deadLetterSink, `${where}: delivery.deadLetterSink`);
  }
  return delivery;
}

function toDestination(raw: unknown, where: string): DestinationSpec {
  const d = asRecord(raw);
  const ref = asRecord(d?.ref);
  const uri = typeof d?.uri === 'string' ? d.uri : undefined;
  if (ref && (typeof ref.kind !== 'string' || typeof ref.name !== 'string')) {
    throw new ConfigError(`${where}.ref needs kind and name.`);
  }
  if (!ref && !uri) throw new ConfigError(`${where} needs a ref or a uri.`);
  return {
    ...(ref && {
      ref: {
        kind: ref.kind as string,
        name: ref.name as string,
        ...(typeof ref.apiVersion === 'string' && { apiVersion: ref.apiVersion }),
        ...(typeof ref.namespace === 'string' && { namespace: ref.namespace }),
      },
    }),
    ...(uri !== undefined && { uri }),
  };
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

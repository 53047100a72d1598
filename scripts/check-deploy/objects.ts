/**
 * Typed reads of the parts of manifests the checks look at. Manifests are untrusted input, so
 * every accessor tolerates a missing or mistyped field and returns an empty value instead.
 */
import { groupOf, type Manifest } from './manifests';

/** The value at a dotted path, or undefined. */
export function dig(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** `value` if it is a plain object, else an empty one. */
export function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** `value` if it is an array, else an empty one. */
export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** `value` if it is a string, else undefined. */
export function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A map of strings (labels, annotations, ConfigMap data); non-string values are dropped. */
export function strings(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record(value))) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
  }
  return out;
}

/** Whether every label of `selector` is in `labels` (an empty selector matches everything). */
export function selects(
  selector: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** The objects of one kind (and API group, when given). */
export function ofKind(manifests: readonly Manifest[], kind: string, group?: string): Manifest[] {
  return manifests.filter((m) => m.kind === kind && (group === undefined || groupOf(m.apiVersion) === group));
}

/** A pod template's labels, annotations and spec. */
export interface PodTemplate {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: Record<string, unknown>;
}

/** The pod template of a Knative Service or a Deployment. */
export function podTemplate(m: Manifest): PodTemplate {
  const template = record(dig(m.body, 'spec', 'template'));
  return {
    labels: strings(dig(template, 'metadata', 'labels')),
    annotations: strings(dig(template, 'metadata', 'annotations')),
    spec: record(template.spec),
  };
}

/** The labels a workload's pods carry; Knative adds serving.knative.dev/service itself. */
export function podLabels(m: Manifest): Record<string, string> {
  const { labels } = podTemplate(m);
  return m.kind === 'Service' && m.apiVersion.startsWith('serving.knative.dev/')
    ? { ...labels, 'serving.knative.dev/service': m.name }
    : labels;
}

/** The containers of a pod template. */
export function containers(m: Manifest): Record<string, unknown>[] {
  return list(podTemplate(m).spec.containers).map(record);
}

/** Whether the object is a Knative Service. */
export function isKnativeService(m: Manifest): boolean {
  return m.kind === 'Service' && m.apiVersion.startsWith('serving.knative.dev/');
}

/** How a container's environment variable is set. */
export interface EnvSource {
  value?: string;
  secret?: { name: string; key: string; isOptional: boolean };
  /** Where a value from envFrom came from. */
  configMap?: string;
}

/**
 * A container's environment as Kubernetes builds it: envFrom ConfigMaps first (later ones win),
 * then env entries, which override them.
 */
export function containerEnv(
  container: Record<string, unknown>,
  manifests: readonly Manifest[],
  namespace: string,
): Map<string, EnvSource> {
  const env = new Map<string, EnvSource>();
  for (const from of list(container.envFrom).map(record)) {
    const name = text(dig(from, 'configMapRef', 'name'));
    const cm = manifests.find((m) => m.kind === 'ConfigMap' && m.name === name && m.namespace === namespace);
    for (const [k, v] of Object.entries(strings(cm?.body.data))) env.set(k, { value: v, configMap: name });
  }
  for (const entry of list(container.env).map(record)) {
    const name = text(entry.name);
    if (!name) continue;
    const ref = record(dig(entry, 'valueFrom', 'secretKeyRef'));
    if (text(ref.name) === undefined) {
      env.set(name, { value: text(entry.value) ?? '' });
      continue;
    }
    const isOptional = ref.optional === true;
    env.set(name, { secret: { name: text(ref.name) ?? '', key: text(ref.key) ?? '', isOptional } });
  }
  return env;
}

/** An integer from an annotation or field, or undefined when absent or malformed. */
export function integer(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isInteger(n) ? n : undefined;
}

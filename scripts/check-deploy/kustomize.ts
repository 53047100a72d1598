/**
 * Renders a kustomization the way `kustomize build` does, for the subset DDO uses: `resources`
 * (files, or folders with their own kustomization) and `patches` (inline or from a file, as JSON
 * 6902 operations or a merge patch, with an optional target). Anything else in a kustomization is
 * reported, so the analyzer never checks something other than what skaffold deploys.
 *
 * @see https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/patches/
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { applyJsonPatch, mergePatch } from './json-patch';
import { groupOf, objectRef, readManifestFile, withBody, type Manifest } from './manifests';
import { list, record, text } from './objects';
import { violation, type Violation } from './violation';

/** What rendering produced: the objects, the files they came from, and what went wrong. */
export interface RenderResult {
  manifests: Manifest[];
  files: Set<string>;
  violations: Violation[];
}

/** One kustomization being rendered: where it is, and what it has produced so far. */
interface Rendering {
  root: string;
  dir: string;
  file: string;
  result: RenderResult;
}

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const SUPPORTED_FIELDS = new Set(['apiVersion', 'kind', 'resources', 'patches']);

/** The kustomization file of a folder, repository-relative, or undefined when it has none. */
export function kustomizationFile(root: string, dir: string): string | undefined {
  const name = KUSTOMIZATION_FILES.find((f) => fs.existsSync(path.join(root, dir, f)));
  return name === undefined ? undefined : posix(path.join(dir, name));
}

/** Renders the kustomization in folder `dir` (repository-relative). */
export function renderKustomization(root: string, dir: string, seen: Set<string> = new Set()): RenderResult {
  const result: RenderResult = { manifests: [], files: new Set(), violations: [] };
  const file = kustomizationFile(root, dir);
  if (file === undefined) {
    const fix = 'Add a kustomization.yaml listing its resources, or fix the path in skaffold.yaml';
    result.violations.push(violation(posix(dir), 'Kustomization/(none)', `${dir} has no kustomization`, fix));
    return result;
  }
  if (seen.has(file)) {
    result.violations.push(violation(file, 'Kustomization', 'It includes itself', 'Remove the cycle'));
    return result;
  }
  result.files.add(file);

  const r: Rendering = { root, dir, file, result };
  const spec = record(parse(fs.readFileSync(path.join(root, file), 'utf8')));
  for (const key of Object.keys(spec).filter((k) => !SUPPORTED_FIELDS.has(k))) {
    const fix = 'Use resources and patches only, or teach scripts/check-deploy/kustomize.ts the field';
    report(r, `The analyzer cannot render the field ${key}`, fix);
  }
  for (const entry of list(spec.resources)) addResource(r, String(entry), new Set([...seen, file]));
  for (const patch of list(spec.patches)) applyPatch(r, record(patch));
  result.violations.push(...duplicates(result.manifests));
  return result;
}

function report(r: Rendering, problem: string, fix: string): void {
  r.result.violations.push(violation(r.file, 'Kustomization', problem, fix));
}

function addResource(r: Rendering, entry: string, seen: Set<string>): void {
  const rel = posix(path.join(r.dir, entry));
  const full = path.join(r.root, rel);
  if (!fs.existsSync(full)) {
    report(r, `The resource ${entry} does not exist`, 'Fix or remove it');
    return;
  }
  const nested = fs.statSync(full).isDirectory() ? renderKustomization(r.root, rel, seen) : undefined;
  const read = nested ?? { ...readManifestFile(r.root, rel), files: new Set([rel]) };
  read.files.forEach((f) => r.result.files.add(f));
  r.result.manifests.push(...read.manifests);
  r.result.violations.push(...read.violations);
}

function applyPatch(r: Rendering, entry: Record<string, unknown>): void {
  const patchPath = text(entry.path);
  const source = text(entry.patch) ?? (patchPath === undefined ? undefined : readPatchFile(r, patchPath));
  if (source === undefined) return;

  const doc: unknown = parse(source);
  const isJson6902 = Array.isArray(doc);
  const hasTarget = isJson6902 || entry.target !== undefined;
  const target = hasTarget ? record(entry.target) : targetOfMergePatch(record(doc));
  const manifests = r.result.manifests;
  const matches = manifests.filter((m) => matchesTarget(m, target));
  if (matches.length === 0) {
    const problem = `A patch targets ${JSON.stringify(target)}, which matches no resource`;
    report(r, problem, 'Fix or remove the target');
    return;
  }
  for (const m of matches) {
    try {
      const body = isJson6902 ? applyJsonPatch(m.body, doc) : mergePatch(m.body, doc);
      manifests[manifests.indexOf(m)] = withBody(m, record(body));
    } catch (err) {
      const problem = `A patch from ${r.file} does not apply: ${(err as Error).message}`;
      r.result.violations.push(violation(m.file, objectRef(m), problem, 'Fix the patch or the resource'));
    }
  }
}

function readPatchFile(r: Rendering, rel: string): string | undefined {
  const full = path.join(r.root, r.dir, rel);
  if (!fs.existsSync(full)) {
    report(r, `The patch file ${rel} does not exist`, 'Fix the path');
    return undefined;
  }
  r.result.files.add(posix(path.join(r.dir, rel)));
  return fs.readFileSync(full, 'utf8');
}

function targetOfMergePatch(doc: Record<string, unknown>): Record<string, unknown> {
  const meta = record(doc.metadata);
  const group = groupOf(text(doc.apiVersion) ?? '');
  return { group, kind: doc.kind, name: meta.name, namespace: meta.namespace };
}

/** Kustomize's target selector: group, version, kind, name and namespace, each a regexp. */
export function matchesTarget(m: Manifest, target: Record<string, unknown>): boolean {
  const [group, version] = m.apiVersion.includes('/') ? m.apiVersion.split('/') : ['', m.apiVersion];
  const { kind, name, namespace } = m;
  const actual: Record<string, string> = { group, version, kind, name, namespace };
  return Object.entries(actual).every(([key, value]) => {
    const wanted = text(target[key]);
    return wanted === undefined || new RegExp(`^(?:${wanted})$`).test(value);
  });
}

function duplicates(manifests: readonly Manifest[]): Violation[] {
  const seen = new Map<string, Manifest>();
  const out: Violation[] = [];
  for (const m of manifests) {
    const key = `${groupOf(m.apiVersion)}/${m.kind}/${m.namespace}/${m.name}`;
    const first = seen.get(key);
    if (!first) {
      seen.set(key, m);
      continue;
    }
    const problem = `It is defined twice (also in ${first.file}); kustomize refuses duplicate objects`;
    out.push(violation(m.file, objectRef(m), problem, 'Keep one definition'));
  }
  return out;
}

function posix(p: string): string {
  return p.split(path.sep).join('/').replace(/\/$/, '');
}

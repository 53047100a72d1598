/**
 * Reads skaffold.yaml: the images it builds (with their function folder and target) and, for
 * the top level and each profile, which manifests it deploys. A profile's `manifests` replaces
 * the top level's, as skaffold overlays a profile's lists onto the base configuration.
 *
 * @see https://skaffold.dev/docs/environment/profiles/
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { dig, list, record, strings, text } from './objects';
import { violation, type Violation } from './violation';

/** One image skaffold builds. */
export interface SkaffoldArtifact {
  image: string;
  /** The FUNCTION_FOLDER and FUNCTION_TARGET build arguments, when set. */
  buildArgs: Record<string, string>;
}

/** What one profile deploys. `default` is the top level, which `skaffold dev` uses. */
export interface SkaffoldProfile {
  name: string;
  kustomizePaths: string[];
  rawYaml: string[];
}

/** The parts of skaffold.yaml the analyzer checks. */
export interface SkaffoldConfig {
  file: string;
  artifacts: SkaffoldArtifact[];
  profiles: SkaffoldProfile[];
}

/** The skaffold file name. */
export const SKAFFOLD_FILE = 'skaffold.yaml';

/** Reads skaffold.yaml from `root`. */
export function readSkaffold(root: string): { config?: SkaffoldConfig; violations: Violation[] } {
  const full = path.join(root, SKAFFOLD_FILE);
  if (!fs.existsSync(full)) {
    const fix = 'Add skaffold.yaml with one artifact per function and the manifests to deploy';
    const missing = violation(SKAFFOLD_FILE, 'Config/(none)', 'There is no skaffold.yaml', fix);
    return { violations: [missing] };
  }
  const doc = record(parse(fs.readFileSync(full, 'utf8')));
  const violations: Violation[] = [];
  if (text(doc.apiVersion) !== 'skaffold/v4beta11') {
    const problem = `apiVersion is ${String(doc.apiVersion)}, not skaffold/v4beta11`;
    const fix = 'Use skaffold/v4beta11, the schema these manifests are written for';
    violations.push(violation(SKAFFOLD_FILE, 'Config', problem, fix));
  }
  const artifacts = list(dig(doc, 'build', 'artifacts')).map((a) => ({
    image: text(record(a).image) ?? '',
    buildArgs: strings(dig(a, 'docker', 'buildArgs')),
  }));
  const base = manifestsOf(record(doc.manifests));
  const profiles: SkaffoldProfile[] = [{ name: 'default', ...base }];
  for (const p of list(doc.profiles).map(record)) {
    const name = text(p.name) ?? '(unnamed)';
    const manifests = p.manifests === undefined ? base : manifestsOf(record(p.manifests));
    profiles.push({ name, ...manifests });
  }
  return { config: { file: SKAFFOLD_FILE, artifacts, profiles }, violations };
}

function manifestsOf(manifests: Record<string, unknown>): Omit<SkaffoldProfile, 'name'> {
  return {
    kustomizePaths: list(dig(manifests, 'kustomize', 'paths')).map(String),
    rawYaml: list(manifests.rawYaml).map(String),
  };
}

/** Expands a rawYaml entry: `*` matches within one path segment, as skaffold's globs do. */
export function expandGlob(root: string, pattern: string): string[] {
  const join = (prefix: string, name: string): string => (prefix === '' ? name : `${prefix}/${name}`);
  const isFile = (rel: string): boolean => {
    const full = path.join(root, rel);
    return fs.existsSync(full) && fs.statSync(full).isFile();
  };
  let matches = [''];
  for (const segment of pattern.split('/')) {
    if (!/[*?]/.test(segment)) {
      matches = matches.map((prefix) => join(prefix, segment));
      continue;
    }
    const escaped = segment.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    const re = new RegExp(`^${escaped.replace(/\*/g, '[^/]*').replace(/\?/g, '.')}$`);
    matches = matches.flatMap((prefix) => {
      const dir = path.join(root, prefix);
      if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return [];
      return fs.readdirSync(dir).filter((n) => re.test(n)).map((n) => join(prefix, n));
    });
  }
  return matches.filter(isFile).sort();
}

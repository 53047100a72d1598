/**
 * The deployment check: loads every manifest under knative/, brokers/ and istio/, validates each
 * against its schema, renders each skaffold profile as skaffold would, and runs the reference and
 * invariant checks on every profile. `analyze(root)` returns the violations; a violation found in
 * only some profiles says which.
 */
import { declaredFacts, type DeployFacts, type ProfileCheck, type ProfileContext } from './context';
import { checkEdges } from './checks/edges';
import { checkEgress } from './checks/egress';
import { checkEvents } from './checks/events';
import { checkInstall, INSTALL_DIR } from './checks/install';
import { checkMesh } from './checks/mesh';
import { checkReferences } from './checks/references';
import { checkWorkloads } from './checks/workloads';
import { kustomizationFile, renderKustomization, type RenderResult } from './kustomize';
import { listYamlFiles, readManifestFile } from './manifests';
import { KUSTOMIZATION_API, validateSchema } from './schemas';
import { expandGlob, readSkaffold, type SkaffoldConfig, type SkaffoldProfile } from './skaffold';
import { formatViolation, violation, type Violation } from './violation';

/** The folders whose manifests the check loads. */
export const MANIFEST_DIRS: readonly string[] = ['knative', 'brokers', 'istio'];

const CHECKS: readonly ProfileCheck[] = [
  checkReferences,
  checkEvents,
  checkEdges,
  checkMesh,
  checkEgress,
  checkWorkloads,
  checkInstall,
];

/** What a run found, with what it covered. */
export interface AnalysisReport {
  violations: Violation[];
  profiles: string[];
  files: number;
  objects: number;
}

/** Analyzes the repository (or a copy of it) at `root`; an empty result means all is well. */
export function analyze(root: string, facts: DeployFacts = declaredFacts()): Violation[] {
  return analyzeReport(root, facts).violations;
}

/** Like `analyze`, with what was covered, for the CLI's summary. */
export function analyzeReport(root: string, facts: DeployFacts = declaredFacts()): AnalysisReport {
  const files = listYamlFiles(root, MANIFEST_DIRS);
  const violations: Violation[] = [];
  let objects = 0;
  for (const file of files) {
    const read = readManifestFile(root, file);
    violations.push(...read.violations);
    for (const m of read.manifests.filter((m) => !m.apiVersion.startsWith(KUSTOMIZATION_API))) {
      objects += 1;
      violations.push(...validateSchema(m));
    }
  }

  const skaffold = readSkaffold(root);
  violations.push(...skaffold.violations);
  if (!skaffold.config) {
    return { violations: sorted(violations), profiles: [], files: files.length, objects };
  }

  const config = skaffold.config;
  const used = new Set<string>();
  const perProfile = config.profiles.map((profile) => {
    const rendered = renderProfile(root, profile);
    rendered.files.forEach((f) => used.add(f));
    const ctx: ProfileContext = {
      root,
      profile: profile.name,
      isMultiZone: facts.multiZoneProfiles.includes(profile.name),
      manifests: rendered.manifests,
      skaffold: config,
      facts,
    };
    const found = [...rendered.violations, ...CHECKS.flatMap((check) => check(ctx))];
    return { name: profile.name, violations: found };
  });
  violations.push(...mergeProfiles(perProfile), ...orphans(root, files, used, config));
  const profiles = config.profiles.map((p) => p.name);
  return { violations: sorted(violations), profiles, files: files.length, objects };
}

/** Renders what one skaffold profile deploys. */
export function renderProfile(root: string, profile: SkaffoldProfile): RenderResult {
  const out: RenderResult = { manifests: [], files: new Set(), violations: [] };
  for (const dir of profile.kustomizePaths) {
    const r = renderKustomization(root, dir);
    out.manifests.push(...r.manifests);
    r.files.forEach((f) => out.files.add(f));
    out.violations.push(...r.violations);
  }
  for (const pattern of profile.rawYaml) {
    for (const file of expandGlob(root, pattern)) {
      const r = readManifestFile(root, file);
      out.manifests.push(...r.manifests);
      out.files.add(file);
      out.violations.push(...r.violations);
    }
  }
  return out;
}

// A violation every profile has is printed once; one only some have names them.
function mergeProfiles(perProfile: Array<{ name: string; violations: Violation[] }>): Violation[] {
  const byText = new Map<string, { v: Violation; profiles: string[] }>();
  for (const { name, violations } of perProfile) {
    for (const v of violations) {
      const key = formatViolation(v);
      const entry = byText.get(key) ?? { v, profiles: [] };
      if (!entry.profiles.includes(name)) entry.profiles.push(name);
      byText.set(key, entry);
    }
  }
  return [...byText.values()].map(({ v, profiles }) => {
    if (profiles.length === perProfile.length) return v;
    const which = `${profiles.join(' and ')} profile${profiles.length > 1 ? 's' : ''}`;
    return { ...v, problem: `In the ${which}: ${v.problem}` };
  });
}

// A manifest no profile deploys is a manifest that silently never reaches the cluster.
function orphans(
  root: string,
  files: readonly string[],
  used: Set<string>,
  config: SkaffoldConfig,
): Violation[] {
  const paths = [...new Set(config.profiles.flatMap((p) => p.kustomizePaths))].join(', ');
  const problem = `No skaffold profile deploys it (${config.file} renders ${paths})`;
  const fix = 'List it in a kustomization those paths include, or delete it';
  return files
    .filter((f) => !used.has(f) && !f.startsWith(`${INSTALL_DIR}/`))
    .filter((f) => kustomizationFile(root, f.slice(0, f.lastIndexOf('/'))) !== f)
    .map((f) => violation(f, 'File', problem, fix));
}

function sorted(violations: Violation[]): Violation[] {
  return violations.sort((a, b) => formatViolation(a).localeCompare(formatViolation(b)));
}

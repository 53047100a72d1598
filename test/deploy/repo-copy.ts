/**
 * Temporary copies of the repository's deployment files, and edits to them, for tests that run
 * the deployment check on a mutated copy.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

/** The repository root. */
export const REPO = path.resolve(__dirname, '..', '..');

const COPIED = ['knative', 'brokers', 'istio', 'agents', 'skaffold.yaml'];

/** Copies the manifests, agents and skaffold.yaml into a fresh temporary folder. */
export function copyRepo(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddo-deploy-'));
  for (const entry of COPIED) fs.cpSync(path.join(REPO, entry), path.join(dir, entry), { recursive: true });
  return dir;
}

/** Removes a copy. */
export function removeCopy(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

// Tests edit arbitrary manifests in place, so their shape is not typed.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
type KubeObject = Record<string, any>;

/**
 * Edits the documents of `file` whose kind and name match: `edit` changes the object in place,
 * or returns null to delete the document. Throws when nothing matched, so a test cannot pass by
 * editing nothing.
 */
export function editObject(
  root: string,
  file: string,
  kind: string,
  name: string,
  edit: (obj: KubeObject) => void | null,
): void {
  const full = path.join(root, file);
  const docs = parseAllDocuments(fs.readFileSync(full, 'utf8')).map((d) => d.toJS() as KubeObject | null);
  let matched = 0;
  const kept = docs.flatMap((obj) => {
    if (!obj || obj.kind !== kind || obj.metadata?.name !== name) return obj ? [obj] : [];
    matched += 1;
    return edit(obj) === null ? [] : [obj];
  });
  if (matched === 0) throw new Error(`${file} has no ${kind}/${name}`);
  fs.writeFileSync(full, kept.map((o) => stringify(o)).join('---\n'));
}

/** Appends a document to `file`. */
export function appendObject(root: string, file: string, obj: KubeObject): void {
  fs.appendFileSync(path.join(root, file), `---\n${stringify(obj)}`);
}

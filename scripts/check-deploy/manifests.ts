/**
 * Reads manifest files into objects that remember where they came from (file and document),
 * so every violation can name the file to edit.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { violation, type Violation } from './violation';

/** One Kubernetes object from a YAML file. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  name: string;
  /** `metadata.namespace`, or '' when the object does not set one. */
  namespace: string;
  /** The object as parsed (and, after rendering, as patched). */
  body: Record<string, unknown>;
  /** Repository-relative path, with forward slashes. */
  file: string;
  /** 1-based position of the document in its file. */
  doc: number;
}

/** What reading some files produced. */
export interface ReadResult {
  manifests: Manifest[];
  violations: Violation[];
}

/** `Kind/name`, as violations name objects. */
export function objectRef(m: Pick<Manifest, 'kind' | 'name'>): string {
  return `${m.kind}/${m.name || '(unnamed)'}`;
}

/** The API group of an apiVersion (`''` for the core group). */
export function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
}

/** Parses every document of one file; empty and comment-only documents are skipped. */
export function readManifestFile(root: string, file: string): ReadResult {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  const manifests: Manifest[] = [];
  const violations: Violation[] = [];
  parseAllDocuments(text).forEach((doc, index) => {
    if (doc.errors.length > 0) {
      const problem = `Document ${index + 1} is not valid YAML: ${doc.errors[0].message}`;
      violations.push(violation(file, 'File', problem, 'Fix the YAML syntax'));
      return;
    }
    const body = doc.toJS() as unknown;
    if (body === null || body === undefined) return;
    if (typeof body !== 'object' || Array.isArray(body)) {
      const problem = `Document ${index + 1} is not a Kubernetes object`;
      violations.push(violation(file, 'File', problem, 'Each document must be a mapping'));
      return;
    }
    manifests.push(toManifest(body as Record<string, unknown>, file, index + 1));
  });
  return { manifests, violations };
}

/** Every `*.yaml`/`*.yml` file under the given folders, recursively, repository-relative. */
export function listYamlFiles(root: string, dirs: readonly string[]): string[] {
  const found: string[] = [];
  const walk = (rel: string): void => {
    const full = path.join(root, rel);
    if (!fs.existsSync(full)) return;
    for (const entry of fs.readdirSync(full, { withFileTypes: true })) {
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else if (/\.ya?ml$/i.test(entry.name)) found.push(child);
    }
  };
  for (const dir of dirs) walk(dir);
  return found.sort();
}

function toManifest(body: Record<string, unknown>, file: string, doc: number): Manifest {
  const meta = (body.metadata ?? {}) as Record<string, unknown>;
  return {
    apiVersion: String(body.apiVersion ?? ''),
    kind: String(body.kind ?? ''),
    name: typeof meta.name === 'string' ? meta.name : '',
    namespace: typeof meta.namespace === 'string' ? meta.namespace : '',
    body,
    file,
    doc,
  };
}

/** A copy of `m` with a new body (after a patch); name and namespace are read again. */
export function withBody(m: Manifest, body: Record<string, unknown>): Manifest {
  return { ...toManifest(body, m.file, m.doc) };
}

/**
 * A finding of the deployment check: which file and object, what is wrong, and how to fix it.
 * Printed as `file: Kind/name: what is wrong. How to fix.`
 */

/** One thing wrong with the manifests. */
export interface Violation {
  /** Repository-relative path of the file that holds (or should hold) the object. */
  file: string;
  /** `Kind/name` of the object, or `Kind/(none)` when the object is missing. */
  object: string;
  /** What is wrong, as a sentence. */
  problem: string;
  /** How to fix it, as a sentence. */
  fix: string;
}

/** Builds a violation; sentences get their final period if they lack one. */
export function violation(file: string, object: string, problem: string, fix: string): Violation {
  return { file, object, problem: sentence(problem), fix: sentence(fix) };
}

/** The one-line form the CLI prints and the tests match. */
export function formatViolation(v: Violation): string {
  return `${v.file}: ${v.object}: ${v.problem} ${v.fix}`;
}

function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

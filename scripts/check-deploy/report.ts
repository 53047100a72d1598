/**
 * A small collector the checks share, so a finding reads as one call with its problem and fix.
 */
import { objectRef, type Manifest } from './manifests';
import { violation, type Violation } from './violation';

/** Collects violations; `about(m)` reports against one object, `at(file, object)` against any. */
export class Findings {
  readonly list: Violation[] = [];

  /** A reporter for problems with object `m`. */
  about(m: Manifest): (problem: string, fix: string) => void {
    return (problem, fix) => this.list.push(violation(m.file, objectRef(m), problem, fix));
  }

  /** Reports a problem with an object named by file and `Kind/name` (for missing objects). */
  at(file: string, object: string, problem: string, fix: string): void {
    this.list.push(violation(file, object, problem, fix));
  }
}

/**
 * `npm run check:deploy`: runs the deployment check on the repository, prints the schema
 * versions it validated against and every violation as `file: Kind/name: problem. Fix.`, and
 * exits non-zero when there is any.
 */
import path from 'node:path';
import { analyzeReport } from './analyze';
import { formatViolation } from './violation';
import { schemaVersions } from './schemas';

function main(): void {
  const root = path.resolve(process.argv[2] ?? process.cwd());
  const report = analyzeReport(root);
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);

  out('check:deploy validated the manifests against:');
  for (const line of schemaVersions()) out(`  ${line}`);
  out(`${report.objects} objects in ${report.files} files, profiles ${report.profiles.join(', ')}.`);
  for (const v of report.violations) out(formatViolation(v));
  if (report.violations.length === 0) {
    out('No violations.');
    return;
  }
  out(`${report.violations.length} violation${report.violations.length === 1 ? '' : 's'}.`);
  process.exitCode = 1;
}

main();

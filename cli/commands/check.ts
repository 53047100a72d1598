/**
 * `ddo check`: runs the deployment analyzer (scripts/check-deploy, also `npm run check:deploy`)
 * in a child process with the terminal passed through, and exits with its exit code.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { EXIT, UsageError } from '../errors';

/** Where the built analyzer lives, beside the built CLI under dist/. */
export function analyzerPath(): string {
  return path.resolve(__dirname, '../../scripts/check-deploy/main.js');
}

/** Runs the analyzer with `args`; resolves with its exit code. */
export async function checkCommand(args: string[]): Promise<number> {
  const main = analyzerPath();
  if (!fs.existsSync(main)) {
    throw new UsageError(
      `The deployment analyzer is not built (${main} is missing): ` +
        'run `npm run build`, or `npm run check:deploy` directly.',
    );
  }
  const child = spawn(process.execPath, [main, ...args], { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      resolve(code ?? (signal === 'SIGINT' ? EXIT.interrupted : EXIT.failed));
    });
  });
}

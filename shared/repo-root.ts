/**
 * The repository (or image) root: the nearest folder at or above `from` with a package.json.
 * The local stack, the build scripts and the benchmark find dist/, node_modules/ and the
 * manifests from it, whether they run from source or from dist/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from './errors';

export function findRepoRoot(from: string): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new ConfigError(`No package.json above ${from}.`);
  }
}

/**
 * Bundles each function into one file, dist/bundles/<function>/index.js, from the compiled
 * dist/functions/<function>/index.js. A cold start spent a third of its time resolving and
 * reading the hundred-odd modules a function loads (its own, the CloudEvents SDK, the OTel API,
 * pino); one file makes that a single read. The local stack, the benchmark and the images run
 * the bundles; dist/functions stays for the CPU profile, which needs the files to tell packages
 * apart.
 *
 * Left outside the bundle, and loaded from node_modules as before:
 * - the functions-framework, which must be the very instance its CLI runs (the function
 *   registers itself with it);
 * - what a function loads only on demand (provider SDKs, store clients, the ajv compiler and the
 *   yaml package behind their fast paths, the OpenTelemetry SDK), so bundling never makes a
 *   function load what it did not load before;
 * - the precompiled validators (dist/shared/validators), six tenths of a bundle's size: each is
 *   required from its own file the first time its schema is used, as from the compiled files;
 * - the module whose state the preload shares with the function (see ownFiles).
 *
 * Run by `npm run build`: `node dist/scripts/bundle.js`.
 */
import path from 'node:path';
import { build, type Plugin } from 'esbuild';
import { findRepoRoot } from '../shared/repo-root';

export const FUNCTION_FOLDERS = ['api-gateway', 'orchestrator', 'planner', 'executor', 'memory', 'dead-letters'];

export const EXTERNAL_PACKAGES = [
  '@google-cloud/functions-framework',
  'openai',
  '@aws-sdk/*',
  '@smithy/*',
  '@ibm-cloud/*',
  'ioredis',
  '@upstash/redis',
  'ajv',
  'ajv-formats',
  'yaml',
  '@opentelemetry/sdk-*',
  '@opentelemetry/exporter-*',
  '@opentelemetry/resources',
  '@opentelemetry/semantic-conventions',
];

/**
 * Leaves some of our modules in their own files beside the bundle (required from dist/shared by
 * a relative path that holds in the image too): each validator, and the span-id module, whose
 * state the preload's OpenTelemetry SDK and the function's code must share, so both need the
 * one instance Node's module cache gives a single file.
 */
function ownFiles(root: string, outDir: string): Plugin {
  const validators = path.join(root, 'dist/shared/validators');
  const shared = new Set([path.join(root, 'dist/shared/telemetry/ids.js')]);
  const isOwnFile = (file: string) =>
    shared.has(file) || (path.dirname(file) === validators && path.basename(file) !== 'index.js');
  return {
    name: 'own-files',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        const target = path.resolve(args.resolveDir, args.path.endsWith('.js') ? args.path : `${args.path}.js`);
        if (!isOwnFile(target)) return undefined;
        return { path: `./${path.relative(outDir, target)}`, external: true };
      });
    },
  };
}

/** Bundles every function; resolves with the bundle paths. */
export async function bundleFunctions(root = findRepoRoot(__dirname)): Promise<string[]> {
  const written: string[] = [];
  for (const folder of FUNCTION_FOLDERS) {
    const entry = path.join(root, 'dist/functions', folder, 'index.js');
    const outfile = path.join(root, 'dist/bundles', folder, 'index.js');
    await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      external: EXTERNAL_PACKAGES,
      plugins: [ownFiles(root, path.dirname(outfile))],
      // Readable stack traces: names and layout kept, nothing minified.
      minify: false,
      keepNames: true,
      logLevel: 'warning',
    });
    written.push(path.relative(root, outfile));
  }
  return written;
}

if (require.main === module) {
  // Quiet on success: it runs before every start and test.
  bundleFunctions().catch((err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}

/**
 * The bundles `npm run build` writes (scripts/bundle.ts): one file per function, holding our code
 * and the packages every request uses, and never the packages a function loads only on demand,
 * the validators, or the span-id module the preload shares. esbuild marks each module it inlines
 * with a `// <path>` comment line, which is what these tests read.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FUNCTION_FOLDERS } from '../../../scripts/bundle';

const ROOT = path.resolve(__dirname, '../../..');
const bundleOf = (folder: string) => path.join(ROOT, 'dist/bundles', folder, 'index.js');

/** The files a bundle inlines, from esbuild's per-module comment lines. */
function inlined(folder: string): string[] {
  const text = fs.readFileSync(bundleOf(folder), 'utf8');
  return [...text.matchAll(/^\/\/ ((?:node_modules|dist)\/\S+)$/gm)].map((m) => m[1]);
}

describe('the function bundles', () => {
  it.each(FUNCTION_FOLDERS)('%s is one file that inlines its own code and the CloudEvents SDK or pino', (folder) => {
    const files = inlined(folder);
    expect(files.some((f) => f.startsWith(`dist/functions/${folder}/`))).toBe(true);
    expect(files.some((f) => f.startsWith('node_modules/pino/'))).toBe(true);
  });

  it.each(FUNCTION_FOLDERS)('%s leaves on-demand packages, validators and span ids to their own files', (folder) => {
    const onDemand = /^node_modules\/(openai|@aws-sdk|@smithy|@ibm-cloud|ioredis|@upstash|ajv|ajv-formats|yaml|@opentelemetry\/sdk-|@google-cloud\/functions-framework)\//;
    const files = inlined(folder);
    expect(files.filter((f) => onDemand.test(f))).toEqual([]);
    expect(files.filter((f) => f.startsWith('dist/shared/validators/') && !f.endsWith('/index.js'))).toEqual([]);
    expect(files).not.toContain('dist/shared/telemetry/ids.js');
  });

  it('requires the files it leaves out by a path that exists beside the bundle', () => {
    const text = fs.readFileSync(bundleOf('executor'), 'utf8');
    const relative = [...text.matchAll(/require\("(\.\/[^"]+)"\)/g)].map((m) => m[1]);
    expect(relative.length).toBeGreaterThan(0);
    for (const rel of relative) expect(fs.existsSync(path.resolve(path.dirname(bundleOf('executor')), rel))).toBe(true);
  });
});

/** Where the benchmark finds the repository, the build and its own files, from dist/ or from source. */
import path from 'node:path';
import { findRepoRoot } from '../shared/repo-root';

/** The repository root (holds package.json, dist/ and node_modules/). */
export const REPO_ROOT = findRepoRoot(__dirname);

/** Paths the harness uses; all absolute. */
export const PATHS = {
  agentsDir: path.join(REPO_ROOT, 'bench/agents'),
  bareSource: path.join(REPO_ROOT, 'bench/fixtures/bare.js'),
  loopbackPin: path.join(REPO_ROOT, 'bench/fixtures/loopback.js'),
  loopbackEcho: path.join(REPO_ROOT, 'bench/fixtures/echo.js'),
  results: path.join(REPO_ROOT, 'bench/results'),
  preload: path.join(REPO_ROOT, 'dist/shared/runtime/preload.js'),
  frameworkMain: path.join(REPO_ROOT, 'node_modules/@google-cloud/functions-framework/build/src/main.js'),
  /** A function's bundle, as the images run it (scripts/bundle.ts). */
  functionSource: (folder: string) => path.join(REPO_ROOT, 'dist/bundles', folder),
  /** A function's compiled files, for profiles that tell packages apart by file. */
  functionFiles: (folder: string) => path.join(REPO_ROOT, 'dist/functions', folder),
  /** Built benchmark modules, run as child processes. */
  distBench: (file: string) => path.join(REPO_ROOT, 'dist/bench', file),
};

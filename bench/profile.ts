/**
 * The profile, in two parts:
 * - steady state: a stack whose every process (the broker's host and each function) runs with
 *   --cpu-prof and counts the requests it serves, driven through ~200 sequential one-iteration
 *   runs. Only the measured window is kept (V8 stamps samples with the monotonic clock that
 *   process.hrtime reads, the same in every process), so start-up and shutdown are left out;
 * - start-up: each function and the bare one started alone with --cpu-prof up to its first
 *   answer, to show which packages the cold start spends its CPU on.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FUNCTION_SPECS, freePort, functionEnv, probeOnce, spawnFunction, stopChild } from './functions';
import { pollUntil } from './http';
import { PATHS } from './paths';
import {
  combined,
  renderProfile,
  renderRequests,
  summarizeProfileDir,
  summarizeRequests,
  type ProcessProfile,
} from './profile-summary';
import type { BenchContext } from './report';
import { launchStack } from './stack-proc';
import { median } from './stats';
import { ONE_ITERATION_INPUT } from './sections/latency';

const nowUs = () => Number(process.hrtime.bigint() / 1_000n);
const PROFILE_FLAGS = ['--cpu-prof', '--cpu-prof-interval=250'];
const WIDE_RUNS = 5;
const WIDE_INPUT = `compute: ${Array.from({ length: 16 }, (_v, i) => `${i + 1} * ${i + 2}`).join('; ')}`;

/** Profiles `runs` sequential runs and the start-up of each function; writes profile.md. */
export async function runProfile(ctx: BenchContext, runs = 200): Promise<string> {
  const dir = path.join(PATHS.results, 'profile');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'startup'), { recursive: true });
  const hostFlags = [
    ...PROFILE_FLAGS,
    `--cpu-prof-dir=${dir}`,
    '--cpu-prof-name=broker+host.cpuprofile',
    '--require',
    PATHS.distBench('request-counter.js'),
  ];
  // The compiled files, not the bundles: the profile tells packages and folders apart by file.
  const stack = await launchStack({ DDO_BENCH_CPU_PROF_DIR: dir, DDO_BENCH_COUNT_DIR: dir, DDO_BENCH_UNBUNDLED: 'true' }, hostFlags);
  const latencies: number[] = [];
  let [fromUs, toUs, wideFromUs, wideToUs] = [0, 0, 0, 0];
  try {
    for (let i = 0; i < 30; i++) await stack.run(ONE_ITERATION_INPUT);
    fromUs = nowUs();
    for (let i = 0; i < runs; i++) latencies.push((await stack.run(ONE_ITERATION_INPUT)).ms);
    toUs = nowUs();
    // A second, short window: the requests of a 16-step plan, where step results race.
    await stack.run(WIDE_INPUT);
    wideFromUs = nowUs();
    for (let i = 0; i < WIDE_RUNS; i++) await stack.run(WIDE_INPUT);
    wideToUs = nowUs();
  } finally {
    // Each process writes its files as it exits: the functions on SIGTERM, the host last.
    await stack.stop();
  }
  const profiles = summarizeProfileDir(dir, fromUs, toUs);
  const requests = summarizeRequests(dir, fromUs, toUs, runs);
  const wide = summarizeRequests(dir, wideFromUs, wideToUs, WIDE_RUNS);
  const startup = await profileStartups(path.join(dir, 'startup'));
  const markdown = [
    renderProfile(profiles, runs, median(latencies)),
    renderRequests(requests),
    'The same for a run whose plan has 16 parallel steps (bench/offline-scripted.ts):',
    '',
    renderRequests(wide.filter((r) => r.process === 'memory' || r.process === 'orchestrator')),
    renderStartups(startup),
  ].join('\n');
  fs.writeFileSync(path.join(PATHS.results, 'profile.md'), `# Where the time goes\n\n${markdown}`);
  ctx.results.details.profile = {
    runs,
    windowMs: (toUs - fromUs) / 1_000,
    medianLatencyMs: median(latencies),
    processes: profiles,
    categories: combined(profiles),
    requestsPerRun: requests,
    requestsPerWideRun: wide,
    startup,
  };
  ctx.log(`profile: ${runs} runs profiled; .cpuprofile files in ${path.relative(process.cwd(), dir)}`);
  return markdown;
}

/** Starts each function once under the profiler, up to its first answer, and summarises it. */
async function profileStartups(dir: string): Promise<ProcessProfile[]> {
  for (const bundled of FUNCTION_SPECS) {
    const isProduct = bundled.source === PATHS.functionSource(bundled.name);
    const spec = isProduct ? { ...bundled, source: PATHS.functionFiles(bundled.name) } : bundled;
    const port = await freePort();
    const flags = [...PROFILE_FLAGS, `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${spec.name}.cpuprofile`];
    const child = spawnFunction(spec, port, functionEnv(), flags);
    try {
      await pollUntil(() => probeOnce(spec, port), 30_000, 5, spec.name);
    } finally {
      await stopChild(child);
    }
  }
  return summarizeProfileDir(dir, -Infinity, Infinity);
}

function renderStartups(profiles: readonly ProcessProfile[]): string {
  return [
    'Start-up CPU, spawn to first answer, by the package or DDO folder whose code was running or ' +
      'being loaded (ms; the profiler slows start-up, so compare rows, not absolute times). The ' +
      'functions run from their compiled files here, not their bundles, so packages can be told ' +
      'apart; the cold-start rows measure the bundles:',
    '',
    '| process | CPU ms | top packages and folders (ms) |',
    '|---|---|---|',
    ...profiles.map((p) => {
      const top = p.ownerCategories.slice(0, 8).map((c) => `${c.name} ${c.ms.toFixed(0)}`).join('; ');
      return `| ${p.process} | ${p.busyMs.toFixed(0)} | ${top} |`;
    }),
    '',
  ].join('\n');
}

/**
 * `npm run bench [-- --quick] [-- --profile | --no-profile] [-- --only=cold,hop,...]`: measures
 * DDO against its baselines side by side (items 1–7 of the README's performance section),
 * prints a markdown table and writes bench/results/results.json, results.md, the growth
 * charts (*.png) and, with the profile, profile.md. Sections: cold, hop, latency, throughput,
 * growth, tracing, profile.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PATHS } from './paths';
import { renderLineChart } from './png-chart';
import { runProfile } from './profile';
import {
  describeMachine,
  renderMarkdown,
  renderTable,
  type BenchContext,
  type BenchResults,
} from './report';
import { runColdStart } from './sections/cold-start';
import { growthCharts, runGrowth, type GrowthPoint } from './sections/growth';
import { runHop } from './sections/hop';
import { runLatency } from './sections/latency';
import { runThroughput } from './sections/throughput';
import { runTracing } from './sections/tracing';
import { launchStack } from './stack-proc';

const SECTIONS = ['cold', 'hop', 'latency', 'throughput', 'growth', 'tracing', 'profile'] as const;
type Section = (typeof SECTIONS)[number];

/** The command line: mode, which sections, whether to profile. */
export function parseArgs(argv: readonly string[]): { isQuick: boolean; sections: Set<Section> } {
  const isQuick = argv.includes('--quick');
  const only = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
  const unknown = only?.filter((s) => !(SECTIONS as readonly string[]).includes(s)) ?? [];
  if (unknown.length > 0) {
    throw new Error(`Unknown section ${unknown.join(', ')}; use ${SECTIONS.join(', ')}.`);
  }
  const sections = new Set<Section>((only as Section[] | undefined) ?? SECTIONS);
  // The profile adds about half a minute, so quick runs leave it out unless asked.
  if (!only && (isQuick || argv.includes('--no-profile'))) sections.delete('profile');
  if (argv.includes('--profile')) sections.add('profile');
  return { isQuick, sections };
}

const METHOD_NOTES = [
  'DDO is the real local stack (local/stack.ts) in a child process: the broker in the stack process, ' +
    'five function processes under the functions-framework, embedded memory, the offline model, ' +
    'logs at info; runs go through POST /v1/agents/bench/runs?wait=60 over keep-alive HTTP.',
  'LangGraph.js is the same THINK → PLAN → ACT → REFLECT loop as a StateGraph in the benchmark ' +
    'process, built from the product modules (offline model, plan builder and validation, tools).',
  'Plan width and iterations use bench/offline-scripted.ts (one calculator call per listed ' +
    'expression), loaded into the stack through NODE_OPTIONS; the product offline model does one.',
  'CPU per run sums utime+stime from /proc of every stack process (10 ms ticks) over many runs.',
  'The machine is shared with other work; ratios, not absolute figures, are what carries over.',
];

async function main(): Promise<void> {
  const { isQuick, sections } = parseArgs(process.argv.slice(2));
  const startedAt = Date.now();
  const results: BenchResults = {
    mode: isQuick ? 'quick' : 'full',
    startedAt: new Date(startedAt).toISOString(),
    machine: describeMachine(),
    rows: [],
    notes: [...METHOD_NOTES],
    details: {},
  };
  const ctx: BenchContext = { isQuick, results, log: (line) => process.stderr.write(`  ${line}\n`) };
  const failures: string[] = [];
  const run = async (name: Section, fn: () => Promise<unknown>) => {
    if (!sections.has(name)) return;
    const t = Date.now();
    ctx.log(`${name}: starting`);
    try {
      await fn();
      ctx.log(`${name}: done in ${((Date.now() - t) / 1_000).toFixed(1)} s`);
    } catch (err) {
      failures.push(`${name}: ${(err as Error).stack ?? String(err)}`);
      ctx.log(`${name}: FAILED: ${(err as Error).message}`);
    }
  };

  await run('cold', () => runColdStart(ctx));
  await run('hop', () => runHop(ctx));
  if (['latency', 'throughput', 'growth'].some((s) => sections.has(s as Section))) {
    const stack = await launchStack();
    try {
      await run('latency', () => runLatency(ctx, stack));
      await run('throughput', () => runThroughput(ctx, stack));
      await run('growth', () => runGrowth(ctx, stack));
    } finally {
      await stack.stop();
    }
  }
  await run('tracing', () => runTracing(ctx));
  let profile = '';
  await run('profile', async () => (profile = await runProfile(ctx)));

  results.finishedAt = new Date().toISOString();
  results.durationSeconds = Math.round((Date.now() - startedAt) / 1_000);
  results.machine.loadAverageEnd = os.loadavg().map((l) => Number(l.toFixed(2)));
  results.rows.sort((a, b) => a.item - b.item);
  writeResults(results);

  process.stdout.write(`\n${renderTable(results.rows)}\n\n`);
  const targets = results.rows.filter((r) => r.target);
  const met = targets.filter((r) => r.target?.isMet).length;
  process.stdout.write(`Targets met: ${met} of ${targets.length}.\n`);
  process.stdout.write(`Machine: ${JSON.stringify(results.machine)}\n`);
  if (profile) process.stdout.write(`\n${profile}\n`);
  const where = path.relative(process.cwd(), PATHS.results);
  process.stdout.write(`Results in ${where}/ (${results.durationSeconds} s).\n`);
  if (failures.length > 0) {
    process.stderr.write(`\n${failures.length} section(s) failed:\n${failures.join('\n')}\n`);
    process.exitCode = 1;
  }
}

function writeResults(results: BenchResults): void {
  fs.mkdirSync(PATHS.results, { recursive: true });
  fs.writeFileSync(path.join(PATHS.results, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  fs.writeFileSync(path.join(PATHS.results, 'results.md'), renderMarkdown(results));
  type Curves = Record<'width' | 'iterations' | 'concurrency', GrowthPoint[]>;
  const growth = results.details.growth as { curves: Curves } | undefined;
  if (!growth) return;
  for (const { file, spec } of growthCharts(growth.curves)) {
    fs.writeFileSync(path.join(PATHS.results, file), renderLineChart(spec));
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}

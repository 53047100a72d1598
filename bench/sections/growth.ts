/**
 * Item 5: how latency and CPU per run grow with plan width (parallel steps), iterations and
 * concurrent runs, with LangGraph.js in-process as the baseline at every point. Width and
 * iterations use the scripted offline inputs (bench/offline-scripted.ts); CPU per run is the
 * CPU of every stack process (from /proc) summed over a point's runs and divided by their count.
 */
import { createLangGraphLoop, type InProcessLoop } from '../langgraph-loop';
import type { ChartSpec } from '../png-chart';
import { compare, type BenchContext } from '../report';
import type { BenchStack } from '../stack-proc';
import { formatNumber, summarize, type Summary } from '../stats';
import { ONE_ITERATION_INPUT } from './latency';

/** One point of a growth curve. */
export interface GrowthPoint {
  x: number;
  ddo: Summary;
  ddoCpuMs: number;
  langgraph: Summary;
  langgraphCpuMs: number;
  /** Completed runs per second over the point's bursts (concurrency only). */
  ddoRunsPerSecond?: number;
  langgraphRunsPerSecond?: number;
  /** Runs the stack did not complete, and why the first of them failed. */
  ddoFailed: number;
  firstFailure?: string;
}

type Curve = 'width' | 'iterations' | 'concurrency';

const expressions = (n: number) =>
  Array.from({ length: n }, (_v, i) => `${i + 1} * ${i + 2}`).join('; ');
const INPUTS: Record<'width' | 'iterations', (n: number) => string> = {
  width: (n) => `compute: ${expressions(n)}`,
  iterations: (n) => `compute in turn: ${expressions(n)}`,
};

/** Fires `count` runs at once on each side, `bursts` times, alternating sides burst by burst. */
async function measurePoint(
  stack: BenchStack,
  loop: InProcessLoop,
  x: number,
  input: string,
  count: number,
  bursts: number,
) {
  const ms = { ddo: [] as number[], langgraph: [] as number[] };
  const cpu = { ddo: 0, langgraph: 0 };
  const wall = { ddo: 0, langgraph: 0 };
  const failures: string[] = [];
  for (let b = 0; b < bursts; b++) {
    const cpuBefore = stack.cpuMs();
    let started = performance.now();
    // A run the stack fails under load is a result to report, not a reason to stop measuring.
    const runs = await Promise.allSettled(Array.from({ length: count }, () => stack.run(input)));
    wall.ddo += performance.now() - started;
    cpu.ddo += stack.cpuMs() - cpuBefore;
    for (const r of runs) {
      if (r.status === 'fulfilled') ms.ddo.push(r.value.ms);
      else failures.push(String((r.reason as Error).message).split('\n')[0].slice(0, 160));
    }

    const usage = process.cpuUsage();
    started = performance.now();
    await Promise.all(
      Array.from({ length: count }, async (_v, i) => {
        const t = performance.now();
        await loop.run(input, `growth-${x}-${b}-${i}`);
        ms.langgraph.push(performance.now() - t);
      }),
    );
    wall.langgraph += performance.now() - started;
    const spent = process.cpuUsage(usage);
    cpu.langgraph += (spent.user + spent.system) / 1_000;
  }
  const total = count * bursts;
  return {
    x,
    ddo: summarize(ms.ddo),
    ddoCpuMs: cpu.ddo / Math.max(ms.ddo.length, 1),
    langgraph: summarize(ms.langgraph),
    langgraphCpuMs: cpu.langgraph / total,
    ddoFailed: failures.length,
    firstFailure: failures[0],
    ddoRunsPerSecond: (ms.ddo.length * 1_000) / wall.ddo,
    langgraphRunsPerSecond: (total * 1_000) / wall.langgraph,
  };
}

/** Runs the three growth curves on `stack` and adds one row per point. */
export async function runGrowth(ctx: BenchContext, stack: BenchStack): Promise<void> {
  const loop = createLangGraphLoop(false);
  const sequentialRuns = ctx.isQuick ? 5 : 30;
  // Bursts per concurrency level: enough runs for a median without minutes at the top levels.
  const bursts: Record<number, number> = ctx.isQuick
    ? { 1: 8, 10: 2, 100: 1 }
    : { 1: 30, 10: 10, 100: 3, 1_000: 1 };
  const levels = Object.keys(bursts).map(Number);
  const curves: Record<Curve, GrowthPoint[]> = { width: [], iterations: [], concurrency: [] };

  for (const curve of ['width', 'iterations'] as const) {
    const xs = curve === 'width' ? [1, 4, 16] : [1, 3, 10];
    for (const x of xs) {
      await stack.run(INPUTS[curve](x)); // warm the path once
      curves[curve].push(await measurePoint(stack, loop, x, INPUTS[curve](x), 1, sequentialRuns));
      ctx.log(`growth: ${curve} ${x} done`);
    }
  }
  for (const c of levels) {
    curves.concurrency.push(await measurePoint(stack, loop, c, ONE_ITERATION_INPUT, c, bursts[c]));
    ctx.log(`growth: ${c} concurrent done`);
  }

  const label: Record<Curve, string> = {
    width: 'plan width',
    iterations: 'iterations',
    concurrency: 'concurrent runs',
  };
  const f = (n: number | undefined) => formatNumber(n ?? NaN);
  for (const curve of Object.keys(curves) as Curve[]) {
    for (const p of curves[curve]) {
      const cpuNote = `CPU/run ${f(p.ddoCpuMs)} ms vs ${f(p.langgraphCpuMs)} ms`;
      const rate = `, ${f(p.ddoRunsPerSecond)} vs ${f(p.langgraphRunsPerSecond)} runs/s`;
      const failed = p.ddoFailed > 0 ? `; ${p.ddoFailed} DDO runs FAILED: ${p.firstFailure}` : '';
      ctx.results.rows.push(
        compare({
          item: 5,
          measure: `${label[curve]} ${p.x}`,
          unit: 'ms',
          subject: p.ddo,
          baselineLabel: 'LangGraph.js',
          baseline: p.langgraph,
          note: (curve === 'concurrency' ? cpuNote + rate : cpuNote) + failed,
        }),
      );
    }
  }
  if (ctx.isQuick) ctx.results.notes.push('Quick mode caps concurrent runs at 100; the full run adds 1000.');
  ctx.results.details.growth = { sequentialRuns, curves };
}

/** The charts of the growth curves: latency and CPU per run for each, runs/s for concurrency. */
export function growthCharts(curves: Record<Curve, GrowthPoint[]>): { file: string; spec: ChartSpec }[] {
  const axis: Record<Curve, string> = {
    width: 'PARALLEL STEPS',
    iterations: 'ITERATIONS',
    concurrency: 'CONCURRENT RUNS',
  };
  const charts: { file: string; spec: ChartSpec }[] = [];
  for (const curve of Object.keys(curves) as Curve[]) {
    const pts = curves[curve];
    const line = (label: string, y: (p: GrowthPoint) => number) => ({
      label,
      points: pts.map((p) => ({ x: p.x, y: y(p) })),
    });
    const isLogX = curve !== 'iterations';
    charts.push({
      file: `${curve}-latency.png`,
      spec: {
        title: `LATENCY VS ${axis[curve]}`,
        xLabel: axis[curve],
        yLabel: 'MS PER RUN',
        isLogX,
        series: [
          line('DDO MEDIAN', (p) => p.ddo.median),
          line('DDO P99', (p) => p.ddo.p99),
          line('LANGGRAPH MEDIAN', (p) => p.langgraph.median),
        ],
      },
    });
    charts.push({
      file: `${curve}-cpu.png`,
      spec: {
        title: `CPU PER RUN VS ${axis[curve]}`,
        xLabel: axis[curve],
        yLabel: 'CPU MS PER RUN',
        isLogX,
        series: [line('DDO, ALL PROCESSES', (p) => p.ddoCpuMs), line('LANGGRAPH', (p) => p.langgraphCpuMs)],
      },
    });
  }
  const rate = (label: string, y: (p: GrowthPoint) => number) => ({
    label,
    points: curves.concurrency.map((p) => ({ x: p.x, y: y(p) })),
  });
  charts.push({
    file: 'concurrency-throughput.png',
    spec: {
      title: 'RUNS PER SECOND VS CONCURRENT RUNS',
      xLabel: 'CONCURRENT RUNS',
      yLabel: 'RUNS PER SECOND',
      isLogX: true,
      series: [
        rate('DDO', (p) => p.ddoRunsPerSecond ?? NaN),
        rate('LANGGRAPH', (p) => p.langgraphRunsPerSecond ?? NaN),
      ],
    },
  });
  return charts;
}

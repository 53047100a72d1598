/**
 * Item 4, and item 6 under load: completed one-iteration runs per second with many in flight,
 * DDO's stack against LangGraph.js in this process, in alternating rounds; CPU per run on both
 * sides; and each function's resident memory right after a loaded round, against the bare
 * function after the same concurrency of trivial requests.
 */
import { FUNCTION_SPECS, freePort, functionEnv, probeOnce, spawnFunction, stopChild } from '../functions';
import { keepAliveAgent, pollUntil, request } from '../http';
import { createLangGraphLoop } from '../langgraph-loop';
import { rssKib } from '../procfs';
import { atLeast, compare, type BenchContext } from '../report';
import type { BenchStack } from '../stack-proc';
import { summarize } from '../stats';
import { ONE_ITERATION_INPUT } from './latency';

/** Runs in flight at once, on both sides. */
export const CONCURRENCY = 50;

/** Keeps `concurrency` calls of `once` going for `durationMs`; returns completions and elapsed ms. */
export async function closedLoop(
  concurrency: number,
  durationMs: number,
  once: (i: number) => Promise<void>,
) {
  const started = performance.now();
  const deadline = started + durationMs;
  let completed = 0;
  let next = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      await once(next++);
      completed += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { completed, elapsedMs: performance.now() - started };
}

/** RSS in MiB of a bare function after `durationMs` of `concurrency` requests in flight. */
async function loadedBareMib(durationMs: number): Promise<number> {
  const spec = FUNCTION_SPECS.find((s) => s.name === 'bare')!;
  const port = await freePort();
  const child = spawnFunction(spec, port, functionEnv());
  try {
    await pollUntil(() => probeOnce(spec, port), 30_000, 5, 'the bare function');
    const agent = keepAliveAgent(CONCURRENCY);
    await closedLoop(CONCURRENCY, durationMs, async () => {
      await request('GET', `http://127.0.0.1:${port}/`, { agent });
    });
    agent.destroy();
    return rssKib(child.pid ?? 0) / 1_024;
  } finally {
    await stopChild(child);
  }
}

/** Runs the throughput rounds on `stack` and adds throughput, CPU and loaded-memory rows. */
export async function runThroughput(ctx: BenchContext, stack: BenchStack): Promise<void> {
  const rounds = ctx.isQuick ? 2 : 3;
  const stackMs = ctx.isQuick ? 2_500 : 8_000;
  const graphMs = ctx.isQuick ? 1_500 : 8_000;
  const loop = createLangGraphLoop(false);
  const rates = { ddo: [] as number[], langgraph: [] as number[] };
  const cpu = { ddo: { ms: 0, runs: 0 }, langgraph: { ms: 0, runs: 0 } };
  const loadedMib = new Map<string, number[]>();

  for (let round = 0; round < rounds; round++) {
    const cpuBefore = stack.cpuMs();
    const ddo = await closedLoop(CONCURRENCY, stackMs, async () => {
      await stack.run(ONE_ITERATION_INPUT);
    });
    cpu.ddo.ms += stack.cpuMs() - cpuBefore;
    cpu.ddo.runs += ddo.completed;
    rates.ddo.push((ddo.completed * 1_000) / ddo.elapsedMs);
    for (const p of stack.processes()) {
      loadedMib.set(p.name, [...(loadedMib.get(p.name) ?? []), rssKib(p.pid) / 1_024]);
    }

    const usage = process.cpuUsage();
    const graph = await closedLoop(CONCURRENCY, graphMs, async (i) => {
      await loop.run(ONE_ITERATION_INPUT, `tp-${round}-${i}`);
    });
    const spent = process.cpuUsage(usage);
    cpu.langgraph.ms += (spent.user + spent.system) / 1_000;
    cpu.langgraph.runs += graph.completed;
    rates.langgraph.push((graph.completed * 1_000) / graph.elapsedMs);
    const [a, b] = [rates.ddo[round].toFixed(1), rates.langgraph[round].toFixed(1)];
    ctx.log(`throughput: round ${round + 1} of ${rounds}: DDO ${a}/s, LangGraph ${b}/s`);
  }

  const tp = compare({
    item: 4,
    measure: `throughput, ${CONCURRENCY} runs in flight`,
    unit: 'runs/s',
    subject: summarize(rates.ddo),
    baselineLabel: 'LangGraph.js in-process',
    baseline: summarize(rates.langgraph),
    spread: 'range',
  });
  const ddoCpu = cpu.ddo.ms / Math.max(cpu.ddo.runs, 1);
  const graphCpu = cpu.langgraph.ms / Math.max(cpu.langgraph.runs, 1);
  ctx.results.rows.push(
    { ...tp, target: atLeast(tp.ratio ?? NaN, 0.25) },
    compare({
      item: 4,
      measure: 'CPU per run under that load (all processes)',
      unit: 'ms',
      subject: summarize([ddoCpu]),
      baselineLabel: 'LangGraph.js',
      baseline: summarize([graphCpu]),
      spread: 'range',
    }),
  );

  const bare = summarize([await loadedBareMib(graphMs)]);
  for (const [name, mib] of loadedMib) {
    const measure = `loaded RSS, ${name} (after ${CONCURRENCY} in flight)`;
    ctx.results.rows.push(
      compare({
        item: 6,
        measure,
        unit: 'MiB',
        subject: summarize(mib),
        baselineLabel: 'bare, loaded',
        baseline: bare,
        spread: 'range',
      }),
    );
  }
  ctx.results.details.throughput = { concurrency: CONCURRENCY, rounds, stackMs, graphMs, rates, cpu };
}

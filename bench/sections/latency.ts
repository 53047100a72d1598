/**
 * Item 1: one-iteration runs end to end through the real local stack (HTTP API, broker, five
 * function processes, embedded memory, offline model) against the same loop as a LangGraph.js
 * graph in this process, with and without LangGraph's MemorySaver checkpointer. The three take
 * turns run by run, so a noisy moment hits all of them.
 */
import { createLangGraphLoop } from '../langgraph-loop';
import { atMost, compare, type BenchContext } from '../report';
import type { BenchStack } from '../stack-proc';
import { interleave, summarize } from '../stats';

/** The one-iteration prompt and the answer every run must give. */
export const ONE_ITERATION_INPUT = 'What is (17 * 23) + 4?';
export const ONE_ITERATION_OUTPUT = '(17 * 23) + 4 = 395.';

/** Runs the latency comparison on `stack` and adds its rows. */
export async function runLatency(ctx: BenchContext, stack: BenchStack): Promise<void> {
  const rounds = ctx.isQuick ? 40 : 200;
  const warmup = 30;
  const plain = createLangGraphLoop(false);
  const checkpointed = createLangGraphLoop(true);
  const samples = { ddo: [] as number[], langgraph: [] as number[], checkpointed: [] as number[] };
  const check = (output: string, who: string) => {
    if (output !== ONE_ITERATION_OUTPUT) throw new Error(`${who} answered ${JSON.stringify(output)}.`);
  };
  const record = (round: number, name: keyof typeof samples, ms: number) => {
    if (round >= warmup) samples[name].push(ms);
  };

  await interleave(warmup + rounds, [
    async (round) => {
      const res = await stack.run(ONE_ITERATION_INPUT);
      check(res.output, 'DDO');
      record(round, 'ddo', res.ms);
    },
    async (round) => {
      const started = performance.now();
      const res = await plain.run(ONE_ITERATION_INPUT, `lg-${round}`);
      record(round, 'langgraph', performance.now() - started);
      check(res.output, 'LangGraph');
    },
    async (round) => {
      const started = performance.now();
      const res = await checkpointed.run(ONE_ITERATION_INPUT, `lgc-${round}`);
      record(round, 'checkpointed', performance.now() - started);
      check(res.output, 'LangGraph with MemorySaver');
    },
  ]);

  const ddo = summarize(samples.ddo);
  const vsLangGraph = compare({
    item: 1,
    measure: 'one-iteration run, end to end',
    unit: 'ms',
    subject: ddo,
    baselineLabel: 'LangGraph.js in-process',
    baseline: summarize(samples.langgraph),
  });
  ctx.results.rows.push(
    { ...vsLangGraph, target: atMost(vsLangGraph.ratio ?? NaN, 3) },
    {
      item: 1,
      measure: 'one-iteration run, absolute',
      unit: 'ms',
      subject: ddo,
      baselineLabel: 'target 10 ms',
      target: atMost(ddo.median, 10, ' ms'),
    },
    compare({
      item: 1,
      measure: 'one-iteration run vs a checkpointed graph',
      unit: 'ms',
      subject: ddo,
      baselineLabel: 'LangGraph.js + MemorySaver',
      baseline: summarize(samples.checkpointed),
    }),
  );
  ctx.results.details.latency = { rounds, warmup, samplesMs: samples };
}

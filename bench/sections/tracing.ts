/**
 * Item 7: the one-iteration run with tracing on, every function exporting OTLP/HTTP JSON to a
 * local receiver, against the same run with tracing off. Two fresh stacks run side by side
 * (tracing is chosen per process at start) and take turns run by run; both start together so
 * neither has a longer JIT warm-up behind it.
 */
import { startOtlpReceiver } from '../../test/support/otlp-receiver';
import { atMost, compare, type BenchContext } from '../report';
import { launchStack, type BenchStack } from '../stack-proc';
import { interleave, summarize } from '../stats';
import { ONE_ITERATION_INPUT, ONE_ITERATION_OUTPUT } from './latency';

/** Runs the tracing comparison and adds its row. */
export async function runTracing(ctx: BenchContext): Promise<void> {
  const rounds = ctx.isQuick ? 30 : 200;
  const warmup = 30;
  const receiver = await startOtlpReceiver();
  const launched = await Promise.allSettled([
    launchStack({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    }),
    launchStack(),
  ]);
  const failed = launched.find((r) => r.status === 'rejected');
  if (failed) {
    // The stack that did start is stopped, or the benchmark would wait on it forever.
    await Promise.all(launched.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
    await receiver.close();
    throw (failed as PromiseRejectedResult).reason;
  }
  const [traced, untraced] = launched.map((r) => (r as PromiseFulfilledResult<BenchStack>).value);
  const samples = { on: [] as number[], off: [] as number[] };
  try {
    const once = (stack: BenchStack, name: keyof typeof samples) => async (round: number) => {
      const res = await stack.run(ONE_ITERATION_INPUT);
      if (res.output !== ONE_ITERATION_OUTPUT) throw new Error(`A ${name} run answered ${res.output}.`);
      if (round >= warmup) samples[name].push(res.ms);
    };
    await interleave(warmup + rounds, [once(traced, 'on'), once(untraced, 'off')]);
  } finally {
    // Stopping flushes every function's spans (the SDK shuts down on exit).
    await Promise.all([traced.stop(), untraced.stop()]);
    await receiver.close();
  }
  const spansPerRun = receiver.spans.length / (warmup + rounds);
  const row = compare({
    item: 7,
    measure: 'one-iteration run, tracing on (OTLP to a local receiver)',
    unit: 'ms',
    subject: summarize(samples.on),
    baselineLabel: 'tracing off',
    baseline: summarize(samples.off),
    note: `${spansPerRun.toFixed(1)} spans per run received`,
  });
  ctx.results.rows.push({ ...row, target: atMost(row.ratio ?? NaN, 1.05) });
  ctx.results.details.tracing = { rounds, warmup, samplesMs: samples, spans: receiver.spans.length };
}

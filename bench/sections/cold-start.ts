/**
 * Items 3 and 6 (idle): cold start per function, spawn to first successful answer to its probe
 * (bench/functions.ts), and resident memory once idle, against the bare functions-framework
 * function, with and without DDO's preload. Functions and baselines take turns in a rotating
 * order, one process at a time, so each sees the same machine.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { FUNCTION_SPECS, freePort, functionEnv, probeOnce, spawnFunction, stopChild } from '../functions';
import { pollUntil } from '../http';
import { rssKib } from '../procfs';
import { atMost, compare, type BenchContext } from '../report';
import { summarize } from '../stats';

// Long enough for start-up garbage to be collected or not: what a function idles at, not a peak.
const IDLE_SETTLE_MS = 200;

/** Measures every spec `reps` times; returns ms and idle KiB samples by spec name. */
async function measure(ctx: BenchContext, reps: number) {
  const coldMs = new Map<string, number[]>(FUNCTION_SPECS.map((s) => [s.name, []]));
  const idleKib = new Map<string, number[]>(FUNCTION_SPECS.map((s) => [s.name, []]));
  const env = functionEnv();
  for (let rep = 0; rep < reps; rep++) {
    for (let k = 0; k < FUNCTION_SPECS.length; k++) {
      const spec = FUNCTION_SPECS[(rep + k) % FUNCTION_SPECS.length];
      const port = await freePort();
      const started = performance.now();
      const child = spawnFunction(spec, port, env);
      try {
        await pollUntil(() => probeOnce(spec, port), 30_000, 2, spec.name);
        coldMs.get(spec.name)?.push(performance.now() - started);
        await sleep(IDLE_SETTLE_MS);
        idleKib.get(spec.name)?.push(rssKib(child.pid ?? 0));
      } finally {
        await stopChild(child);
      }
    }
    ctx.log(`cold start: round ${rep + 1} of ${reps} done`);
  }
  return { coldMs, idleKib };
}

/** Runs the cold-start and idle-memory measurements and adds their rows. */
export async function runColdStart(ctx: BenchContext): Promise<void> {
  const reps = ctx.isQuick ? 3 : 10;
  const { coldMs, idleKib } = await measure(ctx, reps);
  const bareCold = summarize(coldMs.get('bare') ?? []);
  const bareIdle = summarize((idleKib.get('bare') ?? []).map((k) => k / 1_024));

  for (const spec of FUNCTION_SPECS.filter((s) => s.name !== 'bare')) {
    const cold = summarize(coldMs.get(spec.name) ?? []);
    const isBaseline = spec.name === 'bare+preload';
    const probeText = `probe ${spec.probe.method} ${spec.probe.path} → ${spec.probe.status}`;
    const row = compare({
      item: 3,
      measure: `cold start, ${spec.name}`,
      unit: 'ms',
      subject: cold,
      baselineLabel: 'bare',
      baseline: bareCold,
      spread: 'range',
      note: isBaseline ? "the preload's own cost" : probeText,
    });
    ctx.results.rows.push(isBaseline ? row : { ...row, target: atMost(row.ratio ?? NaN, 1.2) });
  }
  for (const spec of FUNCTION_SPECS.filter((s) => s.name !== 'bare')) {
    const idle = summarize((idleKib.get(spec.name) ?? []).map((k) => k / 1_024));
    const row = compare({
      item: 6,
      measure: `idle RSS, ${spec.name}`,
      unit: 'MiB',
      subject: idle,
      baselineLabel: 'bare',
      baseline: bareIdle,
      spread: 'range',
    });
    const isBaseline = spec.name === 'bare+preload';
    ctx.results.rows.push(isBaseline ? row : { ...row, target: atMost(row.ratio ?? NaN, 1.5) });
  }
  ctx.results.details.coldStart = {
    reps,
    samplesMs: Object.fromEntries(coldMs),
    idleRssKib: Object.fromEntries(idleKib),
    method: 'spawn → first expected answer to the probe, polled every 2 ms on fresh connections',
  };
}

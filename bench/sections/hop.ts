/**
 * Item 2: the platform's cost per event hop against a bare keep-alive HTTP round trip, with
 * four measurements interleaved round by round, every process separate as under the stack:
 *
 * - bare: POST of the same event bytes to a plain node:http server (bench/fixtures/echo.js);
 * - broker pass: emit (the product's toBinaryMessage) → broker → a sink here, until it arrives;
 * - function: POST a dev.ddo.step.requested straight to the executor: parse, validate, run
 *   the calculator, emit the reply to the broker, answer 204;
 * - two hops: emit step.requested → broker → executor → its reply step.completed → broker →
 *   sink. One hop is half of it: emit → broker → handler → acknowledged, twice over.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import readline from 'node:readline';
import { EventTypes } from '../../shared/events/catalogue';
import { toBinaryMessage } from '../../shared/events/emit';
import { FUNCTION_SPECS, freePort, functionEnv, probeOnce, spawnFunction, stopChild } from '../functions';
import { pollUntil, request } from '../http';
import { PATHS, REPO_ROOT } from '../paths';
import { atMost, compare, type BenchContext } from '../report';
import { summarize } from '../stats';

/** A sink that resolves a waiter when the event with a given id arrives. */
async function startSink() {
  const waiters = new Map<string, (at: number) => void>();
  const server = http.createServer((req, res) => {
    const at = performance.now();
    req.resume();
    req.on('end', () => {
      // Matched by containment: reply ids are derived from the run id (some prefix the tenant).
      const id = String(req.headers['ce-id']);
      for (const [key, resolve] of waiters) if (id.includes(key)) resolve(at);
      res.writeHead(202).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Bounded: a lost event fails the section after 10 s instead of hanging the benchmark.
  const arrival = (id: string) =>
    new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Event ${id} never reached the sink.`)), 10_000);
      waiters.set(id, (at) => {
        clearTimeout(timer);
        waiters.delete(id);
        resolve(at);
      });
    });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, arrival, waiters, server };
}

/** Spawns a helper script and reads the first line it prints (a port or a URL). */
async function spawnHelper(file: string, env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [file], { cwd: REPO_ROOT, env, stdio: ['pipe', 'pipe', 'inherit'] });
  const first = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
  });
  return { child, first };
}

const stepRequest = (runId: string) =>
  toBinaryMessage('bench', {
    type: EventTypes.stepRequested,
    id: `${runId}.step`,
    data: {
      tenant: 'bench', runId, agentId: 'bench', iteration: 1, timeoutMs: 10_000,
      step: { id: 's1', tool: 'calculator', args: { expression: '17 * 23' }, dependsOn: [] },
    },
  });
const replyId = (runId: string) => `${runId}.step-done.1.s1`;

/** Runs the hop measurements and adds their rows. */
export async function runHop(ctx: BenchContext): Promise<void> {
  const rounds = ctx.isQuick ? 150 : 1_000;
  const warmup = 30;
  const sink = await startSink();
  const echo = await spawnHelper(PATHS.loopbackEcho, process.env);
  const executorPort = await freePort();
  const broker = await spawnHelper(PATHS.distBench('hop-broker.js'), {
    ...process.env,
    DDO_BENCH_EXECUTOR_URL: `http://127.0.0.1:${executorPort}`,
    DDO_BENCH_SINK_URL: sink.url,
  });
  const executorSpec = FUNCTION_SPECS.find((s) => s.name === 'executor')!;
  const executorEnv = functionEnv({ DDO_BROKER_URL: broker.first });
  const executor = spawnFunction(executorSpec, executorPort, executorEnv);
  const samples = {
    bare: [] as number[],
    broker: [] as number[],
    direct: [] as number[],
    twoHops: [] as number[],
  };
  try {
    await pollUntil(() => probeOnce(executorSpec, executorPort), 30_000, 10, 'the executor');
    const echoUrl = `http://127.0.0.1:${echo.first}/`;
    const executorUrl = `http://127.0.0.1:${executorPort}/`;
    const measures: Record<keyof typeof samples, (i: number) => Promise<number>> = {
      bare: async (i) => {
        const { headers, body } = stepRequest(`run-bare-${i}`);
        const started = performance.now();
        await request('POST', echoUrl, { headers, body });
        return performance.now() - started;
      },
      broker: async (i) => {
        const id = `bench-pass-${i}`;
        const arrived = sink.arrival(id);
        const started = performance.now();
        const data = {
          tenant: 'bench',
          runId: `run-pass-${i}`,
          agentId: 'bench',
          iteration: 1,
          stepId: 's1',
          ok: true,
          durationMs: 0,
        };
        const { headers, body } = toBinaryMessage('bench', { type: EventTypes.stepCompleted, id, data });
        await request('POST', broker.first, { headers, body });
        return (await arrived) - started;
      },
      direct: async (i) => {
        const runId = `run-direct-${i}`;
        const arrived = sink.arrival(replyId(runId));
        const started = performance.now();
        const { headers, body } = stepRequest(runId);
        const res = await request('POST', executorUrl, { headers, body });
        const ms = performance.now() - started;
        if (res.status !== 204) throw new Error(`The executor answered ${res.status}: ${res.body}`);
        await arrived; // sequential: the reply's delivery must not overlap the next measurement
        return ms;
      },
      twoHops: async (i) => {
        const runId = `run-hops-${i}`;
        const arrived = sink.arrival(replyId(runId));
        const started = performance.now();
        const { headers, body } = stepRequest(runId);
        await request('POST', broker.first, { headers, body });
        return (await arrived) - started;
      },
    };
    const names = Object.keys(measures) as (keyof typeof samples)[];
    for (let i = 0; i < warmup + rounds; i++) {
      for (let k = 0; k < names.length; k++) {
        const name = names[(i + k) % names.length];
        const ms = await measures[name](i);
        if (i >= warmup) samples[name].push(ms);
      }
    }
  } finally {
    await stopChild(executor);
    echo.child.stdin?.end();
    broker.child.stdin?.end();
    sink.server.close();
    sink.server.closeAllConnections();
  }
  report(ctx, samples, rounds);
}

function report(ctx: BenchContext, samples: Record<string, number[]>, rounds: number): void {
  const bare = summarize(samples.bare);
  const hop = compare({
    item: 2,
    measure: 'event hop: emit → broker → handler → acknowledged (two-hop chain ÷ 2)',
    unit: 'ms',
    subject: summarize(samples.twoHops.map((ms) => ms / 2)),
    baselineLabel: 'bare keep-alive round trip',
    baseline: bare,
  });
  ctx.results.rows.push({ ...hop, target: atMost(hop.ratio ?? NaN, 3) });
  const component = (measure: string, ms: number[]) =>
    compare({ item: 2, measure, unit: 'ms', subject: summarize(ms), baselineLabel: 'bare', baseline: bare });
  ctx.results.rows.push(
    component('component: broker pass, emit → broker → sink', samples.broker),
    component('component: executor handles a step (tool + reply emit), direct POST', samples.direct),
  );
  ctx.results.details.hop = { rounds, samplesMs: samples };
}

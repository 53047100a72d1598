/**
 * A child process that runs one local stack for the benchmark, so the broker (which lives in
 * the stack's own process) is a process of its own whose CPU can be metered apart from the load
 * generator. It prints one `READY {json}` line, then stops the stack when its stdin closes.
 *
 * Compared with `npm start` it differs only in what a benchmark needs: free ports, a temporary
 * data folder, the benchmark agent, rate limits out of the way, and the scripted offline inputs
 * (bench/offline-scripted.ts) required into every function through NODE_OPTIONS. With
 * DDO_BENCH_CPU_PROF_DIR set, each function is also started with --cpu-prof, and with
 * DDO_BENCH_COUNT_DIR each notes the requests it serves (bench/request-counter.ts).
 */
import childProcess from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { startStack } from '../local/stack';
import { PATHS } from './paths';

// The benchmark tenant's key: local-only, never a secret; the READY line hands it over.
const BENCH_API_KEY = 'bench-key-0123456789abcdef';

/** Adds --cpu-prof flags to every function process the stack spawns from now on. */
function profileFunctions(dir: string): void {
  const spawn = childProcess.spawn;
  const patched = (command: string, args: readonly string[], options: childProcess.SpawnOptions) => {
    const target = args.find((a) => a.startsWith('--target='))?.slice('--target='.length);
    const name = `--cpu-prof-name=${target}.cpuprofile`;
    const flags = target ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, name, '--cpu-prof-interval=250'] : [];
    return spawn(command, [...flags, ...args], options);
  };
  (childProcess as { spawn: unknown }).spawn = patched;
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddo-bench-'));
  const scripted = `--require ${PATHS.distBench('offline-scripted.js')}`;
  const counter = process.env.DDO_BENCH_COUNT_DIR
    ? `--require ${PATHS.distBench('request-counter.js')}`
    : '';
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DDO_AGENTS_DIR: PATHS.agentsDir,
    DDO_API_KEYS: `bench:${BENCH_API_KEY}`,
    DDO_RATE_LIMIT_PER_MINUTE: '1000000',
    DDO_MAX_RUNS_IN_FLIGHT: '1000000',
    NODE_OPTIONS: [process.env.NODE_OPTIONS, scripted, counter].filter(Boolean).join(' '),
  };
  if (process.env.DDO_BENCH_CPU_PROF_DIR) profileFunctions(process.env.DDO_BENCH_CPU_PROF_DIR);

  // Children's log lines are consumed (as a terminal would) but kept only as a tail for errors.
  const tail: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      tail.push(chunk.toString('utf8'));
      if (tail.length > 40) tail.shift();
      done();
    },
  });
  const stack = await startStack({
    env,
    settings: {
      apiPort: 0,
      orchestratorPort: 0,
      plannerPort: 0,
      executorPort: 0,
      memoryPort: 0,
      brokerPort: 0,
      dataDir,
    },
    banner: false,
    stdout: sink,
    stderr: sink,
    unbundled: process.env.DDO_BENCH_UNBUNDLED === 'true',
  });
  process.stdout.write(`READY ${JSON.stringify({ urls: stack.urls, apiKey: stack.apiKey })}\n`);

  const stop = async () => {
    await stack.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.stdin.on('end', () => void stop());
  process.stdin.on('data', (line: Buffer) => {
    // "tail" asks for the children's recent output, to explain a failed run.
    if (line.toString().trim() === 'tail') process.stderr.write(tail.join(''));
  });
  process.stdin.resume();
}

main().catch((err: unknown) => {
  const why = (err as Error).stack ?? String(err);
  process.stderr.write(`The benchmark stack did not start: ${why}\n`);
  process.exit(1);
});

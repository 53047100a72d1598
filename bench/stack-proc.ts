/**
 * The benchmark's handle on a stack running in a child process (bench/stack-host.ts): start it,
 * run agent runs through the real API, meter the CPU of every process of it, stop it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { request, timed } from './http';
import { PATHS, REPO_ROOT } from './paths';
import { childPids, commandLine, totalCpuMs } from './procfs';

/** What one run through the API returned. */
export interface RunResult {
  ms: number;
  output: string;
  iterations: number;
}

/** A running benchmark stack. */
export interface BenchStack {
  apiUrl: string;
  /** The stack's processes: the host (broker) and each function, by name. */
  processes(): { name: string; pid: number }[];
  /** CPU time used so far by every process of the stack, in ms. */
  cpuMs(): number;
  /** Starts a run of the benchmark agent and waits for it; throws unless it completed. */
  run(input: string): Promise<RunResult>;
  /** Closes the host's stdin; it stops the stack, and resolves once the host has exited. */
  stop(): Promise<void>;
}

/** Starts a stack host with `env` added to the benchmark's environment; `nodeArgs` go to node. */
export async function launchStack(
  env: NodeJS.ProcessEnv = {},
  nodeArgs: string[] = [],
): Promise<BenchStack> {
  const host = spawn(process.execPath, [...nodeArgs, PATHS.distBench('stack-host.js')], {
    cwd: REPO_ROOT,
    env: { ...process.env, DDO_LOG_LEVEL: 'info', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const errors: string[] = [];
  host.stderr?.on('data', (c: Buffer) => errors.push(c.toString('utf8')));
  const ready = await readyLine(host, () => errors.join(''));
  const { urls, apiKey } = JSON.parse(ready) as { urls: Record<string, string>; apiKey: string };
  const apiUrl = urls['api-gateway'];
  const hostPid = host.pid ?? 0;

  const processes = () => [
    { name: 'broker+host', pid: hostPid },
    ...childPids(hostPid).map((pid) => ({
      name: /--target=(\S+)/.exec(commandLine(pid))?.[1] ?? `pid ${pid}`,
      pid,
    })),
  ];
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  const run = async (input: string): Promise<RunResult> => {
    const body = JSON.stringify({ input });
    const { ms, value: res } = await timed(async () => {
      let answer = await request('POST', `${apiUrl}/v1/agents/bench/runs?wait=60`, { headers, body });
      // Under a deep queue (1000 runs in flight) a run may outlast one wait: follow it, bounded.
      for (let waits = 0; answer.status === 202 && waits < 10; waits++) {
        const runId = (JSON.parse(answer.body) as { runId: string }).runId;
        answer = await request('GET', `${apiUrl}/v1/runs/${runId}?wait=60`, { headers });
      }
      return answer;
    });
    const run = JSON.parse(res.body) as { status?: string; output?: string; iterations?: number };
    if (res.status !== 200 || run.status !== 'completed') {
      host.stdin?.write('tail\n');
      await sleep(300);
      const tail = errors.join('').slice(-4_000);
      const answer = `HTTP ${res.status} ${res.body.slice(0, 400)}`;
      throw new Error(`A benchmark run did not complete: ${answer}\n${tail}`);
    }
    return { ms, output: run.output ?? '', iterations: run.iterations ?? 0 };
  };
  return {
    apiUrl,
    processes,
    cpuMs: () => totalCpuMs(processes().map((p) => p.pid)),
    run,
    stop: async () => {
      if (host.exitCode !== null || host.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => host.once('exit', () => resolve()));
      host.stdin?.end();
      // The host stops its children and exits; a stuck one is killed after 15 s.
      const timer = setTimeout(() => host.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function readyLine(host: ChildProcess, errors: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: host.stdout! });
    const onExit = (code: number | null) => reject(new Error(`The stack host exited (${code}): ${errors()}`));
    host.once('exit', onExit);
    lines.on('line', (line) => {
      if (!line.startsWith('READY ')) return;
      host.off('exit', onExit);
      resolve(line.slice('READY '.length));
    });
  });
}

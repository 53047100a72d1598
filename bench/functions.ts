/**
 * Starting single function processes the way the stack and the container do, plus the bare
 * baseline, and a cheap probe request per function that each answers without any other service
 * running: the first answer to it is what "responding" means for cold starts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { EventTypes } from '../shared/events/catalogue';
import { toBinaryMessage } from '../shared/events/emit';
import { request } from './http';
import { PATHS, REPO_ROOT } from './paths';

/** A probe: one request and the status that proves the function is up and handling requests. */
interface Probe {
  method: string;
  path: string;
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** A process the benchmark can start: a product function or the bare baseline. */
export interface FunctionSpec {
  name: string;
  target: string;
  source: string;
  /** Require DDO's runtime preload, as every product function does. */
  hasPreload: boolean;
  probe: Probe;
}

// An agent id no agents folder defines: the event passes parsing and schema validation and is
// then refused with 400 before any I/O (no memory call, no broker emit).
const NO_AGENT = 'no-such-agent';
const ref = { tenant: 'bench', runId: 'run-probe', agentId: NO_AGENT, iteration: 1 };

function eventProbe(type: (typeof EventTypes)[keyof typeof EventTypes], data: unknown): Probe {
  const { headers, body } = toBinaryMessage('bench', { type, id: `probe-${type}`, data });
  return { method: 'POST', path: '/', status: 400, headers, body };
}

const BARE_PROBE: Probe = { method: 'GET', path: '/', status: 204 };

const product = (name: string, target: string, probe: Probe): FunctionSpec => ({
  name,
  target,
  source: PATHS.functionSource(name),
  hasPreload: true,
  probe,
});

/** The five functions with their probes, and the bare function with and without DDO's preload. */
export const FUNCTION_SPECS: readonly FunctionSpec[] = [
  product('memory', 'memory', { method: 'GET', path: '/healthz', status: 200 }),
  product('orchestrator', 'orchestrator', eventProbe(EventTypes.runRequested, {
    tenant: 'bench',
    agentId: NO_AGENT,
    runId: 'run-probe',
    input: 'x',
  })),
  product('planner', 'planner', eventProbe(EventTypes.planRequested, {
    ...ref,
    messages: [],
    stepsLeft: 1,
  })),
  product('executor', 'executor', eventProbe(EventTypes.stepRequested, {
    ...ref,
    step: { id: 's1', tool: 'calculator', args: { expression: '1+1' }, dependsOn: [] },
    timeoutMs: 1_000,
  })),
  product('api-gateway', 'apiGateway', { method: 'GET', path: '/v1/runs', status: 401 }),
  { name: 'bare', target: 'bare', source: PATHS.bareSource, hasPreload: false, probe: BARE_PROBE },
  { name: 'bare+preload', target: 'bare', source: PATHS.bareSource, hasPreload: true, probe: BARE_PROBE },
];

/** A free port on 127.0.0.1 (free when asked; the child binds it a moment later). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The environment every function gets, as under the stack; URLs of absent services are unused. */
export function functionEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: 'production',
    DDO_BIND_HOST: '127.0.0.1',
    DDO_EXIT_WITH_PARENT: 'true',
    DDO_LOG_LEVEL: 'info',
    DDO_AGENTS_DIR: PATHS.agentsDir,
    DDO_API_KEYS: 'bench:bench-key-0123456789abcdef',
    DDO_BROKER_URL: 'http://127.0.0.1:9/ddo/default',
    DDO_MEMORY_URL: 'http://127.0.0.1:9',
    DDO_ORCHESTRATOR_URL: 'http://127.0.0.1:9',
    ...extra,
  };
}

/**
 * Spawns `spec` on `port` with the framework's CLI. Without DDO's preload, a one-line loopback
 * pin stands in for it (the framework has no host option and would bind every interface).
 */
export function spawnFunction(
  spec: FunctionSpec,
  port: number,
  env: NodeJS.ProcessEnv,
  nodeArgs: string[] = [],
): ChildProcess {
  const preload = spec.hasPreload ? PATHS.preload : PATHS.loopbackPin;
  const args = [
    ...nodeArgs,
    '--require',
    preload,
    PATHS.frameworkMain,
    `--target=${spec.target}`,
    `--source=${spec.source}`,
    `--port=${port}`,
  ];
  return spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['pipe', 'ignore', 'ignore'] });
}

/** Sends the spec's probe once; true when it gets the expected status. */
export async function probeOnce(spec: FunctionSpec, port: number): Promise<boolean> {
  const { probe } = spec;
  const res = await request(probe.method, `http://127.0.0.1:${port}${probe.path}`, {
    headers: probe.headers,
    body: probe.body,
    agent: false,
    timeoutMs: 5_000,
  });
  if (res.status === probe.status) return true;
  const why = `${res.status}, not ${probe.status}: ${res.body.slice(0, 200)}`;
  throw new Error(`${spec.name} answered its probe with ${why}`);
}

/** Ends a child we started with SIGTERM (the framework exits on it); SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 3_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * `npm start`: all of DDO on 127.0.0.1. The broker runs in this process and reads the same
 * Knative manifests as the cluster; each function runs in its own child process, started with
 * exactly the command line its container uses, and is replaced when it dies, as Knative would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadSettings, parse, type Env, type SettingsOf, type SettingsSpec } from '../shared/config';
import { ConfigError, DdoError } from '../shared/errors';
import { createLogger, type Logger } from '../shared/log';
import { LOCAL_PORTS } from '../shared/settings';
import { findRepoRoot } from '../shared/repo-root';
import { send } from '../shared/http/transport';
import { EventTypes } from '../shared/events/catalogue';
import { brokerFaultSettings, createLocalBroker, type LocalBroker } from './broker';
import { loadManifests } from './manifests';
import { watchForOrphaning } from './orphan-watch';

const HOST = '127.0.0.1';
const portSetting = (env: string, fallback: number, what: string) => ({
  env,
  default: fallback,
  parse: parse.int(0, 65_535),
  doc: `Port of the ${what} on 127.0.0.1; 0 picks a free one.`,
});

/** The stack's settings, each declared once. */
export const stackSettings = {
  apiPort: portSetting('DDO_API_PORT', LOCAL_PORTS.apiGateway, 'api-gateway'),
  orchestratorPort: portSetting('DDO_ORCHESTRATOR_PORT', LOCAL_PORTS.orchestrator, 'orchestrator'),
  plannerPort: portSetting('DDO_PLANNER_PORT', LOCAL_PORTS.planner, 'planner'),
  executorPort: portSetting('DDO_EXECUTOR_PORT', LOCAL_PORTS.executor, 'executor'),
  memoryPort: portSetting('DDO_MEMORY_PORT', LOCAL_PORTS.memory, 'memory function'),
  brokerPort: portSetting('DDO_BROKER_PORT', LOCAL_PORTS.broker, 'local broker'),
  dataDir: {
    env: 'DDO_DATA_DIR',
    default: '.ddo',
    parse: parse.string,
    doc: 'Folder for local state (dead letters, the local API key), relative to the working directory.',
  },
  apiKeys: {
    env: 'DDO_API_KEYS',
    default: '',
    parse: parse.string,
    doc: 'tenant:key pairs for the api-gateway; if unset, a key for tenant `local` is made and kept.',
  },
  sweepIntervalMs: {
    env: 'DDO_SWEEP_INTERVAL_MS',
    default: 10_000,
    parse: parse.int(0, 3_600_000),
    doc: 'How often the stack asks the orchestrator to re-drive stalled runs (the PingSource locally); 0 never.',
  },
  ...brokerFaultSettings,
} satisfies SettingsSpec;

export type StackSettings = SettingsOf<typeof stackSettings>;

type PortKey = 'apiPort' | 'orchestratorPort' | 'plannerPort' | 'executorPort' | 'memoryPort';

/** Each function: its folder under functions/, its functions-framework target and its Knative Service. */
const FUNCTIONS = [
  { name: 'memory', target: 'memory', service: 'ddo-memory', portKey: 'memoryPort' },
  { name: 'orchestrator', target: 'orchestrator', service: 'ddo-orchestrator', portKey: 'orchestratorPort' },
  { name: 'planner', target: 'planner', service: 'ddo-planner', portKey: 'plannerPort' },
  { name: 'executor', target: 'executor', service: 'ddo-executor', portKey: 'executorPort' },
  { name: 'api-gateway', target: 'apiGateway', service: 'ddo-api-gateway', portKey: 'apiPort' },
] as const satisfies ReadonlyArray<{ name: string; target: string; service: string; portKey: PortKey }>;

/** A function's folder name, e.g. `api-gateway`. */
export type FunctionName = (typeof FUNCTIONS)[number]['name'];
type FunctionSpec = (typeof FUNCTIONS)[number];

/** Inputs of `startStack`; explicit `settings` win over `env`, which wins over the defaults. */
export interface StackOptions {
  env?: Env;
  settings?: Partial<StackSettings>;
  /** The repository holding dist/ and node_modules/; found from this file by default. */
  repoRoot?: string;
  logger?: Logger;
  /** Print the ready banner (default true). */
  banner?: boolean;
  /** How long each function, then the api-gateway's /healthz, may take to come up; default 30 s. */
  startTimeoutMs?: number;
  /** Where child output goes; the parent's stdout and stderr by default. */
  stdout?: Writable;
  stderr?: Writable;
  /**
   * Run each function from its compiled files (dist/functions) instead of its bundle
   * (dist/bundles, what the images run): for CPU profiles, which tell packages apart by file.
   */
  unbundled?: boolean;
}

/** A running stack. */
export interface Stack {
  urls: Record<FunctionName | 'broker' | 'deadLetters', string>;
  tenant: string;
  apiKey: string;
  broker: LocalBroker;
  /** Stops every function (SIGTERM, SIGKILL after 3 s) and closes the broker. */
  stop(): Promise<void>;
  /** Replaces a function's process and resolves once the new one answers. */
  restart(name: FunctionName): Promise<void>;
  /** Signals a function's process; the supervisor then starts a new one, as after a crash. */
  kill(name: FunctionName, signal?: NodeJS.Signals): boolean;
  /** The process id of a function's current instance (undefined between instances). */
  pid(name: FunctionName): number | undefined;
}

/** Starts the broker and every function, and resolves once the api-gateway's /healthz answers 200. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const startedAt = Date.now();
  const env = options.env ?? process.env;
  const log = options.logger ?? createLogger('ddo-stack', env);
  const warn = (msg: string, fields: Record<string, unknown>) => log.warn(fields, msg);
  const settings: StackSettings = { ...loadSettings(stackSettings, env, warn), ...options.settings };
  const root = options.repoRoot ?? findRepoRoot(__dirname);
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const paths = builtPaths(root, options.unbundled ? 'dist/functions' : 'dist/bundles');
  // Relative to the working directory, which the children share, so both mean the same folder.
  const dataDir = path.resolve(settings.dataDir);
  const credentials = localCredentials(settings.apiKeys, dataDir);

  const ports = { ...settings };
  const taken = new Map<number, string>([[settings.brokerPort, stackSettings.brokerPort.env]]);
  for (const f of FUNCTIONS) {
    const port = settings[f.portKey];
    const other = taken.get(port);
    if (port !== 0 && other) {
      throw new ConfigError(`${stackSettings[f.portKey].env} and ${other} both ask for port ${port}; give each its own.`);
    }
    taken.set(port, stackSettings[f.portKey].env);
  }
  for (const f of FUNCTIONS) {
    ports[f.portKey] = await claimPort(settings[f.portKey], f.name, stackSettings[f.portKey].env);
  }
  const functionUrls = Object.fromEntries(
    FUNCTIONS.map((f) => [f.name, `http://${HOST}:${ports[f.portKey]}`]),
  ) as Record<FunctionName, string>;

  const { brokers, triggers } = loadManifests([path.join(root, 'knative'), path.join(root, 'brokers')]);
  const serviceUrls = new Map<string, string>(FUNCTIONS.map((f) => [f.service, functionUrls[f.name]]));
  let brokerBase = '';
  const broker = createLocalBroker({
    brokers,
    triggers: () => triggers,
    // The manifests' dead-letter sink, ddo-dead-letters, is the broker's own store locally.
    resolveService: (name) =>
      name === 'ddo-dead-letters' ? `${brokerBase}/dead-letters` : serviceUrls.get(name),
    dataDir,
    logger: options.logger?.child({ service: 'ddo-broker' }) ?? createLogger('ddo-broker', env),
    faults: { duplicate: settings.duplicate, reorderMs: settings.reorderMs },
  });
  try {
    brokerBase = await broker.listen(ports.brokerPort, HOST);
  } catch (err) {
    throw portError(err, 'broker', ports.brokerPort, stackSettings.brokerPort.env);
  }

  const childEnv: NodeJS.ProcessEnv = {
    ...env,
    NODE_ENV: env.NODE_ENV ?? 'production', // the framework hides stack traces in production
    DDO_BIND_HOST: HOST,
    DDO_BROKER_URL: `${brokerBase}/ddo/default`,
    DDO_MEMORY_URL: functionUrls.memory,
    DDO_ORCHESTRATOR_URL: functionUrls.orchestrator,
    DDO_API_KEYS: credentials.apiKeys,
  };
  const processes = new Map<FunctionName, FunctionProcess>(
    FUNCTIONS.map((f) => [
      f.name,
      new FunctionProcess(f, ports[f.portKey], {
        command: [
          '--require',
          paths.preload,
          paths.frameworkMain,
          `--target=${f.target}`,
          `--source=${paths.functionSource(f.name)}`,
          `--port=${ports[f.portKey]}`,
        ],
        env: childEnv,
        log,
        stdout: options.stdout ?? process.stdout,
        stderr: options.stderr ?? process.stderr,
        timeoutMs,
      }),
    ]),
  );

  // Children must not outlive us, however we exit (a SIGKILL to this process cannot be caught).
  const killAll = () => processes.forEach((p) => p.killNow());
  process.on('exit', killAll);
  let sweepTimer: NodeJS.Timeout | undefined;
  const stop = async () => {
    clearInterval(sweepTimer);
    process.off('exit', killAll);
    await Promise.all([...processes.values()].map((p) => p.stop()));
    await broker.close();
  };

  try {
    await Promise.all([...processes.values()].map((p) => p.start()));
    await waitForHealthz(`${functionUrls['api-gateway']}/healthz`, timeoutMs);
  } catch (err) {
    await stop();
    throw err;
  }
  processes.forEach((p) => p.supervise());
  if (settings.sweepIntervalMs > 0) {
    const ingress = `${brokerBase}/ddo/default`;
    sweepTimer = setInterval(() => void requestSweep(ingress, log), settings.sweepIntervalMs);
    sweepTimer.unref();
  }

  const urls = {
    ...functionUrls,
    broker: `${brokerBase}/ddo/default`,
    deadLetters: `${brokerBase}/dead-letters`,
  };
  if (options.banner ?? true) printBanner(Date.now() - startedAt, urls['api-gateway'], credentials);
  const get = (name: FunctionName) => {
    const p = processes.get(name);
    const names = FUNCTIONS.map((f) => f.name).join(', ');
    if (!p) throw new ConfigError(`There is no function ${name}; use one of ${names}.`);
    return p;
  };
  return {
    urls,
    tenant: credentials.tenant,
    apiKey: credentials.apiKey,
    broker,
    stop,
    restart: (name) => get(name).restart(),
    kill: (name, signal = 'SIGTERM') => get(name).signal(signal),
    pid: (name) => get(name).pid,
  };
}

/**
 * Sends the sweep event the cluster's PingSource sends (knative/sweeper.yaml) through the
 * broker, so it is routed by the same Trigger. A failed tick is only logged: the next one
 * covers it.
 */
async function requestSweep(ingress: string, log: Logger): Promise<void> {
  const headers = {
    'content-type': 'application/json',
    'ce-specversion': '1.0',
    'ce-type': EventTypes.sweepRequested,
    // The source the cluster's PingSource uses, so the same Trigger routes both.
    'ce-source': '/apis/v1/namespaces/ddo/pingsources/ddo-sweeper',
    'ce-id': `sweep-${Date.now()}-${randomBytes(4).toString('hex')}`,
  };
  try {
    const res = await send('POST', ingress, { headers, body: '{}', timeoutMs: 5_000 });
    if (res.status >= 300) log.warn({ status: res.status }, 'the broker refused a sweep request');
  } catch (err) {
    log.warn({ err }, 'could not request a sweep; the next tick will');
  }
}

interface ProcessContext {
  command: string[];
  env: NodeJS.ProcessEnv;
  log: Logger;
  stdout: Writable;
  stderr: Writable;
  timeoutMs: number;
}

/** One function's process and its supervisor: it starts, watches, replaces and stops it. */
class FunctionProcess {
  private child?: ChildProcess;
  private isSupervised = false;
  private isStopping = false;
  private isReplacing = false;
  private crashes = 0;
  private lastStartAt = 0;
  private readonly tail: string[] = [];
  private readonly stopRestarts = new AbortController();

  constructor(
    private readonly spec: FunctionSpec,
    private readonly port: number,
    private readonly ctx: ProcessContext,
  ) {}

  /** Spawns the process and resolves once its port answers; rejects, naming it, if it exits first. */
  async start(): Promise<void> {
    const { command, env } = this.ctx;
    // stdin is a pipe the child never reads from us: it closes when this process dies in any way,
    // even SIGKILL, and the preload then exits the child (DDO_EXIT_WITH_PARENT).
    const child = spawn(process.execPath, command, {
      // Each function is its own OpenTelemetry service, as its Knative Service is in the cluster.
      env: { ...env, DDO_EXIT_WITH_PARENT: 'true', OTEL_SERVICE_NAME: this.spec.service },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    this.lastStartAt = Date.now();
    pipeLines(child.stdout, this.ctx.stdout, this.tail);
    pipeLines(child.stderr, this.ctx.stderr, this.tail);
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
    await this.waitUntilAnswering(child);
  }

  supervise(): void {
    this.isSupervised = true;
  }

  async restart(): Promise<void> {
    this.isReplacing = true;
    if (this.child) await terminate(this.child);
    this.isReplacing = false;
    await this.start();
  }

  get pid(): number | undefined {
    return this.child && isRunning(this.child) ? this.child.pid : undefined;
  }

  signal(signal: NodeJS.Signals): boolean {
    return this.child?.kill(signal) ?? false;
  }

  async stop(): Promise<void> {
    this.isStopping = true;
    this.stopRestarts.abort();
    if (this.child) await terminate(this.child);
  }

  killNow(): void {
    if (this.child && isRunning(this.child)) this.child.kill('SIGKILL');
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child || this.isStopping || this.isReplacing || !this.isSupervised) return;

    // Back off on a crash loop: 250 ms doubling to 10 s, reset once an instance has lived a minute.
    if (Date.now() - this.lastStartAt > 60_000) this.crashes = 0;
    const delayMs = Math.min(250 * 2 ** this.crashes, 10_000);
    this.crashes += 1;
    const fields = { function: this.spec.name, port: this.port, code, signal, restartInMs: delayMs };
    this.ctx.log.warn(fields, 'function exited; starting a new instance');
    sleep(delayMs, undefined, { signal: this.stopRestarts.signal })
      .then(() => this.start())
      .then(() => this.ctx.log.info({ function: this.spec.name, port: this.port }, 'function restarted'))
      .catch((err: unknown) => {
        if (this.stopRestarts.signal.aborted) return;
        const fields = { err, function: this.spec.name };
        this.ctx.log.error(fields, 'function restart failed; it is retried when that instance exits');
      });
  }

  private async waitUntilAnswering(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + this.ctx.timeoutMs;
    const url = `http://${HOST}:${this.port}/`;
    for (;;) {
      if (!isRunning(child)) {
        const how = child.exitCode !== null ? `with code ${child.exitCode}` : `on ${child.signalCode}`;
        const output = this.tail.length > 0 ? ` Its last output:\n${this.tail.join('\n')}` : '';
        const what = `The ${this.spec.name} function (port ${this.port})`;
        throw new DdoError(`${what} exited ${how} while starting.${output}`);
      }
      // Any HTTP answer means the framework is listening; the status is the function's business.
      if (await answers(url)) return;
      if (Date.now() > deadline) {
        await terminate(child);
        const what = `The ${this.spec.name} function`;
        throw new DdoError(`${what} did not answer on port ${this.port} within ${this.ctx.timeoutMs} ms.`);
      }
      await sleep(50);
    }
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

async function waitForHealthz(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() <= deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(100);
  }
  throw new DdoError(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last}).`);
}

/** SIGTERM, then SIGKILL if the process is still there after `graceMs`. */
async function terminate(child: ChildProcess, graceMs = 3_000): Promise<void> {
  if (!isRunning(child)) return;

  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Copies whole lines (the children's JSON logs) so output from five processes never interleaves. */
function pipeLines(from: Readable | null, to: Writable, tail: string[]): void {
  if (!from) return;
  readline.createInterface({ input: from, crlfDelay: Infinity }).on('line', (line) => {
    to.write(`${line}\n`);
    tail.push(line);
    if (tail.length > 20) tail.shift();
  });
}

/** Checks that `port` is free on 127.0.0.1 (or, for 0, finds a free one) before a child needs it. */
async function claimPort(wanted: number, name: string, envName: string): Promise<number> {
  const probe = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(wanted, HOST, resolve);
    });
  } catch (err) {
    throw portError(err, name, wanted, envName);
  }
  const { port: got } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return got;
}

function portError(err: unknown, name: string, port: number, envName: string): Error {
  if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') return err as Error;
  const message = `Port ${port} for the ${name} is already in use; stop what holds it or set ${envName}.`;
  return new ConfigError(message, { port });
}

interface Credentials {
  tenant: string;
  apiKey: string;
  /** The DDO_API_KEYS value the api-gateway gets. */
  apiKeys: string;
}

/** DDO_API_KEYS if set; otherwise the key kept in `<dataDir>/local-api-key`, made on first start. */
function localCredentials(apiKeys: string, dataDir: string): Credentials {
  if (apiKeys !== '') {
    const first = apiKeys.split(',')[0].trim();
    const at = first.indexOf(':');
    return { tenant: first.slice(0, at), apiKey: first.slice(at + 1), apiKeys };
  }
  const file = path.join(dataDir, 'local-api-key');
  let apiKey = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : '';
  if (apiKey === '') {
    apiKey = `ddo_${randomBytes(16).toString('hex')}`;
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, `${apiKey}\n`, { mode: 0o600 });
  }
  return { tenant: 'local', apiKey, apiKeys: `local:${apiKey}` };
}

function builtPaths(root: string, functionsDir: string) {
  const paths = {
    preload: path.join(root, 'dist/shared/runtime/preload.js'),
    frameworkMain: path.join(root, 'node_modules/@google-cloud/functions-framework/build/src/main.js'),
    functionSource: (name: string) => path.join(root, functionsDir, name),
  };
  const sources = FUNCTIONS.map((f) => path.join(paths.functionSource(f.name), 'index.js'));
  const required = [paths.preload, paths.frameworkMain, ...sources];
  const missing = required.filter((file) => !fs.existsSync(file)).map((file) => path.relative(root, file));
  if (missing.length > 0) {
    throw new ConfigError(`Build first (npm run build, or npm install): missing ${missing.join(', ')}.`);
  }
  return paths;
}

function printBanner(elapsedMs: number, apiUrl: string, { tenant, apiKey }: Credentials): void {
  // The one user-facing output of the stack; everything else is structured logs.
  const lines = [
    '',
    `DDO is ready in ${elapsedMs} ms.`,
    `  API      ${apiUrl}`,
    `  tenant   ${tenant}`,
    `  API key  ${apiKey}`,
    '',
    'Try it:',
    `  KEY=${apiKey}`,
    `  curl -s -X POST "${apiUrl}/v1/agents/demo/runs?wait=30" -H "Authorization: Bearer $KEY" \\`,
    `    -H 'content-type: application/json' -d '{"input": "What is (17 * 23) + 4?"}'`,
    '',
  ];
  console.log(lines.join('\n'));
}

if (require.main === module) {
  const log = createLogger('ddo-stack');
  let running: Stack | undefined;
  // Installed before anything starts, so a signal during start-up cannot orphan a child.
  const shutdown = (signal: NodeJS.Signals) => {
    log.info({ signal }, 'stopping the local stack');
    // Still starting: exiting is enough, the exit hook kills every child spawned so far.
    if (!running) process.exit(0);
    running.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'the local stack did not stop cleanly');
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, shutdown);
  // Whoever started us (npm, under `npm start`) dying without passing a signal on is a stop
  // too, so nothing keeps holding the ports. Only here: tests and the benchmark start stacks
  // in their own process, whose ancestors are none of the stack's business.
  watchForOrphaning(() => shutdown('SIGHUP'));
  startStack().then(
    (stack) => {
      running = stack;
    },
    (err: unknown) => {
      log.fatal({ err }, (err as Error).message);
      process.exit(1);
    },
  );
}

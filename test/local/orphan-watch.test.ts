/**
 * The local stack stops when whoever started it dies, even by SIGKILL. A real process tree is
 * started as `npm start` starts it: a starter process (npm's place) runs `sh -c`, which runs
 * `node dist/local/stack.js` on free loopback ports; the starter is then SIGKILLed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPidOf } from '../../local/orphan-watch';
import { freePort } from '../cli/helpers';

const REPO = path.join(__dirname, '../..');
const STACK = path.join(REPO, 'dist/local/stack.js');
// npm's part: run the script through `sh -c` and wait for it. The shell stays the stack's
// parent because the command is a list, as `npm run build --silent && node …` is.
const STARTER = `require('node:child_process').spawn('sh', ['-c', process.argv[1]], { stdio: 'inherit' });`;
const COMMAND = `true && "${process.execPath}" "${STACK}"`;
const onLinux = fs.existsSync('/proc/self/stat') ? describe : describe.skip;

/** The pids whose parent is `pid`, from /proc. */
function childrenOf(pid: number): number[] {
  const pids = fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number);
  return pids.filter((p) => parentPidOf(p) === pid);
}

/** The command line of `pid`, or '' once it is gone. */
function commandOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** Whether `pid` runs: it has a /proc entry and is not a zombie waiting to be reaped. */
function isRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function isPortFree(port: number): Promise<boolean> {
  const probe = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(port, '127.0.0.1', resolve);
    });
  } catch {
    return false;
  }
  await new Promise((resolve) => probe.close(resolve));
  return true;
}

/** Polls `check` until it holds or `timeoutMs` passes; resolves with whether it held. */
async function eventually(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(100);
  }
  return check();
}

/** Resolves once the stack prints its ready banner; rejects if the starter exits first. */
function whenReady(starter: ChildProcess): Promise<void> {
  let output = '';
  return new Promise((resolve, reject) => {
    starter.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('DDO is ready')) resolve();
    });
    starter.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const failure = () => new Error(`The stack exited before it was ready:\n${output}`);
    starter.once('exit', () => reject(failure()));
  });
}

/** The stack's environment: the given ports, a private data folder, the embedded store only. */
function stackEnv(ports: number[], dataDir: string): NodeJS.ProcessEnv {
  // No DDO setting of the machine's, and no Redis.
  const isInherited = (k: string) => !/^(DDO_|UPSTASH_|REDIS_URL$)/.test(k);
  const names = ['API', 'ORCHESTRATOR', 'PLANNER', 'EXECUTOR', 'MEMORY', 'BROKER'];
  return {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => isInherited(k))),
    ...Object.fromEntries(names.map((name, i) => [`DDO_${name}_PORT`, String(ports[i])])),
    DDO_DATA_DIR: dataDir,
    DDO_API_KEYS: 'acme:key-acme-0123456789',
    DDO_MEMORY_BACKEND: 'embedded',
    DDO_SWEEP_INTERVAL_MS: '0',
    DDO_LOG_LEVEL: 'warn',
  };
}

/** The starter's shell, the shell's stack process and the stack's function processes. */
function treeOf(starterPid: number): { shell: number[]; stack: number[]; functions: number[] } {
  const shell = childrenOf(starterPid);
  const stack = shell.flatMap(childrenOf);
  return { shell, stack, functions: stack.flatMap(childrenOf) };
}

onLinux('parentPidOf', () => {
  it('reads a process parent from /proc, and nothing for a process that is gone', () => {
    expect(parentPidOf(process.pid)).toBe(process.ppid);
    expect(parentPidOf(2 ** 22 + 1)).toBeUndefined();
  });
});

onLinux('the local stack started like npm start', () => {
  let tmp: string;
  let starter: ChildProcess | undefined;
  let ports: number[] = [];
  let seen: number[] = [];

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ddo-orphan-'));
  });

  afterEach(async () => {
    // Only what this test started and what outlived it: the starter by its handle, then the
    // pids seen in its tree whose command line is still the stack's or names one of its ports.
    const isOurs = (pid: number) => {
      const command = commandOf(pid);
      const isStack = command.includes(STACK) || ports.some((p) => command.includes(`--port=${p}`));
      return isRunning(pid) && isStack;
    };
    const tree = starter ? Object.values(treeOf(Number(starter.pid))).flat() : [];
    starter?.kill('SIGKILL');
    const left = [...new Set([...seen, ...tree])].filter(isOurs);
    for (const pid of left) process.kill(pid, 'SIGTERM');
    if (!(await eventually(() => !left.some(isOurs), 5_000))) {
      for (const pid of left.filter(isOurs)) process.kill(pid, 'SIGKILL');
    }
    starter = undefined;
    ports = [];
    seen = [];
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('stops its functions and frees its ports within seconds of a SIGKILL to the starter', async () => {
    while (ports.length < 6) {
      const port = await freePort();
      if (!ports.includes(port)) ports.push(port);
    }
    const env = stackEnv(ports, tmp);
    const child = spawn(process.execPath, ['-e', STARTER, COMMAND], { cwd: REPO, env });
    starter = child;
    await whenReady(child);
    const tree = treeOf(Number(child.pid));
    seen = [...tree.shell, ...tree.stack, ...tree.functions];
    const shellCommands = tree.shell.map(commandOf);

    child.kill('SIGKILL');
    const isAllGone = await eventually(() => !seen.some(isRunning), 5_000);
    const freed = await Promise.all(ports.map(isPortFree));

    expect(shellCommands).toEqual([`sh -c ${COMMAND} `]);
    expect(tree.stack).toHaveLength(1);
    expect(tree.functions).toHaveLength(5);
    expect(isAllGone).toBe(true);
    expect(freed).toEqual(ports.map(() => true));
  }, 60_000);
});

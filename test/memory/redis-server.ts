/**
 * Helpers for tests that need Redis: a private `redis-server` on a free loopback port that a
 * test may kill and start again (the shared one on 6379 is never stopped), and clean-up of a
 * test's own keys on the shared server.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { eventually } from './fixtures';

/** The shared Redis the tests use; CI starts it on 127.0.0.1:6379. */
export const TEST_REDIS_URL = process.env.DDO_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A redis-server this test owns. */
export interface PrivateRedis {
  port: number;
  url: string;
  /** Kills the server (SIGKILL, like a crash). */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data folder. */
  start(): Promise<void>;
  /**
   * Freezes the server (SIGSTOP): it keeps its port, so no other process can take it, but
   * answers nothing, as a hung or partitioned server would.
   */
  pause(): void;
  /** Lets a paused server run again (SIGCONT). */
  resume(): void;
  /** Kills it and removes its data folder. */
  dispose(): Promise<void>;
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function answersPing(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(500, () => socket.destroy(new Error('no answer')));
    socket.once('error', reject);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.end();
      // A server with a password answers NOAUTH, which still means it is up.
      if (/^(\+PONG|-NOAUTH)/.test(data.toString())) resolve();
      else reject(new Error(data.toString()));
    });
  });
}

/**
 * Starts a private redis-server. It keeps an fsync-always append-only file, so data written
 * before a kill is still there after `start`, which lets a test tell "nothing was half-written"
 * from "everything was lost".
 */
export async function startPrivateRedis(
  options: { port?: number; password?: string } = {},
): Promise<PrivateRedis> {
  const binary = execFileSync('sh', ['-c', 'command -v redis-server']).toString().trim();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddo-redis-'));
  const port = options.port ?? (await freePort());
  let child: ChildProcess | undefined;

  const start = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir];
    args.push('--appendonly', 'yes', '--appendfsync', 'always', '--logfile', path.join(dir, 'redis.log'));
    if (options.password) args.push('--requirepass', options.password);
    child = spawn(binary, args, { stdio: 'ignore' });
    await eventually(() => answersPing(port), 10_000, 50);
  };
  const stop = async () => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    start,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    dispose: async () => {
      child?.kill('SIGCONT');
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Deletes every key under `prefix` on the shared Redis (never FLUSHDB or FLUSHALL). */
export async function deleteKeys(prefix: string, url = TEST_REDIS_URL): Promise<number> {
  const redis = new Redis(url, { protocol: 2 });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) deleted += await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

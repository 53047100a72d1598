/** Running the built `ddo` CLI as a user would: a child process with its own env and folder. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

/** The built CLI; `npm test` runs tsc first, a lone jest run needs `npx tsc -p .`. */
export const CLI = path.join(__dirname, '../../dist/cli/main.js');

/** What one CLI invocation did. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `ddo args…` in an empty folder with `env` on top of a clean DDO environment.
 * `onStdout` sees the output as it comes and may signal the process (Ctrl-C, say).
 */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
  opts: { timeoutMs?: number; onStdout?: (soFar: string, child: ChildProcess) => void } = {},
): Promise<CliResult> {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: build first with npx tsc -p .`);
  const isOurs = (k: string) => k.startsWith('DDO_') || k === 'FORCE_COLOR';
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !isOurs(k)));
  // An empty folder, so no .ddo/local-api-key of the developer's own stack is picked up.
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'ddo-cli-'));
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...clean, NO_COLOR: '1', ...env } });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => {
    out.push(c);
    opts.onStdout?.(Buffer.concat(out).toString('utf8'), child);
  });
  child.stderr.on('data', (c: Buffer) => err.push(c));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A model endpoint on 127.0.0.1 that refuses every request with 401, so an agent pointed at
 * it fails its run at once and deterministically, whether or not the egress guard lets the
 * call out. Nothing leaves the machine.
 */
export async function refusingModelServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'Invalid API key (test server).', type: 'invalid_request_error' } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/v1`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** An agents folder with the demo agent and `broken`, whose model endpoint is `modelUrl`. */
export function agentsWithBroken(modelUrl: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddo-agents-'));
  fs.copyFileSync(path.join(__dirname, '../../agents/demo.yaml'), path.join(dir, 'demo.yaml'));
  fs.writeFileSync(
    path.join(dir, 'broken.yaml'),
    [
      'id: broken',
      'instructions: Every model call of this agent is refused, so each of its runs fails.',
      'model:',
      '  provider: openai',
      '  name: refused-model',
      `  options: { baseURL: '${modelUrl}' }`,
      'tools: [calculator]',
      'limits: { maxIterations: 2, maxSteps: 4, timeoutSeconds: 30 }',
      '',
    ].join('\n'),
  );
  return dir;
}

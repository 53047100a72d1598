/** Starting the real local stack for end-to-end tests, and small HTTP helpers around it. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import pino from 'pino';
import { startStack, type Stack } from '../../local/stack';

export const TENANT_A = { tenant: 'acme', key: 'key-acme-0123456789' };
export const TENANT_B = { tenant: 'globex', key: 'key-globex-0123456789' };

/** Starts the whole stack on free loopback ports with two tenants and a private data folder. */
export async function startTestStack(extraEnv: Record<string, string> = {}): Promise<{ stack: Stack; output: () => string }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddo-e2e-'));
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  const stack = await startStack({
    env: {
      ...process.env,
      DDO_LOG_LEVEL: 'warn',
      DDO_API_KEYS: `${TENANT_A.tenant}:${TENANT_A.key},${TENANT_B.tenant}:${TENANT_B.key}`,
      ...extraEnv,
    },
    settings: { apiPort: 0, orchestratorPort: 0, plannerPort: 0, executorPort: 0, memoryPort: 0, brokerPort: 0, dataDir },
    banner: false,
    logger: pino({ level: 'warn' }, sink),
    stdout: sink,
    stderr: sink,
  });
  return { stack, output: () => Buffer.concat(chunks).toString('utf8') };
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  text: string;
}

/** Calls the api-gateway as tenant `who` (or with no key when `who` is undefined). */
export async function api(
  stack: Stack,
  method: string,
  pathAndQuery: string,
  opts: { who?: { key: string }; json?: unknown; body?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.who) headers.authorization = `Bearer ${opts.who.key}`;
  let body = opts.body;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${stack.urls['api-gateway']}${pathAndQuery}`, { method, headers, body });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Not JSON (an event stream, say); callers read `text`.
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** Starts a run of `agent` and waits up to 30 s for it. */
export function run(stack: Stack, input: string, opts: { who?: { key: string }; sessionId?: string; agent?: string } = {}) {
  return api(stack, 'POST', `/v1/agents/${opts.agent ?? 'demo'}/runs?wait=30`, {
    who: opts.who ?? TENANT_A,
    json: { input, ...(opts.sessionId ? { sessionId: opts.sessionId } : {}) },
  });
}

/** Parses a text/event-stream body into messages. */
export function parseSse(text: string): { id: string; event: string; data: Record<string, unknown> }[] {
  return text
    .split('\n\n')
    .filter((block) => block.split('\n').some((l) => l.startsWith('data:')))
    .map((block) => {
      const field = (name: string) => block.split('\n').find((l) => l.startsWith(`${name}:`))?.slice(name.length + 1).trim() ?? '';
      return { id: field('id'), event: field('event'), data: JSON.parse(field('data')) as Record<string, unknown> };
    });
}

/** Shared cases and checks for the bad-input suite. */
import type { Stack } from '../../local/stack';

/** The functions that receive CloudEvents directly. */
export const RECEIVERS = ['orchestrator', 'planner', 'executor'] as const;

/** A raw HTTP answer. */
export interface RawAnswer {
  status: number;
  contentType: string;
  body: Record<string, unknown>;
  text: string;
}

/** POSTs (or sends `method`) raw bytes with raw headers; never throws on a status. */
export async function send(
  url: string,
  headers: Record<string, string>,
  body?: string | Buffer,
  method = 'POST',
): Promise<RawAnswer> {
  const res = await fetch(url, { method, headers, body });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Not JSON; callers read `text`.
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: parsed, text };
}

/** Binary-mode headers of a well-formed event of `type`. */
export function ceHeaders(type: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'content-type': 'application/json',
    'ce-specversion': '1.0',
    'ce-id': `bad-input-${Math.random().toString(36).slice(2)}`,
    'ce-source': '/test/bad-input',
    'ce-type': type,
    ...extra,
  };
}

/** Every function's current process id, to show after the suite that none of them died. */
export function pids(stack: Stack): Record<string, number | undefined> {
  const names = ['api-gateway', 'orchestrator', 'planner', 'executor', 'memory'] as const;
  return Object.fromEntries(names.map((n) => [n, stack.pid(n)]));
}

/** Bytes that are not UTF-8: a lone continuation byte and an overlong encoding. */
export const INVALID_UTF8 = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0x80, 0xc0, 0xaf, 0x22, 0x7d]);

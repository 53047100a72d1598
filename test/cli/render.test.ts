/**
 * The pieces of `ddo` that need no server: the live renderer (phases, steps, streamed model
 * output, policy decisions), the event-stream reader and where settings come from.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LogEntry } from '../../cli/client';
import { stylesFor } from '../../cli/format';
import { RunRenderer } from '../../cli/render';
import { resolveSettings } from '../../cli/settings';
import { readSse } from '../../cli/sse';

const at = (ms: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, 0, ms)).toISOString();
let seq = 0;
const e = (ms: number, fields: Record<string, unknown>): LogEntry => ({
  seq: ++seq,
  at: at(ms),
  type: 'phase',
  ...fields,
});

function render(entries: LogEntry[], canRewrite = false): string {
  let text = '';
  const renderer = new RunRenderer({ write: (s) => (text += s), styles: stylesFor(false), canRewrite });
  entries.forEach((entry) => renderer.entry(entry));
  renderer.endLine();
  return text;
}

describe('RunRenderer', () => {
  it('prints each phase as it starts and when it ends, with the duration between the two', () => {
    const text = render([
      e(0, { type: 'phase', phase: 'think', iteration: 1, facts: 2 }),
      e(5, { type: 'phase', phase: 'plan', iteration: 1 }),
      e(1_505, { type: 'status', status: 'completed', iteration: 1 }),
    ]);

    expect(text).toBe(
      [
        'iteration 1',
        '  think    started (2 facts recalled)',
        '  think    done in 5 ms',
        '  plan     started',
        '  plan     done in 1.50 s',
        '',
      ].join('\n'),
    );
  });

  it('streams model output deltas inline as they arrive, then ends the line before what follows', () => {
    const text = render([
      e(0, { type: 'phase', phase: 'reflect', iteration: 1 }),
      e(1, { type: 'delta', phase: 'reflect', iteration: 1, text: '(17 * 23)' }),
      e(2, { type: 'delta', phase: 'reflect', iteration: 1, text: ' + 4 = 395.\nDone' }),
      e(9, { type: 'status', status: 'completed', iteration: 1 }),
    ]);

    expect(text.split('\n')).toEqual([
      'iteration 1',
      '  reflect  started',
      '    (17 * 23) + 4 = 395.',
      '    Done',
      '  reflect  done in 9 ms',
      '',
    ]);
  });

  it('prints steps with their outcome and policy decisions, and skips entry types it does not know', () => {
    const text = render([
      e(0, { type: 'phase', phase: 'act', iteration: 2, steps: 1 }),
      e(1, { type: 'policy', outcome: 'redact', stage: 'before', stepId: 's1', tool: 'http_get', reason: 'a secret' }),
      e(1, { type: 'step', stepId: 's1', tool: 'http_get', status: 'running' }),
      e(2, { type: 'future-kind', anything: true }),
      e(4, {
        type: 'step',
        stepId: 's1',
        tool: 'http_get',
        status: 'failed',
        durationMs: 3,
        error: { reason: 'egress_denied', message: 'No.' },
      }),
    ]);

    expect(text).toBe(
      [
        'iteration 2',
        '  act      started (1 step)',
        '    policy redact before s1 http_get: a secret',
        '    s1 http_get  running',
        '    s1 http_get  failed in 3 ms: egress_denied: No.',
        '',
      ].join('\n'),
    );
  });

  it('rewrites a phase start line in place on a terminal when nothing came between', () => {
    const entries = [
      e(0, { type: 'phase', phase: 'think', iteration: 1 }),
      e(3, { type: 'phase', phase: 'plan', iteration: 1 }),
    ];

    const text = render(entries, true);

    expect(text).toContain('  think    started\n\u001b[1A\r\u001b[2K  think    done in 3 ms\n');
  });
});

describe('readSse', () => {
  async function* chunks(...parts: string[]) {
    for (const p of parts) yield new TextEncoder().encode(p);
  }

  it('yields messages split across chunks and line endings, skipping comments', async () => {
    const out = [];

    const stream = chunks(': hi\n\nid: 1\nevent: step\r\nda', 'ta: {"a":1}\r\n\r\nid: 2\ndata: x\ndata: y\n\n');

    for await (const m of readSse(stream)) out.push(m);

    expect(out).toEqual([
      { id: '1', event: 'step', data: '{"a":1}' },
      { id: '2', event: 'message', data: 'x\ny' },
    ]);
  });
});

describe('resolveSettings', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddo-settings-'));
  fs.mkdirSync(path.join(dir, '.ddo'));
  fs.writeFileSync(path.join(dir, '.ddo', 'local-api-key'), 'ddo_local_key\n');

  it.each([
    ['the flag over the environment', { key: 'flag-key' }, { DDO_API_KEY: 'env-key' }, 'flag-key', 'flag'],
    ['the environment over the key file', {}, { DDO_API_KEY: 'env-key' }, 'env-key', 'DDO_API_KEY'],
    ['the key file for a loopback URL', {}, {}, 'ddo_local_key', 'key file'],
    ['no key file for another host', { url: 'https://ddo.example.test' }, {}, undefined, 'none'],
  ])('takes %s', (_what, flags, env, key, source) => {
    const settings = resolveSettings(flags, env, dir);

    expect(settings.apiKey).toBe(key);
    expect(settings.keySource).toBe(source);
  });

  it('defaults to the local stack and trims a trailing slash', () => {
    expect(resolveSettings({}, {}, dir)).toMatchObject({
      apiUrl: 'http://127.0.0.1:8080',
      brokerUrl: 'http://127.0.0.1:8090/ddo/default',
    });
    expect(resolveSettings({}, { DDO_URL: 'http://127.0.0.1:9000/' }, dir).apiUrl).toBe('http://127.0.0.1:9000');
  });
});

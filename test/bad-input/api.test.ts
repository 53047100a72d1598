/**
 * Malformed API requests against the api-gateway (and the memory API behind the orchestrator):
 * each is a documented 4xx problem naming what is wrong, never a 5xx, and the gateway keeps
 * serving. Property tests then throw random JSON bodies and headers at it.
 */
import http from 'node:http';
import fc from 'fast-check';
import type { Stack } from '../../local/stack';
import { api, startTestStack, TENANT_A } from '../e2e/helpers';
import { pids, send } from './helpers';

let stack: Stack;
let before: Record<string, number | undefined>;

beforeAll(async () => {
  ({ stack } = await startTestStack({ DDO_RATE_LIMIT_PER_MINUTE: '100000', DDO_MAX_RUNS_IN_FLIGHT: '1000' }));
  before = pids(stack);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

const auth = { authorization: `Bearer ${TENANT_A.key}` };
const json = { ...auth, 'content-type': 'application/json' };
const deep = (depth: number) => `${'{"input":'.repeat(depth)}"x"${'}'.repeat(depth)}`;

/** [case, method, path, headers, body, status, field]. */
const CASES: [string, string, string, Record<string, string>, string | undefined, number, string | undefined][] = [
  ['input of the wrong type', 'POST', '/v1/agents/demo/runs', json, '{"input": 42}', 400, 'body/input'],
  ['no input', 'POST', '/v1/agents/demo/runs', json, '{}', 400, 'body'],
  ['an unknown field', 'POST', '/v1/agents/demo/runs', json, '{"input": "hi", "evil": true}', 400, 'body'],
  ['a JSON array', 'POST', '/v1/agents/demo/runs', json, '[1, 2]', 400, 'body'],
  ['invalid JSON', 'POST', '/v1/agents/demo/runs', json, '{"input": ', 400, undefined],
  ['a deeply nested body', 'POST', '/v1/agents/demo/runs', json, deep(5_000), 400, undefined],
  ['a body over 1 MiB', 'POST', '/v1/agents/demo/runs', json, JSON.stringify({ input: 'x'.repeat(1_100_000) }), 413, undefined],
  ['an input over 32,000 code points', 'POST', '/v1/agents/demo/runs', json, JSON.stringify({ input: '😀'.repeat(32_001) }), 400, 'body/input'],
  ['text/plain', 'POST', '/v1/agents/demo/runs', { ...auth, 'content-type': 'text/plain' }, 'hi', 415, undefined],
  ['wait that is not a number', 'POST', '/v1/agents/demo/runs?wait=soon', json, '{"input": "hi"}', 400, 'wait'],
  ['an agent id that cannot be an id', 'POST', '/v1/agents/..%2F..%2Fetc/runs', json, '{"input": "hi"}', 400, undefined],
  ['an agent that does not exist', 'POST', '/v1/agents/nobody/runs', json, '{"input": "hi"}', 404, undefined],
  ['DELETE of a run', 'DELETE', '/v1/runs/run_x', auth, undefined, 405, undefined],
  ['PUT of the runs of an agent', 'PUT', '/v1/agents/demo/runs', json, '{"input": "hi"}', 405, undefined],
  ['no credentials', 'GET', '/v1/runs', {}, undefined, 401, undefined],
  ['a limit that is not a number', 'GET', '/v1/runs?limit=-3', auth, undefined, 400, 'limit'],
];

describe('the api-gateway receiving a malformed request', () => {
  it.each(CASES)('answers %s with a problem', async (_name, method, path, headers, body, status, field) => {
    const res = await send(`${stack.urls['api-gateway']}${path}`, headers, body, method);

    expect({ status: res.status, type: res.contentType.split(';')[0] }).toEqual({ status, type: 'application/problem+json' });
    expect(String(res.body.detail ?? '')).not.toBe('');
    if (field) expect(String(res.body.field ?? '')).toContain(field);
    if (status === 405) expect(res.body.status).toBe(405);
  });

  it('accepts unicode edge cases in the input as text', async () => {
    const inputs = ['\u200b', 'ﷺ'.repeat(10), '\u202e reversed', 'e\u0301', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', '\u0000 nul', 'lone \ud800'];

    const answers = await Promise.all(inputs.map((input) => api(stack, 'POST', '/v1/agents/demo/runs', { who: TENANT_A, json: { input } })));

    expect(answers.map((a) => a.status).every((s) => s === 202 || s === 200)).toBe(true);
  });

  it.each(['abc', '-1', '1.5', '99999999999999999999999', '3 4'])('answers a bad Last-Event-ID %j with 400', async (lastId) => {
    const started = await api(stack, 'POST', '/v1/agents/demo/runs?wait=10', { who: TENANT_A, json: { input: 'What is 2 + 2?' } });

    const res = await send(`${stack.urls['api-gateway']}/v1/runs/${String(started.body.runId)}/events`, { ...auth, 'last-event-id': lastId }, undefined, 'GET');

    expect(res.status).toBe(400);
    expect(String(res.body.field ?? '')).toMatch(/last-event-id/i);
  });
});

/** Sends `size` bytes of a valid run request in chunks, with no Content-Length (chunked). */
function sendChunked(url: string, headers: Record<string, string>, size: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    const piece = Buffer.alloc(64 * 1_024, ' ');
    req.write('{"input": "hi"');
    let sent = 0;
    const more = () => {
      while (sent < size) {
        sent += piece.length;
        if (!req.write(piece)) return void req.once('drain', more);
      }
      req.end('}');
    };
    more();
  });
}

describe('the api-gateway receiving a chunked body', () => {
  it('answers a body over the limit sent without Content-Length with 413, with or without a key', async () => {
    const url = `${stack.urls['api-gateway']}/v1/agents/demo/runs`;
    for (const headers of [json, { 'content-type': 'application/json' }]) {
      const res = await sendChunked(url, headers, 3 * 1_048_576);
      expect(res.status).toBe(413);
      expect(JSON.parse(res.body)).toMatchObject({ status: 413 });
    }
  });

  it('takes a chunked body under the limit as usual', async () => {
    const res = await sendChunked(`${stack.urls['api-gateway']}/v1/agents/demo/runs`, json, 128 * 1_024);
    expect(res.status).toBe(202);
  });
});

describe('the memory API receiving a malformed request', () => {
  it.each([
    ['a commit without a version', 'PUT', '/v1/tenants/acme/runs/run_1', '{"state": {}, "events": []}', 400],
    ['a tenant id that could forge a key', 'GET', '/v1/tenants/a%7Bb%7D/runs', undefined, 400],
    ['a stalled-run query with a bad limit', 'GET', '/v1/stalled-runs?limit=x', undefined, 400],
  ])('answers %s with 400', async (_name, method, path, body, status) => {
    const res = await send(`${stack.urls.memory}${path}`, { 'content-type': 'application/json' }, body, method);

    expect(res.status).toBe(status);
  });
});

describe('the api-gateway under random input', () => {
  const paths = fc.constantFrom('/v1/agents/demo/runs', '/v1/agents/x/runs', '/v1/runs', '/v1/runs/run_1', '/v1/runs/run_1/events');
  const methods = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE');
  const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/).filter((h) => !['content-length', 'host', 'connection', 'transfer-encoding', 'expect', 'upgrade', 'te', 'keep-alive'].includes(h));
  const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,40}$/);

  it('never answers a random JSON body with a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(paths, methods, fc.jsonValue({ maxDepth: 4 }), async (path, method, body) => {
        const hasBody = method !== 'GET';
        const res = await send(`${stack.urls['api-gateway']}${path}?wait=0`, json, hasBody ? JSON.stringify(body) : undefined, method);
        return res.status < 500;
      }),
      { numRuns: 150 },
    );
  }, 60_000);

  it('never answers random headers with a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(paths, fc.dictionary(headerName, headerValue, { maxKeys: 6 }), async (path, headers) => {
        const res = await send(`${stack.urls['api-gateway']}${path}`, { ...headers, ...auth }, undefined, 'GET');
        return res.status < 500;
      }),
      { numRuns: 150 },
    );
  }, 60_000);

  it('leaves every process running and serving', async () => {
    const health = await fetch(`${stack.urls['api-gateway']}/healthz`);

    expect(pids(stack)).toEqual(before);
    expect(health.status).toBe(200);
  });
});

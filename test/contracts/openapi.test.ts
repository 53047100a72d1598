/**
 * The OpenAPI document against the real server: the document is well formed and served at
 * /openapi.json, and every response the real local stack gives — each documented status of
 * each operation, provoked on purpose — has exactly the documented shape.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse } from 'yaml';
import type { Stack } from '../../local/stack';
import { startTestStack, TENANT_A, TENANT_B } from '../e2e/helpers';
import { OpenApiChecker, refsIn, resolvePointer } from './openapi-checker';

type Json = Record<string, unknown>;

/** A third tenant that spends its whole request budget, to provoke the 429s. */
const TENANT_C = { tenant: 'initech', key: 'key-initech-0123456789' };
// Low enough that a token comes back only every 2 s, high enough for tenant A's calls here.
const REQUESTS_PER_MINUTE = 30;
const DOC_FILE = path.join(__dirname, '../../docs/openapi.yaml');

let stack: Stack;
let checker: OpenApiChecker;
let doneRunId: string;
let heldRunId: string;
let policiesDir: string;

beforeAll(async () => {
  // Tenant B's demo runs hold the clock tool for approval, to provoke the approval responses,
  // and price every model, so their views carry the estimated cost (usage.costUsd).
  policiesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddo-contract-policies-'));
  const hold =
    "id: contract-hold\nversion: 1\nmatch: { agents: [demo], tenants: [globex] }\nhold: [clock]\nprices: { '*': { inputPer1k: 0.001, outputPer1k: 0.002 } }\n";
  fs.writeFileSync(path.join(policiesDir, 'contract-hold.yaml'), hold);
  ({ stack } = await startTestStack({
    DDO_API_KEYS: [TENANT_A, TENANT_B, TENANT_C].map((t) => `${t.tenant}:${t.key}`).join(','),
    DDO_RATE_LIMIT_PER_MINUTE: String(REQUESTS_PER_MINUTE),
    DDO_POLICIES_DIR: policiesDir,
  }));
  const served = await fetch(`${stack.urls['api-gateway']}/openapi.json`);
  checker = new OpenApiChecker((await served.json()) as Json);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  fs.rmSync(policiesDir, { recursive: true, force: true });
});

/** Spends `key`'s request budget: requests until the first 429. */
async function spendBudget(key: string): Promise<void> {
  for (let i = 0; i <= REQUESTS_PER_MINUTE * 2; i++) {
    const headers = { authorization: `Bearer ${key}` };
    const res = await fetch(`${stack.urls['api-gateway']}/v1/runs?limit=1`, { headers });
    await res.arrayBuffer();
    if (res.status === 429) return;
  }
  throw new Error('The key never ran out of requests.');
}

interface Call {
  who?: { key: string };
  /** The documented method to check against, when the request uses another (a 405). */
  checkAs?: string;
  json?: unknown;
  body?: string;
  headers?: Record<string, string>;
}

/** Calls the gateway and checks the answer against the operation `method template`. */
async function expectContract(
  method: string,
  template: string,
  url: string,
  call: Call = {},
): Promise<Response & { bodyText: string }> {
  const headers: Record<string, string> = { ...call.headers };
  if (call.who) headers.authorization = `Bearer ${call.who.key}`;
  let body = call.body;
  if (call.json !== undefined) {
    body = JSON.stringify(call.json);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${stack.urls['api-gateway']}${url}`, { method, headers, body });
  const text = await res.text();

  const problems = checker.check(call.checkAs ?? method, template, res, text);
  expect({ call: `${method} ${url} → ${res.status}`, problems }).toEqual({ call: expect.any(String), problems: [] });
  return Object.assign(res, { bodyText: text });
}

describe('the OpenAPI document', () => {
  it('is served at /openapi.json exactly as docs/openapi.yaml says', () => {
    expect(checker.doc).toEqual(parse(fs.readFileSync(DOC_FILE, 'utf8')));
  });

  it('has the required top-level fields and responses for every operation', () => {
    const doc = checker.doc;

    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    for (const [route, item] of Object.entries(doc.paths as Json)) {
      expect(route).toMatch(/^\//);
      for (const op of Object.values(item as Json)) {
        expect(Object.keys((op as Json).responses as Json).length).toBeGreaterThan(0);
      }
    }
  });

  it('resolves every $ref', () => {
    const unresolved = refsIn(checker.doc).filter(({ ref }) => resolvePointer(checker.doc, ref) === undefined);

    expect(unresolved).toEqual([]);
  });

  it('has component schemas that compile as JSON Schema 2020-12', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false, validateSchema: false });
    ajv.addSchema(checker.doc, 'urn:ddo:doc');

    for (const name of Object.keys((checker.doc.components as Json).schemas as Json)) {
      expect(() => ajv.compile({ $ref: `urn:ddo:doc#/components/schemas/${name}` })).not.toThrow();
    }
  });
});

describe('the server against the document', () => {
  it('answers the public documents and the health check as documented', async () => {
    await expectContract('GET', '/healthz', '/healthz');
    await expectContract('GET', '/openapi.json', '/openapi.json');
    await expectContract('GET', '/ui', '/ui');
    await expectContract('GET', '/ui/{file}', '/ui/inspector.js');
    await expectContract('GET', '/ui/{file}', '/ui/nothing-here.js');
  });

  it('answers starting runs as documented, finished or still going', async () => {
    const done = await expectContract('POST', '/v1/agents/{agentId}/runs', '/v1/agents/demo/runs?wait=30', {
      who: TENANT_A,
      json: { input: 'What is (17 * 23) + 4?' },
    });
    doneRunId = (JSON.parse(done.bodyText) as { runId: string }).runId;

    const going = await expectContract('POST', '/v1/agents/{agentId}/runs', '/v1/agents/demo/runs', {
      who: TENANT_B,
      json: { input: 'What is 6 * 7?', sessionId: 'contract-s1' },
    });

    expect(done.status).toBe(200);
    expect(going.status).toBe(202);
  });

  it('answers reading runs and their event streams as documented', async () => {
    await expectContract('GET', '/v1/runs', '/v1/runs?limit=5', { who: TENANT_A });
    await expectContract('GET', '/v1/runs/{runId}', `/v1/runs/${doneRunId}`, { who: TENANT_A });
    const events = `/v1/runs/${doneRunId}/events`;
    const stream = await expectContract('GET', '/v1/runs/{runId}/events', events, { who: TENANT_A });

    expect(stream.status).toBe(200);
  });

  const APPROVE = '/v1/runs/{runId}/approvals/{stepId}';

  it('answers a run held for approval, and the decisions about it, as documented', async () => {
    const asB = (json: unknown): Call => ({ who: TENANT_B, json });
    const held = await expectContract('POST', '/v1/agents/{agentId}/runs', '/v1/agents/demo/runs?wait=30', asB({ input: 'What time is it in Asia/Tokyo?' }));
    heldRunId = (JSON.parse(held.bodyText) as { runId: string }).runId;
    await expectContract('GET', '/v1/runs/{runId}', `/v1/runs/${heldRunId}`, { who: TENANT_B });
    const url = `/v1/runs/${heldRunId}/approvals/s1`;

    const bad = await expectContract('POST', APPROVE, url, asB({ decision: 'maybe' }));
    const anonymous = await expectContract('POST', APPROVE, url, { json: { decision: 'approve' } });
    const unknown = await expectContract('POST', APPROVE, `/v1/runs/${heldRunId}/approvals/s9`, asB({ decision: 'approve' }));
    const approved = await expectContract('POST', APPROVE, url, asB({ decision: 'approve', comment: 'fine' }));
    const conflict = await expectContract('POST', APPROVE, url, asB({ decision: 'reject' }));
    await fetch(`${stack.urls['api-gateway']}/v1/runs/${heldRunId}?wait=30`, { headers: { authorization: `Bearer ${TENANT_B.key}` } });
    await expectContract('GET', '/v1/runs/{runId}/events', `/v1/runs/${heldRunId}/events`, { who: TENANT_B });

    expect(JSON.parse(held.bodyText)).toMatchObject({ status: 'awaiting_approval', pendingApprovals: [{ stepId: 's1', tool: 'clock' }] });
    expect([bad.status, anonymous.status, unknown.status, approved.status, conflict.status]).toEqual([400, 401, 404, 200, 409]);
  });

  const START = '/v1/agents/{agentId}/runs';
  const RUN = '/v1/runs/{runId}';
  const EVENTS = '/v1/runs/{runId}/events';
  const asA = (call: Call = {}): Call => ({ who: TENANT_A, ...call });
  const typed = (type: string) => ({ 'content-type': type });

  it.each([
    ['POST', START, 400, '/v1/agents/demo/runs', asA({ json: { input: '' } })],
    ['POST', START, 401, '/v1/agents/demo/runs', { json: { input: 'hi' } }],
    ['POST', START, 404, '/v1/agents/nobody/runs', asA({ json: { input: 'hi' } })],
    ['PUT', START, 405, '/v1/agents/demo/runs', asA({ checkAs: 'POST', json: { input: 'hi' } })],
    ['POST', START, 413, '/v1/agents/demo/runs', asA({ body: 'x'.repeat(1_100_000), headers: typed('application/json') })],
    ['POST', START, 415, '/v1/agents/demo/runs', asA({ body: 'hi', headers: typed('text/plain') })],
    ['GET', '/v1/runs', 400, '/v1/runs?limit=0', asA()],
    ['GET', '/v1/runs', 401, '/v1/runs', {}],
    ['GET', RUN, 400, '/v1/runs/some-run?wait=soon', asA()],
    ['GET', RUN, 401, '/v1/runs/some-run', {}],
    ['GET', RUN, 404, '/v1/runs/no-such-run', asA()],
    ['GET', EVENTS, 400, '/v1/runs/no-such-run/events', asA({ headers: { 'last-event-id': 'soon' } })],
    ['GET', EVENTS, 401, '/v1/runs/some-run/events', {}],
    ['GET', EVENTS, 404, '/v1/runs/no-such-run/events', asA()],
  ] as [string, string, number, string, Call][])(
    '%s %s answers %i as documented for %s',
    async (method, template, status, url, call) => {
      const res = await expectContract(method, template, url, call);

      expect(res.status).toBe(status);
    },
  );

  it('answers every operation with the documented 429 once a key has spent its budget', async () => {
    const asC = { who: TENANT_C };
    // Each check follows a fresh 429, so a token refilled meanwhile cannot let it through.
    const limited = async (method: string, template: string, url: string, call: Call) => {
      await spendBudget(TENANT_C.key);
      return (await expectContract(method, template, url, call)).status;
    };

    const statuses = [
      await limited('POST', START, '/v1/agents/demo/runs', { ...asC, json: { input: 'hi' } }),
      await limited('GET', '/v1/runs', '/v1/runs', asC),
      await limited('GET', RUN, '/v1/runs/some-run', asC),
      await limited('GET', EVENTS, '/v1/runs/some-run/events', asC),
      await limited('POST', APPROVE, '/v1/runs/some-run/approvals/s1', { ...asC, json: { decision: 'approve' } }),
    ];

    expect(statuses).toEqual([429, 429, 429, 429, 429]);
  });

  it('answers /healthz with the documented 503 while the orchestrator does not answer', async () => {
    stack.kill('orchestrator', 'SIGSTOP');
    let res: Response | undefined;
    try {
      res = await expectContract('GET', '/healthz', '/healthz');
    } finally {
      stack.kill('orchestrator', 'SIGCONT');
    }

    expect(res?.status).toBe(503);
  }, 20_000);

  it('has provoked every documented status of every operation', () => {
    const missed = checker.documented().filter((key) => !checker.seen.has(key));

    expect(missed).toEqual([]);
  });
});

/**
 * The public API's error contract against the real stack: every client mistake is a 4xx
 * problem+json that names what was wrong, and the system keeps serving afterwards.
 */
import type { Stack } from '../../local/stack';
import { api, run, startTestStack, TENANT_A, TENANT_B } from './helpers';

let stack: Stack;

beforeAll(async () => {
  ({ stack } = await startTestStack());
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

const PROBLEM = /^application\/problem\+json/;

describe('api-gateway errors', () => {
  test.each([
    ['no key', { json: { input: 'hi' } }, 401, 'unauthorized', undefined],
    ['a wrong key', { who: { key: 'not-a-key-at-all' }, json: { input: 'hi' } }, 401, 'unauthorized', undefined],
    ['a body without input', { who: TENANT_A, json: { prompt: 'hi' } }, 400, 'bad_request', 'body/input'],
    ['an empty input', { who: TENANT_A, json: { input: '' } }, 400, 'bad_request', 'body/input'],
    ['input of the wrong type', { who: TENANT_A, json: { input: 42 } }, 400, 'bad_request', 'body/input'],
    ['an unknown field', { who: TENANT_A, json: { input: 'hi', extra: 1 } }, 400, 'bad_request', 'body/extra'],
    ['a session id with separators', { who: TENANT_A, json: { input: 'hi', sessionId: 'a:b/c' } }, 400, 'bad_request', 'body/sessionId'],
    ['invalid JSON', { who: TENANT_A, body: '{"input": ', headers: { 'content-type': 'application/json' } }, 400, 'bad_request', 'body'],
    ['a text body', { who: TENANT_A, body: 'hi', headers: { 'content-type': 'text/plain' } }, 415, 'unsupported_media_type', undefined],
  ])('answers %s on POST /runs with a %i problem', async (_name, opts, status, reason, field) => {
    const res = await api(stack, 'POST', '/v1/agents/demo/runs', opts);

    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(PROBLEM);
    expect(res.body).toMatchObject({ status, reason });
    if (field) expect(res.body.field).toBe(field);
  });

  it('answers 404 for an unknown agent', async () => {
    const res = await api(stack, 'POST', '/v1/agents/nobody/runs', { who: TENANT_A, json: { input: 'hi' } });

    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(PROBLEM);
    expect(String(res.body.detail)).toContain('nobody');
  });

  it('answers 404 for another tenant\'s run and for an unknown run', async () => {
    const mine = await run(stack, 'What is 3 * 3?', { who: TENANT_A });

    const theirs = await api(stack, 'GET', `/v1/runs/${String(mine.body.runId)}`, { who: TENANT_B });
    const stream = await api(stack, 'GET', `/v1/runs/${String(mine.body.runId)}/events`, { who: TENANT_B });
    const unknown = await api(stack, 'GET', '/v1/runs/run_doesnotexist', { who: TENANT_A });

    expect(theirs.status).toBe(404);
    expect(stream.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(theirs.headers.get('content-type')).toMatch(PROBLEM);
  });

  it('answers 405 with Allow for a wrong method', async () => {
    const res = await api(stack, 'DELETE', '/v1/agents/demo/runs', { who: TENANT_A });

    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(res.headers.get('content-type')).toMatch(PROBLEM);
  });

  it('answers 413 for a body over the 1 MiB limit', async () => {
    const res = await api(stack, 'POST', '/v1/agents/demo/runs', { who: TENANT_A, json: { input: 'x'.repeat(1_100_000) } });

    expect(res.status).toBe(413);
    expect(res.body.reason).toBe('payload_too_large');
  });

  it('answers 400 for a wait outside 0..60 and for a bad Last-Event-ID', async () => {
    const mine = await run(stack, 'What is 1 + 1?');

    const wait = await api(stack, 'POST', '/v1/agents/demo/runs?wait=600', { who: TENANT_A, json: { input: 'hi' } });
    const resume = await api(stack, 'GET', `/v1/runs/${String(mine.body.runId)}/events`, {
      who: TENANT_A,
      headers: { 'last-event-id': 'abc' },
    });

    expect(wait.status).toBe(400);
    expect(wait.body.field).toBe('wait');
    expect(resume.status).toBe(400);
    expect(resume.body.field).toBe('Last-Event-ID');
  });

  it('answers 202 with the running run when not asked to wait, then 200 once it finished', async () => {
    const started = await api(stack, 'POST', '/v1/agents/demo/runs', { who: TENANT_A, json: { input: 'What is 9 - 1?' } });

    const finished = await api(stack, 'GET', `/v1/runs/${String(started.body.runId)}?wait=30`, { who: TENANT_A });

    expect([200, 202]).toContain(started.status);
    expect(finished.status).toBe(200);
    expect(finished.body).toMatchObject({ status: 'completed', runId: started.body.runId });
  });

  it('reports healthy after all of the above', async () => {
    const res = await api(stack, 'GET', '/healthz');

    expect(res.status).toBe(200);
  });
});

/**
 * Malformed CloudEvents against the broker ingress and against each receiving function
 * directly. Each permanent fault is a 4xx problem that names what is wrong; header names are
 * case-insensitive, so mixed-case `ce-` headers work; the broker dead-letters, with the reason,
 * what it accepted but no subscriber ever can; and no process dies.
 */
import type { Stack } from '../../local/stack';
import { EventTypes } from '../../shared/events/catalogue';
import { startTestStack } from '../e2e/helpers';
import { until } from '../fault/helpers';
import { ceHeaders, INVALID_UTF8, pids, RECEIVERS, send } from './helpers';

let stack: Stack;
let before: Record<string, number | undefined>;

beforeAll(async () => {
  ({ stack } = await startTestStack());
  before = pids(stack);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

const runRequest = JSON.stringify({ tenant: 'acme', agentId: 'demo', input: 'What is 2 + 2?' });
const without = (name: string) => {
  const h = ceHeaders(EventTypes.runRequested);
  delete h[name];
  return h;
};

/** [case, headers, body, status, field named in the problem]. */
const PERMANENT: [string, Record<string, string>, string | Buffer | undefined, number, string | undefined][] = [
  ['no ce-id', without('ce-id'), runRequest, 400, 'ce-id'],
  ['no ce-source', without('ce-source'), runRequest, 400, 'ce-source'],
  ['no ce-type', without('ce-type'), runRequest, 400, 'ce-type'],
  ['no ce-specversion', without('ce-specversion'), runRequest, 400, undefined],
  ['specversion 0.3', ceHeaders(EventTypes.runRequested, { 'ce-specversion': '0.3' }), runRequest, 400, undefined],
  ['an unknown type', ceHeaders('com.example.nope'), runRequest, 400, 'type'],
  ['text/plain data', ceHeaders(EventTypes.runRequested, { 'content-type': 'text/plain' }), runRequest, 400, undefined],
  ['an empty body', ceHeaders(EventTypes.runRequested), '', 400, undefined],
  ['invalid JSON', ceHeaders(EventTypes.runRequested), '{"tenant": ', 400, undefined],
  ['binary data', ceHeaders(EventTypes.runRequested, { 'content-type': 'application/octet-stream' }), Buffer.from([0, 1, 2, 255]), 400, undefined],
  ['invalid UTF-8', ceHeaders(EventTypes.runRequested), INVALID_UTF8, 400, 'body'],
  ['data of the wrong shape', ceHeaders(EventTypes.runRequested), JSON.stringify({ tenant: 7 }), 400, undefined],
  ['an oversized body', ceHeaders(EventTypes.runRequested), 'x'.repeat(2 * 1_048_576), 413, undefined],
  ['an attribute name with an underscore', ceHeaders(EventTypes.runRequested, { 'ce-bad_name': 'x' }), runRequest, 400, undefined],
  ['a structured body that is not JSON', { 'content-type': 'application/cloudevents+json' }, '{nope', 400, 'body'],
  ['a batch', { 'content-type': 'application/cloudevents-batch+json' }, '[]', 400, undefined],
];

describe.each(RECEIVERS)('the %s receiving a malformed CloudEvent', (receiver) => {
  it.each(PERMANENT)('answers %s with a problem naming it', async (_name, headers, body, status, field) => {
    const res = await send(stack.urls[receiver], headers, body);

    // A batch is an unsupported media type at the broker and a bad request at a function.
    expect(res.status === status || (status === 400 && res.status === 415)).toBe(true);
    expect(res.contentType).toMatch(/application\/problem\+json/);
    expect(String(res.body.detail ?? '')).not.toBe('');
    if (field) expect(String(res.body.field ?? '')).toContain(field.replace(/^ce-/, ''));
  });
});

describe('the broker ingress receiving a malformed CloudEvent', () => {
  const atIngress = PERMANENT.filter(([name]) => !['an unknown type', 'text/plain data', 'an empty body', 'invalid JSON', 'binary data', 'invalid UTF-8', 'data of the wrong shape'].includes(name));

  it.each(atIngress)('answers %s with a 4xx problem', async (_name, headers, body, status) => {
    const res = await send(stack.urls.broker, headers, body);

    expect(res.status === status || (status === 400 && res.status === 415)).toBe(true);
    expect(res.contentType).toMatch(/application\/problem\+json/);
  });

  it('accepts mixed-case ce- headers, as HTTP header names are case-insensitive', async () => {
    const id = `mixed-case-${Date.now()}`;
    const headers = {
      'Content-Type': 'application/json',
      'CE-SpecVersion': '1.0',
      'Ce-Id': id,
      'cE-sOuRcE': '/test/bad-input',
      'CE-TYPE': EventTypes.runRequested,
    };

    const res = await send(stack.urls.broker, headers, JSON.stringify({ tenant: 'acme', agentId: 'demo', runId: `run_${id}`.replace(/-/g, '_'), input: 'What is 2 + 2?' }));

    expect(res.status).toBe(202);
  });

  it('dead-letters, with the reason, data no subscriber can ever accept', async () => {
    const headers = ceHeaders(EventTypes.runRequested);

    const res = await send(stack.urls.broker, headers, JSON.stringify({ tenant: 'acme', agentId: 'no-such-agent', input: 'hi' }));
    let letter: Record<string, unknown> | undefined;
    await until(async () => {
      const list = (await (await fetch(stack.urls.deadLetters)).json()) as Record<string, unknown>[];
      letter = list.find((l) => l.eventId === headers['ce-id']);
      return letter !== undefined;
    }, 20_000, 'the dead letter');

    expect(res.status).toBe(202);
    expect(letter).toMatchObject({ errorCode: 400, type: EventTypes.runRequested });
    expect(String(letter?.errorData)).toContain('no-such-agent');
  });
});

describe('the functions after every bad input', () => {
  it('still run under the same process ids and still serve', async () => {
    const health = await fetch(`${stack.urls['api-gateway']}/healthz`);

    expect(pids(stack)).toEqual(before);
    expect(health.status).toBe(200);
  });
});

import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { CATALOGUE } from '../../shared/events/catalogue';
import { createLogger, type Logger } from '../../shared/log';
import { createLocalBroker, isRetryable, policyOf, type LocalBroker } from '../../local/broker';
import { loadManifests, type DeliverySpec, type TriggerManifest } from '../../local/manifests';

const REPO = path.resolve(__dirname, '..', '..');
const MANIFESTS = loadManifests([path.join(REPO, 'knative'), path.join(REPO, 'brokers')]);
const SERVICES = ['ddo-api-gateway', 'ddo-orchestrator', 'ddo-planner', 'ddo-executor', 'ddo-memory'];
const silent = createLogger('broker-test', { DDO_LOG_LEVEL: 'silent' });

interface Delivery {
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** A real HTTP subscriber that records deliveries and answers as the test scripts it. */
class Subscriber {
  readonly deliveries: Delivery[] = [];
  answer: (delivery: Delivery, attempt: number) => Answer = () => ({ status: 202 });
  url = '';
  private waiters: Array<{ count: number; resolve: () => void }> = [];
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const delivery = { headers: req.headers, body: Buffer.concat(chunks) };
      this.deliveries.push(delivery);
      const answer = this.answer(delivery, this.deliveries.length);
      res.writeHead(answer.status, answer.headers).end(answer.body);
      const [due, waiting] = partition(this.waiters, (w) => this.deliveries.length >= w.count);
      this.waiters = waiting;
      due.forEach((w) => w.resolve());
    });
  });

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}/`;
    return this;
  }

  /** Resolves once `count` deliveries have been answered. */
  received(count: number): Promise<Delivery[]> {
    if (this.deliveries.length >= count) return Promise.resolve(this.deliveries);
    return new Promise((resolve) => this.waiters.push({ count, resolve: () => resolve(this.deliveries) }));
  }

  ids(): string[] {
    return this.deliveries.map((d) => String(d.headers['ce-id']));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let broker: LocalBroker;
let brokerUrl: string;
let dataDir: string;
let subscribers: Record<string, Subscriber>;
let deliveryOverride: DeliverySpec;
let urlOverrides: Record<string, string>;

// The manifests' own delivery spec, with a tiny backoff so retries take milliseconds.
const fastDelivery = (t: TriggerManifest): DeliverySpec => ({ ...t.spec.delivery, backoffDelay: 'PT0.001S' });

async function startBroker(logger: Logger = silent): Promise<void> {
  broker = createLocalBroker({
    brokers: MANIFESTS.brokers,
    triggers: () =>
      MANIFESTS.triggers.map((t) => ({
        ...t,
        spec: { ...t.spec, delivery: { ...fastDelivery(t), ...deliveryOverride } },
      })),
    resolveService: (name) => {
      if (name === 'ddo-dead-letters') return `${brokerUrl}/dead-letters`;
      return urlOverrides[name] ?? subscribers[name]?.url;
    },
    dataDir,
    logger,
  });
  brokerUrl = await broker.listen(0, '127.0.0.1');
}

beforeEach(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddo-broker-'));
  deliveryOverride = {};
  urlOverrides = {};
  const started = await Promise.all(SERVICES.map(async (s) => [s, await new Subscriber().start()] as const));
  subscribers = Object.fromEntries(started);
  await startBroker();
});

afterEach(async () => {
  await broker.close();
  await Promise.all(Object.values(subscribers).map((s) => s.close()));
  fs.rmSync(dataDir, { recursive: true, force: true });
});

let nextId = 0;

function ceHeaders(type: string, extra: Record<string, string> = {}): Record<string, string> {
  nextId += 1;
  return {
    'ce-specversion': '1.0',
    'ce-id': `evt-${nextId}`,
    'ce-source': '/ddo/test',
    'ce-type': type,
    'content-type': 'application/json',
    ...extra,
  };
}

function publish(headers: Record<string, string>, body: string | Buffer = '{"n":1}'): Promise<Response> {
  return fetch(`${brokerUrl}/ddo/default`, { method: 'POST', headers, body });
}

const serviceOf = (t: TriggerManifest): string => t.spec.subscriber.ref?.name ?? '';
const extensionsOf = (t: TriggerManifest): Record<string, string> => {
  const { type: _type, ...rest } = t.spec.filter.attributes;
  return Object.fromEntries(Object.entries(rest).map(([k, v]) => [`ce-${k}`, v]));
};

function partition<T>(items: T[], test: (item: T) => boolean): [T[], T[]] {
  return [items.filter(test), items.filter((item) => !test(item))];
}

describe('local broker routing of knative/triggers.yaml', () => {
  const cases = MANIFESTS.triggers.map(
    (t) => [t.metadata.name, t.spec.filter.attributes.type, serviceOf(t), t] as const,
  );

  test.each(cases)(
    'Trigger %s delivers %s to %s and to no other service',
    async (_name, type, service, trigger) => {
      const headers = ceHeaders(type, extensionsOf(trigger));

      const res = await publish(headers);
      await broker.whenIdle();

      expect(res.status).toBe(202);
      for (const [name, sub] of Object.entries(subscribers)) {
        expect({ name, got: sub.ids().includes(headers['ce-id']) }).toEqual({ name, got: name === service });
      }
    },
  );

  it('sends every catalogue type to exactly the consumers the catalogue names', async () => {
    const sent = new Map<string, string>();
    for (const t of MANIFESTS.triggers) {
      const headers = ceHeaders(t.spec.filter.attributes.type, extensionsOf(t));
      sent.set(headers['ce-id'], headers['ce-type']);
      await publish(headers);
    }
    await broker.whenIdle();

    for (const def of CATALOGUE) {
      const receivers = SERVICES.filter((s) => subscribers[s].ids().some((id) => sent.get(id) === def.type));
      const consumers = def.consumers.map((c) => `ddo-${c}`).sort();
      const actual = { type: def.type, receivers: receivers.sort() };
      expect(actual).toEqual({ type: def.type, receivers: consumers });
    }
  });

  it('splits dev.ddo.model.completed by ddopurpose and delivers it nowhere without one', async () => {
    const completed = (extra: Record<string, string>) => ceHeaders('dev.ddo.model.completed', extra);
    await publish(completed({ 'ce-ddopurpose': 'plan', 'ce-id': 'to-planner' }));
    await publish(completed({ 'ce-ddopurpose': 'reflect', 'ce-id': 'to-orchestrator' }));
    await publish(completed({ 'ce-id': 'to-nobody' }));
    await broker.whenIdle();

    expect(subscribers['ddo-planner'].ids()).toEqual(['to-planner']);
    expect(subscribers['ddo-orchestrator'].ids()).toEqual(['to-orchestrator']);
    expect(broker.counters()).toMatchObject({ received: 3, delivered: 2, deadLettered: 0, failed: 0 });
  });

  it('forwards in binary mode with every attribute, the trace context and the exact data bytes', async () => {
    const trace = {
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tracestate: 'ddo=1',
    };
    const headers = ceHeaders('dev.ddo.step.requested', {
      'ce-subject': 'run%2042%20%E2%9C%93', // "run 42 ✓", percent-encoded as the HTTP binding says
      'ce-time': '2024-05-01T10:00:00Z',
      'ce-ddorun': 'r-42',
      'ce-traceparent': trace.traceparent,
      'ce-tracestate': trace.tracestate,
      'content-type': 'application/octet-stream',
    });
    const bytes = Buffer.from([0, 1, 2, 255, 254]);

    await publish(headers, bytes);
    const [got] = await subscribers['ddo-executor'].received(1);

    expect(got.body.equals(bytes)).toBe(true);
    expect(got.headers).toMatchObject({ ...headers, ...trace });
    expect(got.headers['ce-knativearrivaltime']).toMatch(/^\d{4}-/);
    expect(got.headers['ce-knativebrokerttl']).toBeUndefined();
  });

  it('accepts a structured-mode event and forwards it in binary mode', async () => {
    const event = { specversion: '1.0', id: 's-1', source: '/x', type: 'dev.ddo.run.requested', data: [1] };
    const structured = { 'content-type': 'application/cloudevents+json; charset=utf-8' };

    const res = await publish(structured, JSON.stringify(event));
    const [got] = await subscribers['ddo-orchestrator'].received(1);

    expect(res.status).toBe(202);
    expect(got.headers).toMatchObject({ 'ce-id': 's-1', 'content-type': 'application/json' });
    expect(JSON.parse(got.body.toString())).toEqual([1]);
  });
});

describe('local broker delivery', () => {
  it('retries a 503 and counts one delivery when the second attempt succeeds', async () => {
    subscribers['ddo-planner'].answer = (_d, attempt) => ({ status: attempt === 1 ? 503 : 200 });

    await publish(ceHeaders('dev.ddo.plan.requested'));
    const deliveries = await subscribers['ddo-planner'].received(2);
    await broker.whenIdle();

    expect(deliveries[0].headers['ce-id']).toBe(deliveries[1].headers['ce-id']);
    expect(broker.counters()).toMatchObject({ delivered: 1, retried: 1, deadLettered: 0 });
    expect(broker.deadLetters()).toEqual([]);
  });

  it('does not retry a 400 and dead-letters the event with Knative error extensions', async () => {
    const dls = await new Subscriber().start();
    deliveryOverride = { deadLetterSink: { uri: dls.url } };
    subscribers['ddo-executor'].answer = () => ({ status: 400, body: 'step input is invalid' });
    const headers = ceHeaders('dev.ddo.step.requested');

    await publish(headers, '{"step":1}');
    const [dead] = await dls.received(1);
    await broker.whenIdle();

    expect(subscribers['ddo-executor'].deliveries).toHaveLength(1);
    expect(dead.headers).toMatchObject({
      'ce-id': headers['ce-id'],
      'ce-knativeerrorcode': '400',
      'ce-knativeerrordest': subscribers['ddo-executor'].url,
      'ce-knativeerrordata': Buffer.from('step input is invalid').toString('base64'),
    });
    expect(dead.body.toString()).toBe('{"step":1}');
    expect(broker.counters()).toMatchObject({ retried: 0, deadLettered: 1, delivered: 0 });
    await dls.close();
  });

  it('dead-letters after the configured retries are exhausted, with the last status and body', async () => {
    deliveryOverride = { retry: 2 };
    subscribers['ddo-orchestrator'].answer = (_d, n) => ({ status: 503, body: `busy ${n}` });

    await publish(ceHeaders('dev.ddo.step.completed'));
    await broker.whenIdle();

    expect(subscribers['ddo-orchestrator'].deliveries).toHaveLength(3);
    expect(broker.counters()).toMatchObject({ retried: 2, deadLettered: 1 });
    expect(broker.deadLetters()).toEqual([
      expect.objectContaining({ type: 'dev.ddo.step.completed', errorCode: 503, errorData: 'busy 3' }),
    ]);
  });

  it('reports an unreachable subscriber as Knative does: code 500 and a dispatch error', async () => {
    deliveryOverride = { retry: 1 };
    const closed = await new Subscriber().start();
    await closed.close();
    urlOverrides['ddo-planner'] = closed.url; // a loopback port nothing listens on any more

    await publish(ceHeaders('dev.ddo.plan.requested'));
    await broker.whenIdle();

    expect(broker.counters()).toMatchObject({ retried: 1, deadLettered: 1, delivered: 0 });
    const [entry] = broker.deadLetters();
    expect(entry).toMatchObject({ errorCode: 500, errorDest: closed.url });
    expect(entry.errorData).toMatch(/^dispatch error: /);
  });

  it('logs an event at error level, with its id, when even the dead-letter sink fails', async () => {
    const lines: string[] = [];
    await broker.close();
    await startBroker(pino({ level: 'error' }, { write: (line: string) => lines.push(line) }));
    deliveryOverride = { retry: 0, deadLetterSink: { uri: `${brokerUrl}/no-such-sink` } };
    subscribers['ddo-planner'].answer = () => ({ status: 400 });
    const headers = ceHeaders('dev.ddo.plan.requested');

    await publish(headers);
    await broker.whenIdle();

    expect(broker.counters()).toMatchObject({ deadLettered: 0, failed: 1 });
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ level: 50, eventId: headers['ce-id'], errorCode: 400, sinkStatus: 404 }),
    ]);
  });

  it('publishes a reply event back into the broker, where its own trigger routes it', async () => {
    subscribers['ddo-planner'].answer = () => ({
      status: 200,
      headers: { ...ceHeaders('dev.ddo.plan.created', { 'ce-id': 'reply-1' }) },
      body: '{"plan":[]}',
    });

    await publish(ceHeaders('dev.ddo.plan.requested'));
    const [reply] = await subscribers['ddo-orchestrator'].received(1);

    expect(reply.headers['ce-id']).toBe('reply-1');
    expect(reply.body.toString()).toBe('{"plan":[]}');
    expect(subscribers['ddo-planner'].deliveries[0].headers.prefer).toBe('reply');
  });

  it('ignores a 2xx body that is not a CloudEvent', async () => {
    const json = { 'content-type': 'application/json' };
    subscribers['ddo-planner'].answer = () => ({ status: 200, headers: json, body: '{}' });

    await publish(ceHeaders('dev.ddo.plan.requested'));
    await broker.whenIdle();

    expect(broker.counters()).toMatchObject({ received: 1, delivered: 1 });
  });
});

describe('local broker ingress errors', () => {
  const INGRESS = '/ddo/default';
  const headers = ceHeaders('dev.ddo.run.requested');
  const { 'ce-source': _source, ...withoutSource } = headers;

  test.each([
    ['a missing ce-source', 'POST', INGRESS, withoutSource, 400, 'ce-source'],
    ['no CloudEvent at all', 'POST', INGRESS, { 'content-type': 'text/plain' }, 400, 'ce-specversion'],
    ['specversion 0.3', 'POST', INGRESS, { ...headers, 'ce-specversion': '0.3' }, 400, 'ce-specversion'],
    ['a malformed time', 'POST', INGRESS, { ...headers, 'ce-time': 'yesterday' }, 400, 'ce-time'],
    ['a bad dataschema', 'POST', INGRESS, { ...headers, 'ce-dataschema': 'no uri' }, 400, 'ce-dataschema'],
    ['an unknown broker', 'POST', '/ddo/other', headers, 404, undefined],
    ['a GET on the ingress', 'GET', INGRESS, {}, 405, undefined],
  ])('answers %s with a problem', async (_case, method, target, reqHeaders, status, field) => {
    const res = await fetch(`${brokerUrl}${target}`, {
      method,
      headers: reqHeaders,
      body: method === 'GET' ? undefined : 'x',
    });
    const problem = (await res.json()) as { status: number; field?: string; detail: string };

    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(problem.status).toBe(status);
    expect(problem.field).toBe(field);
    if (field) expect(problem.detail).toContain(field);
    if (status === 405) expect(res.headers.get('allow')).toBe('POST');
  });

  it('answers 413 to a body over the limit', async () => {
    const res = await publish(ceHeaders('dev.ddo.run.requested'), 'x'.repeat(1_048_577));

    expect(res.status).toBe(413);
    expect(broker.counters().received).toBe(0);
  });
});

describe('local broker dead-letter store', () => {
  it('lists, persists and replays a dead letter into its broker', async () => {
    let failing = true;
    subscribers['ddo-executor'].answer = () => (failing ? { status: 422, body: 'no tool' } : { status: 202 });
    const headers = ceHeaders('dev.ddo.step.requested');
    await publish(headers, '{"tool":"x"}');
    await broker.whenIdle();
    const [entry] = broker.deadLetters();
    await broker.close();
    await startBroker(); // a fresh broker on the same data dir reloads the store
    failing = false;

    const listed = (await (await fetch(`${brokerUrl}/dead-letters`)).json()) as Array<typeof entry>;
    const replay = await fetch(`${brokerUrl}/dead-letters/${entry.id}/replay`, { method: 'POST' });
    await broker.whenIdle();

    expect(listed).toEqual([
      expect.objectContaining({ id: entry.id, eventId: headers['ce-id'], errorCode: 422 }),
    ]);
    expect(listed[0].errorData).toBe('no tool');
    expect(replay.status).toBe(202);
    const replayed = subscribers['ddo-executor'].deliveries[1];
    expect(replayed.headers['ce-id']).toBe(headers['ce-id']);
    expect(replayed.headers['ce-knativeerrorcode']).toBeUndefined();
    expect(replayed.body.toString()).toBe('{"tool":"x"}');
    expect(broker.deadLetters()[0].replayedAt).toEqual(expect.any(String));
  });

  it('answers 404 to a replay of an unknown dead letter', async () => {
    const res = await fetch(`${brokerUrl}/dead-letters/nope/replay`, { method: 'POST' });

    expect(res.status).toBe(404);
  });
});

describe('delivery policy', () => {
  test.each([
    ['exponential', [10, 20, 40, 80]],
    ['linear', [0, 10, 20, 30]],
  ] as const)('waits as Knative does between %s retries', (backoffPolicy, waits) => {
    const policy = policyOf({ retry: 4, backoffPolicy, backoffDelay: 'PT0.01S' });

    expect([0, 1, 2, 3].map(policy.backoffMs)).toEqual(waits);
  });

  test.each([
    [undefined, true],
    [500, true],
    [503, true],
    [404, true],
    [408, true],
    [409, true],
    [429, true],
    [400, false],
    [401, false],
    [403, false],
    [413, false],
    [422, false],
    [302, false],
  ])('treats status %p as retryable: %p', (status, expected) => {
    expect(isRetryable(status)).toBe(expected);
  });
});

import { BadRequestError } from '../../../../shared/errors';
import { EventTypes, type RunRequested } from '../../../../shared/events/catalogue';
import { toBinaryMessage } from '../../../../shared/events/emit';
import { parseEvent } from '../../../../shared/events/receive';

const DATA: RunRequested = { tenant: 'acme', agentId: 'demo', input: 'What is (17 * 23) + 4?' };

function makeBinary(data: unknown = DATA, extensions?: Record<string, string>) {
  return toBinaryMessage('api-gateway', { type: EventTypes.runRequested, id: 'evt_1', data: data as RunRequested, extensions });
}

function makeStructured(overrides: Record<string, unknown> = {}) {
  const event = {
    specversion: '1.0',
    id: 'evt_1',
    source: '/ddo/external',
    type: EventTypes.runRequested,
    datacontenttype: 'application/json',
    data: DATA,
    ...overrides,
  };
  return { headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(event) };
}

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to throw');
}

describe('parseEvent', () => {
  it('reads a valid binary-mode event', () => {
    const { headers, body } = makeBinary();

    const event = parseEvent<RunRequested>(headers, body);

    expect(event).toMatchObject({ specversion: '1.0', id: 'evt_1', source: '/ddo/api-gateway', type: EventTypes.runRequested });
    expect(event.data).toEqual(DATA);
  });

  it('keeps extension attributes', () => {
    const { headers, body } = makeBinary(DATA, { ddopurpose: 'reflect' });

    const event = parseEvent<RunRequested>(headers, body);

    expect(event).toMatchObject({ ddopurpose: 'reflect' });
  });

  test.each(['ce-id', 'ce-source', 'ce-type', 'ce-specversion'])('refuses a binary event without %s, naming it', (header) => {
    const { headers, body } = makeBinary();
    delete headers[header];

    const err = thrownBy(() => parseEvent(headers, body));

    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toMatchObject({ status: 400, reason: 'bad_request', details: { field: header } });
  });

  it('refuses an empty ce-id', () => {
    const { headers, body } = makeBinary();

    const err = thrownBy(() => parseEvent({ ...headers, 'ce-id': '' }, body));

    expect(err).toMatchObject({ details: { field: 'ce-id' } });
  });

  test.each(['0.3', '2.0'])('refuses specversion %s', (version) => {
    const { headers, body } = makeBinary();

    const err = thrownBy(() => parseEvent({ ...headers, 'ce-specversion': version }, body));

    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toMatchObject({ details: { field: 'specversion' } });
    expect((err as Error).message).toContain(version);
  });

  it('refuses a type that is not in the catalogue', () => {
    const { headers, body } = makeBinary();

    const err = thrownBy(() => parseEvent({ ...headers, 'ce-type': 'dev.ddo.unknown' }, body));

    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toMatchObject({ details: { field: 'type' } });
    expect((err as Error).message).toContain('dev.ddo.unknown');
  });

  test.each([
    ['a missing field', { tenant: 'acme', agentId: 'demo' }, 'data/input'],
    ['an empty field', { ...DATA, input: '' }, 'data/input'],
    ['an unsafe id', { ...DATA, agentId: '../etc' }, 'data/agentId'],
    ['an extra field', { ...DATA, priority: 'high' }, 'data/priority'],
  ])('refuses data with %s, naming the field under data', (_label, data, field) => {
    const { headers } = makeBinary();

    const err = thrownBy(() => parseEvent(headers, JSON.stringify(data)));

    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toMatchObject({ details: { field } });
  });

  it('reads a valid structured-mode event', () => {
    const { headers, body } = makeStructured();

    const event = parseEvent<RunRequested>(headers, body);

    expect(event).toMatchObject({ id: 'evt_1', source: '/ddo/external', type: EventTypes.runRequested, data: DATA });
  });

  test.each([
    ['not JSON', '{"specversion": "1.0",', 'body'],
    ['a JSON array', '[]', 'body'],
    ['JSON null', 'null', 'body'],
  ])('refuses a structured body that is %s', (_label, body, field) => {
    const headers = { 'content-type': 'application/cloudevents+json; charset=utf-8' };

    const err = thrownBy(() => parseEvent(headers, body));

    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toMatchObject({ details: { field } });
  });

  test.each([
    ['without an id', { id: undefined }, 'id'],
    ['with specversion 0.3', { specversion: '0.3' }, 'specversion'],
    ['with an unknown type', { type: 'com.example.other' }, 'type'],
    ['with invalid data', { data: { tenant: 'acme' } }, 'data/agentId'],
  ])('refuses a structured event %s', (_label, overrides, field) => {
    const { headers, body } = makeStructured(overrides);

    const err = thrownBy(() => parseEvent(headers, body));

    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toMatchObject({ details: { field } });
  });
});

/**
 * Property tests over the CloudEvent parser: whatever arrives, the answer is a parsed event or a
 * BadRequestError (a 4xx), never another failure; and what we send parses back unchanged.
 */
import fc from 'fast-check';
import { BadRequestError } from '../../../../shared/errors';
import { EventTypes } from '../../../../shared/events/catalogue';
import { toBinaryMessage } from '../../../../shared/events/emit';
import { parseEvent } from '../../../../shared/events/receive';

const headerName = fc.oneof(
  fc.constantFrom('ce-id', 'ce-source', 'ce-type', 'ce-specversion', 'content-type', 'ce-time', 'ce-Bad-Name', 'ce-'),
  fc.string({ maxLength: 12 }).map((s) => `ce-${s.toLowerCase().replace(/[^a-z0-9-]/g, '')}`),
);
const headerValue = fc.oneof(
  fc.constantFrom('1.0', '0.3', '', 'application/json', 'application/cloudevents+json', 'text/plain', EventTypes.runRequested),
  fc.string({ maxLength: 40 }),
);
const body = fc.oneof(
  fc.json(),
  fc.string({ maxLength: 200 }),
  fc.constant(''),
  fc.jsonValue().map((v) => JSON.stringify({ specversion: '1.0', id: 'x', source: '/s', type: EventTypes.runRequested, data: v })),
);

describe('parseEvent (properties)', () => {
  it('answers any request with an event or a BadRequestError', () => {
    fc.assert(
      fc.property(fc.dictionary(headerName, headerValue, { maxKeys: 8 }), body, (headers, text) => {
        try {
          parseEvent(headers, text);
        } catch (err) {
          expect(err).toBeInstanceOf(BadRequestError);
          expect((err as BadRequestError).status).toBe(400);
          expect(typeof (err as BadRequestError).details.field).toBe('string');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('reads back exactly the data a valid event was sent with', () => {
    const input = fc.string({ minLength: 1, maxLength: 500, unit: 'binary' });
    const runId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,30}$/);
    fc.assert(
      fc.property(input, runId, (text, id) => {
        const data = { tenant: 'acme', agentId: 'demo', runId: id, input: text };
        const message = toBinaryMessage('test', { type: EventTypes.runRequested, id: `e-${id}`, data });

        const event = parseEvent<typeof data>(message.headers, message.body);

        expect(event.data).toEqual(data);
        expect(event.id).toBe(`e-${id}`);
      }),
      { numRuns: 300 },
    );
  });
});

/** The contract checker itself: it must fail on the drift it exists to catch. */
import { OpenApiChecker } from './openapi-checker';

const doc = {
  openapi: '3.1.0',
  info: { title: 't', version: '1' },
  paths: {
    '/things/{id}': {
      get: {
        responses: {
          '200': {
            description: 'ok',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } },
          },
        },
      },
    },
  },
  components: {
    schemas: {
      Thing: {
        type: 'object',
        required: ['id'],
        properties: { id: { type: 'string' }, at: { type: 'string', format: 'date-time' } },
      },
    },
  },
};

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

function check(res: Response, body: unknown): string[] {
  return new OpenApiChecker(doc).check('GET', '/things/{id}', res, JSON.stringify(body));
}

describe('OpenApiChecker', () => {
  it('accepts a body with exactly the documented shape', () => {
    const body = { id: 'a', at: '2026-01-01T00:00:00Z' };

    expect(check(json(body), body)).toEqual([]);
  });

  it.each([
    ['a field the document does not mention', { id: 'a', extra: 1 }],
    ['a missing required field', { at: '2026-01-01T00:00:00Z' }],
    ['a wrongly typed field', { id: 7 }],
    ['a malformed date-time', { id: 'a', at: 'yesterday' }],
  ])('reports %s', (_what, body) => {
    expect(check(json(body), body)).not.toEqual([]);
  });

  it('reports an undocumented status and an undocumented media type', () => {
    const teapot = json({ id: 'a' }, 418);
    const text = new Response('hi', { status: 200, headers: { 'content-type': 'text/plain' } });

    expect(check(teapot, { id: 'a' })).toEqual([expect.stringMatching(/status 418 is not documented/)]);
    expect(new OpenApiChecker(doc).check('GET', '/things/{id}', text, 'hi')).toEqual([
      expect.stringMatching(/media type text\/plain is not documented/),
    ]);
  });

  it('records which documented statuses it has seen', () => {
    const checker = new OpenApiChecker(doc);

    checker.check('GET', '/things/{id}', json({ id: 'a' }), '{"id":"a"}');

    expect(checker.documented()).toEqual(['GET /things/{id} 200']);
    expect([...checker.seen]).toEqual(['GET /things/{id} 200']);
  });
});

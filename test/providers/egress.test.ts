/**
 * The egress guard in each SDK's request path: the fetch given to openai, the request handler
 * wrapped around Bedrock's NodeHttpHandler and the axios interceptor of the IBM SDK core. A
 * declared host passes, an undeclared one is refused before a socket opens, and loopback
 * passes only when DDO_EGRESS_ALLOW_LOCAL lists it.
 */
import axios from 'axios';
import {
  EgressDeniedError,
  guardAxios,
  guardedFetch,
  guardSmithyHandler,
  withEgressScope,
  type AxiosLike,
  type EgressPolicy,
} from '../../functions/executor/egress';
import { chatReply } from './fakes/openai';
import { converseReply } from './fakes/bedrock';
import { inOrder, startFakeServer, type FakeServer } from './fakes/server';
import { makeAgent, makeHarness, opening } from './harness';

const SAVED = { ...process.env };

beforeAll(() => {
  // Bedrock's SDK must never look for instance metadata, and need not warn about Node 20.
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
});

afterAll(() => {
  process.env = SAVED;
});

const DECLARED: EgressPolicy = { hosts: ['api.openai.com', 'bedrock-runtime.us-east-1.amazonaws.com'], local: [] };

function stubFetch() {
  const seen: string[] = [];
  const fn = async (input: string | URL | Request) => {
    seen.push(String(input instanceof Request ? input.url : input));
    return new Response('{}', { status: 200 });
  };
  return { fn, seen };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

describe('guardedFetch', () => {
  it('passes a declared host to the inner fetch', async () => {
    const inner = stubFetch();

    const res = await guardedFetch(DECLARED, inner.fn)('https://api.openai.com/v1/chat/completions', { method: 'POST', body: '{}' });

    expect(res.status).toBe(200);
    expect(inner.seen).toEqual(['https://api.openai.com/v1/chat/completions']);
  });

  test.each([
    ['https://api.openai.com.evil.test/v1', 'api.openai.com.evil.test'],
    ['http://169.254.169.254/latest/meta-data', '169.254.169.254'],
    ['http://127.0.0.1:11434/v1/chat/completions', '127.0.0.1:11434'],
  ])('refuses %s before any request, naming %s', async (url, host) => {
    const inner = stubFetch();

    const err = await rejection(guardedFetch(DECLARED, inner.fn)(url));

    expect(err).toBeInstanceOf(EgressDeniedError);
    expect((err as Error).message).toContain(host);
    expect(inner.seen).toEqual([]);
  });

  it('allows loopback listed in the policy, and checks every 307 hop', async () => {
    const fake = await startFakeServer(inOrder({ status: 307, headers: { location: 'http://127.0.0.1:1/elsewhere' }, body: {} }));
    const policy = { hosts: [], local: [fake.hostPort] };

    const err = await rejection(guardedFetch(policy)(`${fake.url}/v1/chat/completions`, { method: 'POST', body: '{}' }));

    expect(fake.requests).toHaveLength(1);
    expect(err).toMatchObject({ reason: 'egress_denied', details: { host: '127.0.0.1:1' } });
    await fake.close();
  });

  it('rewrites https to the egress gateway\'s plain port when the mesh originates TLS', async () => {
    const inner = stubFetch();

    await guardedFetch({ ...DECLARED, meshTlsOrigination: true }, inner.fn)('https://api.openai.com/v1/models');

    expect(inner.seen).toEqual(['http://api.openai.com/v1/models']);
  });
});

describe('guardSmithyHandler', () => {
  const request = (hostname: string) => ({ protocol: 'https:', hostname, path: '/model/m/converse' });

  it('hands a declared host to the inner handler and refuses others before it runs', async () => {
    const handled: string[] = [];
    const guarded = guardSmithyHandler(DECLARED, { handle: async (r: { hostname: string }) => void handled.push(r.hostname) });

    await guarded.handle(request('bedrock-runtime.us-east-1.amazonaws.com'));

    expect(() => guarded.handle(request('bedrock-runtime.ap-south-1.amazonaws.com'))).toThrow(EgressDeniedError);
    expect(handled).toEqual(['bedrock-runtime.us-east-1.amazonaws.com']);
  });

  it('sends a declared host to the egress gateway\'s plain port when the mesh originates TLS', async () => {
    const seen: { protocol: string; port?: number }[] = [];
    const inner = { handle: async (r: { protocol: string; port?: number }) => void seen.push({ ...r }) };
    const guarded = guardSmithyHandler({ ...DECLARED, meshTlsOrigination: true }, inner);

    await guarded.handle(request('bedrock-runtime.us-east-1.amazonaws.com'));

    expect(seen[0]).toMatchObject({ protocol: 'http:', port: undefined });
  });
});

describe('guardAxios', () => {
  it('refuses an undeclared host inside the SDK\'s axios instance, and withEgressScope surfaces it', async () => {
    const fake = await startFakeServer(inOrder({ body: { ok: true } }));
    const instance = axios.create();
    guardAxios({ hosts: [], local: [] }, instance as unknown as AxiosLike);

    // Like the IBM SDK core, which rethrows transport errors as new plain Errors.
    const call = () => instance.get(`${fake.url}/identity/token`).catch(() => Promise.reject(new Error('wrapped')));

    const err = await rejection(withEgressScope(call));

    expect(err).toBeInstanceOf(EgressDeniedError);
    expect(fake.requests).toHaveLength(0);
    await fake.close();
  });
});

describe('providers behind the guard', () => {
  const AWS_KEYS = { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'x'.repeat(40) };
  let fake: FakeServer;

  beforeEach(async () => {
    fake = await startFakeServer(inOrder(chatReply({ text: 'should not be reached' })));
  });

  afterEach(async () => {
    await fake.close();
  });

  it('refuses an OpenAI-compatible base URL on loopback that DDO_EGRESS_ALLOW_LOCAL does not list', async () => {
    const agent = makeAgent({ provider: 'openai', name: 'llama3.1' });
    const h = makeHarness({ agent, env: { OPENAI_BASE_URL: `${fake.url}/v1` }, local: ['127.0.0.1:11434'] });

    const done = await h.turn(opening());

    expect(done.error).toMatchObject({ reason: 'egress_denied' });
    expect(done.error?.message).toContain(`openai model llama3.1: Egress to ${fake.hostPort} is not allowed`);
    expect(fake.requests).toHaveLength(0);
  });

  it('refuses a Bedrock endpoint that is not allowed', async () => {
    const env = { ...AWS_KEYS, AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_BEDROCK_RUNTIME: fake.url };
    const h = makeHarness({ agent: makeAgent({ provider: 'bedrock', name: 'amazon.nova-lite-v1:0' }), env, local: [] });

    const done = await h.turn(opening());

    expect(done.error).toMatchObject({ reason: 'egress_denied' });
    expect(done.error?.message).toContain(fake.hostPort);
    expect(fake.requests).toHaveLength(0);
  });

  it('fails over across providers: OpenAI 500s, then Bedrock answers', async () => {
    const bedrock = await startFakeServer(inOrder(converseReply({ text: 'bedrock here' })));
    fake.respond(inOrder({ status: 503, body: { error: { message: 'overloaded' } } }));
    const agent = makeAgent({
      provider: 'openai',
      name: 'gpt-4o-mini',
      options: { temperature: 0 },
      fallbacks: [{ provider: 'bedrock', name: 'amazon.nova-lite-v1:0', options: { region: 'us-east-1', endpoint: bedrock.url } }],
    });
    const env = { ...AWS_KEYS, OPENAI_BASE_URL: `${fake.url}/v1`, OPENAI_API_KEY: 'k' };

    const done = await makeHarness({ agent, env, local: [fake.hostPort, bedrock.hostPort] }).turn(opening());

    expect(done.reply).toMatchObject({ provider: 'bedrock', model: 'amazon.nova-lite-v1:0', text: 'bedrock here' });
    expect(fake.requests).toHaveLength(3);
    expect(bedrock.requests[0].body).not.toHaveProperty('inferenceConfig');
    await bedrock.close();
  });
});

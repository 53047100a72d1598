/**
 * The local Upstash REST server speaks the documented protocol: checked with raw HTTP requests
 * and with the real @upstash/redis client in its default configuration (auto-pipelining,
 * base64 responses, JSON deserialization on).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from '@upstash/redis';
import { startUpstashServer, type UpstashTestServer } from '../support/upstash-server';
import { deleteKeys, TEST_REDIS_URL } from './redis-server';

const PREFIX = `ddotest-upstash-proto-${randomBytes(4).toString('hex')}`;
let server: UpstashTestServer;

beforeAll(async () => {
  server = await startUpstashServer({ redisUrl: TEST_REDIS_URL });
});

afterAll(async () => {
  await server.close();
  await deleteKeys(PREFIX);
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as unknown };
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('the local Upstash REST server', () => {
  it('runs a single command from a JSON array body', async () => {
    const set = await post('/', ['SET', `${PREFIX}:a`, '漢字 🚀']);
    const get = await post('/', ['GET', `${PREFIX}:a`]);

    expect(set).toEqual({ status: 200, body: { result: 'OK' } });
    expect(get).toEqual({ status: 200, body: { result: '漢字 🚀' } });
  });

  it('base64-encodes strings, recursively, but not a top-level OK, integers or nil', async () => {
    const base64 = { 'upstash-encoding': 'base64' };

    const set = await post('/', ['SET', `${PREFIX}:b`, 'fine'], base64);
    const get = await post('/', ['GET', `${PREFIX}:b`], base64);
    const list = await post('/', ['EVAL', "return {'OK', 7, false, {'x'}}", '0'], base64);
    const missing = await post('/', ['GET', `${PREFIX}:missing`], base64);

    expect(set.body).toEqual({ result: 'OK' });
    expect(get.body).toEqual({ result: b64('fine') });
    expect(list.body).toEqual({ result: [b64('OK'), 7, null, [b64('x')]] });
    expect(missing.body).toEqual({ result: null });
  });

  it('answers 401 to a wrong or missing token', async () => {
    const wrong = await post('/', ['PING'], { authorization: 'Bearer nope' });
    const query = await fetch(`${server.url}/ping?_token=${server.token}`);

    expect(wrong).toEqual({ status: 401, body: { error: 'Unauthorized' } });
    expect(await query.json()).toEqual({ result: 'PONG' });
  });

  it('answers a failing command with 400 and the Redis error', async () => {
    const res = await post('/', ['INCR', `${PREFIX}:a`]);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: expect.stringMatching(/^ERR value is not an integer/) });
  });

  it('runs a pipeline in order, reporting each command on its own', async () => {
    const res = await post('/pipeline', [
      ['SET', `${PREFIX}:n`, '1'],
      ['INCR', `${PREFIX}:a`],
      ['INCR', `${PREFIX}:n`],
    ]);

    expect(res).toEqual({
      status: 200,
      body: [{ result: 'OK' }, { error: expect.stringMatching(/^ERR value is not an integer/) }, { result: 2 }],
    });
  });

  it('runs /multi-exec as one transaction and refuses a malformed one as a whole', async () => {
    const ok = await post('/multi-exec', [
      ['SET', `${PREFIX}:t`, 'x'],
      ['APPEND', `${PREFIX}:t`, 'y'],
      ['GET', `${PREFIX}:t`],
    ]);
    const aborted = await post('/multi-exec', [['SET', `${PREFIX}:u`, 'x'], ['NOSUCHCOMMAND']]);
    const untouched = await post('/', ['EXISTS', `${PREFIX}:u`]);

    expect(ok).toEqual({ status: 200, body: [{ result: 'OK' }, { result: 2 }, { result: 'xy' }] });
    expect(aborted.status).toBe(400);
    expect(aborted.body).toEqual({ error: expect.stringMatching(/EXECABORT/) });
    expect(untouched.body).toEqual({ result: 0 });
  });

  it('serves the real client in its default configuration, pipelines and transactions included', async () => {
    const client = new Redis({ url: server.url, token: server.token, enableTelemetry: false });
    const before = server.paths.length;

    await client.set(`${PREFIX}:c`, { big: '12345678901234567890', emoji: '👩‍🚀' });
    const value = await client.get(`${PREFIX}:c`);
    const tx = await client.multi().set(`${PREFIX}:d`, 'v').get(`${PREFIX}:d`).exec();

    expect(value).toEqual({ big: '12345678901234567890', emoji: '👩‍🚀' });
    expect(tx).toEqual(['OK', 'v']);
    expect(server.paths.slice(before)).toEqual(['/pipeline', '/pipeline', '/multi-exec']);
  });

  it('lets the client fall back from EVALSHA to EVAL for an unknown script', async () => {
    const client = new Redis({ url: server.url, token: server.token, enableAutoPipelining: false });
    const suffix = randomBytes(4).toString('hex');
    const script = client.createScript(`return ARGV[1] .. '${suffix}'`);
    const before = server.paths.length;

    const first = await script.exec([], ['a']);
    const second = await script.exec([], ['b']);

    expect([first, second]).toEqual([`a${suffix}`, `b${suffix}`]);
    expect(server.paths.slice(before)).toEqual(['/', '/', '/']);
  });
});

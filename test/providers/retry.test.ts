/**
 * Retries, Retry-After, time bounds and the scrubbing of provider messages, without a network.
 */
import { ModelCallError, parseRetryAfter, scrub } from '../../functions/executor/providers/failure';
import { backoffMs, withRetries, type RetryPolicy } from '../../functions/executor/providers/retry';

const TARGET = { provider: 'openai', model: 'gpt-test' };
const POLICY: RetryPolicy = { maxRetries: 2, baseDelayMs: 10, maxDelayMs: 1_000, timeoutMs: 200, budgetMs: 5_000 };

/** An attempt function that fails with `errors` in order, then returns 'ok'. */
function scripted(...errors: ModelCallError[]) {
  let calls = 0;
  const attempt = async () => {
    const err = errors[calls++];
    if (err) throw err;
    return 'ok';
  };
  return { attempt, calls: () => calls };
}

async function rejection(p: Promise<unknown>): Promise<ModelCallError> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: ModelCallError) => err,
  );
}

describe('withRetries', () => {
  it('retries retryable failures and returns the first success', async () => {
    const s = scripted(new ModelCallError(TARGET, 'server', 'boom'), new ModelCallError(TARGET, 'connection', 'reset'));

    const result = await withRetries(TARGET, s.attempt, POLICY, Date.now() + 5_000);

    expect(result).toBe('ok');
    expect(s.calls()).toBe(3);
  });

  test.each(['auth', 'bad_request', 'egress_denied', 'config'] as const)('does not retry %s', async (kind) => {
    const s = scripted(new ModelCallError(TARGET, kind, 'no'));

    const err = await rejection(withRetries(TARGET, s.attempt, POLICY, Date.now() + 5_000));

    expect(err.kind).toBe(kind);
    expect(s.calls()).toBe(1);
  });

  it('gives up at once when Retry-After is longer than the longest wait, so the caller fails over', async () => {
    const s = scripted(new ModelCallError(TARGET, 'rate_limited', 'slow down', { retryAfterMs: 60_000 }));

    const err = await rejection(withRetries(TARGET, s.attempt, POLICY, Date.now() + 5_000));

    expect(err.kind).toBe('rate_limited');
    expect(s.calls()).toBe(1);
  });

  it('turns an attempt that outlives its timeout into a retryable timeout', async () => {
    const observed: string[] = [];
    const hang = () => new Promise<string>(() => undefined);

    const err = await rejection(withRetries(TARGET, hang, { ...POLICY, maxRetries: 1 }, Date.now() + 5_000, (e) => observed.push(e.kind)));

    expect(err).toMatchObject({ kind: 'timeout', reason: 'model_timeout' });
    expect(err.message).toBe('openai model gpt-test: no answer within 200 ms');
    expect(observed).toEqual(['timeout']);
  });

  it('does not wait past the deadline', async () => {
    const s = scripted(new ModelCallError(TARGET, 'server', 'boom'), new ModelCallError(TARGET, 'server', 'boom'));

    const err = await rejection(withRetries(TARGET, s.attempt, { ...POLICY, baseDelayMs: 800 }, Date.now() + 300));

    expect(err.kind).toBe('server');
    expect(s.calls()).toBe(1);
  });
});

describe('backoffMs', () => {
  test.each([
    [0, 0, 5],
    [0, 1, 10],
    [3, 1, 80],
    [20, 1, 1_000],
  ])('retry %i with random %d waits %i ms', (retry, random, expected) => {
    expect(backoffMs(POLICY, retry, () => random)).toBe(expected);
  });
});

describe('parseRetryAfter', () => {
  const NOW = Date.parse('2026-01-01T00:00:00Z');

  test.each([
    ['2', null, 2_000],
    ['0.5', null, 500],
    ['Thu, 01 Jan 2026 00:00:03 GMT', null, 3_000],
    [null, '250', 250],
    ['soon', null, undefined],
    [null, null, undefined],
  ])('reads Retry-After %j / retry-after-ms %j as %j ms', (header, ms, expected) => {
    expect(parseRetryAfter(header, ms, NOW)).toBe(expected);
  });
});

describe('scrub', () => {
  test.each([
    ['Incorrect API key provided: sk-proj-abcdef0123456789.', 'Incorrect API key provided: [redacted].'],
    ['Authorization: Bearer eyJhbGciOi.payload.sig', 'Authorization: Bearer [redacted]'],
    ['apikey=abc123secret&grant_type=x', 'apikey=[redacted]&grant_type=x'],
    ['{"access_token":"tok-123456"}', '{"access_token":"[redacted]"}'],
    ['Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1', 'Credential=[redacted]'],
    ['key AKIAIOSFODNN7EXAMPLE leaked', 'key [redacted] leaked'],
  ])('removes credentials from %j', (input, expected) => {
    expect(scrub(input)).toBe(expected);
  });

  it('removes known secret values verbatim and caps the length', () => {
    const out = scrub(`x my-own-secret-value y ${'z'.repeat(600)}`, ['my-own-secret-value']);

    expect(out.startsWith('x [redacted] y')).toBe(true);
    expect(out.length).toBeLessThanOrEqual(501);
  });
});

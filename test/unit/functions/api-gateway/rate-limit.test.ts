import { RateLimitedError } from '../../../../shared/errors';
import { RateLimiter } from '../../../../functions/api-gateway/rate-limit';

function makeClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to throw');
}

const never = async () => false;

describe('RateLimiter.take', () => {
  test.each([
    [60, 1],
    [6, 10],
    [1, 60],
  ])('allows %i requests a minute, then asks to retry after %i s', (perMinute, retryAfter) => {
    const limiter = new RateLimiter(perMinute, 10, makeClock().now);
    for (let i = 0; i < perMinute; i++) limiter.take('key');

    const err = thrownBy(() => limiter.take('key'));

    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err).toMatchObject({
      status: 429,
      reason: 'rate_limited',
      retryAfterSeconds: retryAfter,
      details: { retryAfterSeconds: retryAfter },
    });
  });

  it('never asks to retry after less than a second', () => {
    const clock = makeClock();
    const limiter = new RateLimiter(600, 10, clock.now);
    for (let i = 0; i < 600; i++) limiter.take('key');
    clock.advance(99);

    const err = thrownBy(() => limiter.take('key')) as RateLimitedError;

    expect(err.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });

  it('refills tokens as time passes', () => {
    const clock = makeClock();
    const limiter = new RateLimiter(60, 10, clock.now);
    for (let i = 0; i < 60; i++) limiter.take('key');

    clock.advance(1_000);
    limiter.take('key');

    expect(() => limiter.take('key')).toThrow(RateLimitedError);
  });

  it('refills no more than the per-minute budget', () => {
    const clock = makeClock();
    const limiter = new RateLimiter(3, 10, clock.now);
    limiter.take('key');

    clock.advance(3_600_000);
    for (let i = 0; i < 3; i++) limiter.take('key');

    expect(() => limiter.take('key')).toThrow(RateLimitedError);
  });

  it('keeps a separate budget per key', () => {
    const limiter = new RateLimiter(1, 10, makeClock().now);
    limiter.take('a');

    const act = () => limiter.take('b');

    expect(act).not.toThrow();
  });
});

describe('RateLimiter.admitRun', () => {
  it('admits runs up to the cap without asking about them', async () => {
    const limiter = new RateLimiter(60, 2);
    const isFinished = jest.fn(never);

    await limiter.admitRun('key', 'run_1', isFinished);
    await limiter.admitRun('key', 'run_2', isFinished);

    expect(isFinished).not.toHaveBeenCalled();
  });

  it('refuses a run over the cap while the others are still running', async () => {
    const limiter = new RateLimiter(60, 2);
    await limiter.admitRun('key', 'run_1', never);
    await limiter.admitRun('key', 'run_2', never);

    const err = await limiter.admitRun('key', 'run_3', never).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err).toMatchObject({ status: 429, retryAfterSeconds: 1 });
  });

  it('frees the slots of runs the callback reports finished', async () => {
    const limiter = new RateLimiter(60, 2);
    await limiter.admitRun('key', 'run_1', never);
    await limiter.admitRun('key', 'run_2', never);
    const isFinished = jest.fn(async (runId: string) => runId === 'run_1');

    await limiter.admitRun('key', 'run_3', isFinished);

    expect(isFinished.mock.calls.map(([id]) => id).sort()).toEqual(['run_1', 'run_2']);
    await expect(limiter.admitRun('key', 'run_4', never)).rejects.toBeInstanceOf(RateLimitedError);
  });

  it('frees a slot on release', async () => {
    const limiter = new RateLimiter(60, 1);
    await limiter.admitRun('key', 'run_1', never);

    limiter.release('key', 'run_1');

    await expect(limiter.admitRun('key', 'run_2', never)).resolves.toBeUndefined();
  });

  it('admits only one of two runs racing for a freed slot', async () => {
    const limiter = new RateLimiter(60, 1);
    await limiter.admitRun('key', 'run_1', never);
    const answers: ((finished: boolean) => void)[] = [];
    const isFinished = () => new Promise<boolean>((resolve) => answers.push(resolve));

    const racing = [limiter.admitRun('key', 'run_2', isFinished), limiter.admitRun('key', 'run_3', isFinished)];
    answers.forEach((answer) => answer(true));
    const outcomes = await Promise.allSettled(racing);

    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
  });

  it('counts runs per key', async () => {
    const limiter = new RateLimiter(60, 1);
    await limiter.admitRun('a', 'run_1', never);

    const admitted = limiter.admitRun('b', 'run_2', never);

    await expect(admitted).resolves.toBeUndefined();
  });
});

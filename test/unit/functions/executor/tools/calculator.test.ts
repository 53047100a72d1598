import { BadRequestError } from '../../../../../shared/errors';
import { evaluate, formatNumber } from '../../../../../functions/executor/tools/calculator';

/** Runs `fn` and returns what it threw, so tests can assert the error's class and fields. */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to throw');
}

describe('evaluate', () => {
  test.each([
    ['2 + 3 * 4', 14],
    ['(2 + 3) * 4', 20],
    ['10 - 4 - 3', 3],
    ['100 / 10 / 5', 2],
    ['17 % 5', 2],
    ['2 * 3 % 4', 2],
    ['2 ^ 3 * 2', 16],
    ['2 * 3 ^ 2', 18],
    ['(17 * 23) + 4', 395],
  ])('applies the usual precedence and associativity to %s', (expression, expected) => {
    const result = evaluate(expression);

    expect(result).toBe(expected);
  });

  it('treats ^ as right-associative', () => {
    const result = evaluate('2 ^ 3 ^ 2');

    expect(result).toBe(512);
  });

  test.each([
    ['-3 + 5', 2],
    ['2 * -3', -6],
    ['--4', 4],
    ['+7', 7],
    ['-(2 + 3)', -5],
    ['2 ^ -1', 0.5],
  ])('handles unary signs in %s', (expression, expected) => {
    const result = evaluate(expression);

    expect(result).toBe(expected);
  });

  it('binds ^ tighter than a leading unary minus, so -2 ^ 2 is -4', () => {
    const result = evaluate('-2 ^ 2');

    expect(result).toBe(-4);
  });

  test.each([
    ['((1 + 2) * (3 + 4))', 21],
    ['((((5))))', 5],
    ['  12   *   2 ', 24],
  ])('evaluates parentheses and whitespace in %j', (expression, expected) => {
    const result = evaluate(expression);

    expect(result).toBe(expected);
  });

  test.each([
    ['7 × 6', 42],
    ['8 ÷ 2', 4],
    ['1.5e3 + 1', 1501],
    ['.5 * 4', 2],
    ['2E2', 200],
  ])('reads the number and operator spelling %j', (expression, expected) => {
    const result = evaluate(expression);

    expect(result).toBe(expected);
  });

  test.each([
    ['1 / 0', /division by zero/i],
    ['1 / (2 - 2)', /division by zero/i],
    ['5 % 0', /modulo by zero/i],
  ])('rejects %s with a BadRequestError on the expression', (expression, message) => {
    const err = thrownBy(() => evaluate(expression));

    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toMatchObject({ status: 400, reason: 'bad_request', details: { field: 'expression' } });
    expect((err as Error).message).toMatch(message);
  });

  test.each([
    ['2 + abc', /"a" at position 5/],
    ['2 $ 3', /"\$" at position 3/],
    ['process.exit()', /"p" at position 1/],
  ])('rejects the stray character in %j and says where it is', (expression, message) => {
    const err = thrownBy(() => evaluate(expression));

    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toMatchObject({ details: { field: 'expression' } });
    expect((err as Error).message).toMatch(message);
  });

  test.each([
    ['', /ends too early/],
    ['1 +', /ends too early/],
    ['(1 + 2', /closing parenthesis/],
    ['1 + 2)', /Unexpected "\)"/],
    ['3 4', /Unexpected 4/],
    ['* 3', /Unexpected "\*"/],
    ['10 ^ 400', /not a finite number/],
  ])('rejects the malformed expression %j', (expression, message) => {
    const err = thrownBy(() => evaluate(expression));

    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toMatchObject({ details: { field: 'expression' } });
    expect((err as Error).message).toMatch(message);
  });

  it('accepts 63 levels of parentheses', () => {
    const expression = `${'('.repeat(63)}1${')'.repeat(63)}`;

    const result = evaluate(expression);

    expect(result).toBe(1);
  });

  it('refuses 64 levels of parentheses as nested too deeply', () => {
    const expression = `${'('.repeat(64)}1${')'.repeat(64)}`;

    const err = thrownBy(() => evaluate(expression));

    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as Error).message).toMatch(/nested too deeply/);
  });

  test.each([
    ['parentheses', `${'('.repeat(50_000)}1`],
    ['unary minus signs', `${'-'.repeat(50_000)}1`],
  ])('refuses a very deep run of %s with a BadRequestError, not a stack overflow', (_label, expression) => {
    const err = thrownBy(() => evaluate(expression));

    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as Error).message).toMatch(/nested too deeply/);
  });
});

describe('formatNumber', () => {
  test.each([
    [0.1 + 0.2, '0.3'],
    [395, '395'],
    [1 / 3, '0.333333333333333'],
    [-2.5, '-2.5'],
    [-0, '0'],
    [1e21, '1e+21'],
  ])('formats %p as %j', (value, expected) => {
    const text = formatNumber(value);

    expect(text).toBe(expected);
  });
});

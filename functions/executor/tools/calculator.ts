/**
 * Arithmetic without eval: a recursive-descent parser over numbers, + - * / % ^ and
 * parentheses, with the usual precedence (^ binds tightest and is right-associative).
 */
import { BadRequestError } from '../../../shared/errors';

type Token = { kind: 'num'; value: number } | { kind: 'op'; value: string };

const MAX_DEPTH = 64;

/** Evaluates `expression`; throws BadRequestError with the position of the first problem. */
export function evaluate(expression: string): number {
  const tokens = tokenize(expression.replace(/×/g, '*').replace(/÷/g, '/'));
  let pos = 0;
  let depth = 0;

  const peek = () => tokens[pos];
  const take = (op: string): boolean => {
    const t = tokens[pos];
    if (t?.kind === 'op' && t.value === op) {
      pos++;
      return true;
    }
    return false;
  };

  const primary = (): number => {
    if (take('(')) {
      const v = sum();
      if (!take(')')) throw new BadRequestError('A closing parenthesis is missing.', 'expression');
      return v;
    }
    const t = peek();
    if (t?.kind === 'num') {
      pos++;
      return t.value;
    }
    throw new BadRequestError(t ? `Unexpected ${JSON.stringify(t.value)} in the expression.` : 'The expression ends too early.', 'expression');
  };
  // Signs bind looser than ^ (-2 ^ 2 is -4) but an exponent may carry its own sign (2 ^ -1).
  const unary = (): number => {
    if (++depth > MAX_DEPTH) throw new BadRequestError('The expression is nested too deeply.', 'expression');
    try {
      if (take('-')) return -unary();
      if (take('+')) return unary();
      return power();
    } finally {
      depth--;
    }
  };
  const power = (): number => {
    const base = primary();
    return take('^') ? base ** unary() : base;
  };
  const product = (): number => {
    let v = unary();
    for (;;) {
      if (take('*')) v *= unary();
      else if (take('/')) {
        const d = unary();
        if (d === 0) throw new BadRequestError('Division by zero.', 'expression');
        v /= d;
      } else if (take('%')) {
        const d = unary();
        if (d === 0) throw new BadRequestError('Modulo by zero.', 'expression');
        v %= d;
      } else return v;
    }
  };
  const sum = (): number => {
    let v = product();
    for (;;) {
      if (take('+')) v += product();
      else if (take('-')) v -= product();
      else return v;
    }
  };

  const result = sum();
  if (pos < tokens.length) throw new BadRequestError(`Unexpected ${JSON.stringify(tokens[pos].value)} in the expression.`, 'expression');
  if (!Number.isFinite(result)) throw new BadRequestError('The result is not a finite number.', 'expression');
  return result;
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(\d+(?:\.\d+)?(?:e[+-]?\d+)?|\.\d+)|([-+*/%^()]))/iy;
  let i = 0;
  while (i < src.length) {
    if (/\s/.test(src[i])) {
      i++;
      continue;
    }
    re.lastIndex = i;
    const m = re.exec(src);
    if (!m) throw new BadRequestError(`Unexpected character ${JSON.stringify(src[i])} at position ${i + 1}.`, 'expression');
    tokens.push(m[1] !== undefined ? { kind: 'num', value: Number(m[1]) } : { kind: 'op', value: m[2] });
    i = re.lastIndex;
  }
  return tokens;
}

/** Formats a result without binary noise (0.1 + 0.2 → 0.3). */
export function formatNumber(n: number): string {
  // Integers print as they are; fractions are cut to 15 significant digits (doubles hold ~15.9).
  if (Number.isInteger(n)) return String(n);
  return String(Number(n.toPrecision(15)));
}

/**
 * Redaction of secrets and personal data in any JSON value: e-mail addresses, phone numbers,
 * card numbers (Luhn-checked, so order numbers and sums survive), API keys and bearer tokens,
 * plus the patterns a policy adds. A match becomes `[REDACTED:<kind>]`.
 */
import { BUILTIN_REDACTIONS, type BuiltinRedaction } from './schema';

/** One kind of value to redact, as a global regular expression. */
export interface RedactionRule {
  name: string;
  regex: RegExp;
  /** A second check on a match; card numbers must pass Luhn. */
  accept?: (match: string) => boolean;
}

function passesLuhn(match: string): boolean {
  const digits = match.replace(/\D/g, '');
  if (digits.length < 13 || digits.length > 19) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

// Phone numbers need separators or a leading +, so plain arithmetic (12345678 * 3) is kept.
const BUILTIN_RULES: Record<BuiltinRedaction, RedactionRule> = {
  email: { name: 'email', regex: /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g },
  phone: {
    name: 'phone',
    regex: /(?:\+\d{1,3}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,4}){2,4}|\(?\b\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}\b)/g,
  },
  card: { name: 'card', regex: /\b\d(?:[ -]?\d){12,18}\b/g, accept: passesLuhn },
  api_key: {
    name: 'api_key',
    regex: /\b(?:(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35})/g,
  },
  bearer: { name: 'bearer', regex: /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/gi },
};

/** The rules a policy's `redact` section asks for; patterns were checked when it was loaded. */
export function redactionRules(spec?: { builtins?: BuiltinRedaction[]; patterns?: { name: string; regex: string }[] }): RedactionRule[] {
  const builtins = spec?.builtins ?? [...BUILTIN_REDACTIONS];
  const own = (spec?.patterns ?? []).map((p) => ({ name: p.name, regex: new RegExp(p.regex, 'g') }));
  // Bearer tokens and keys first: a key inside a bearer header is reported once, as bearer.
  const ordered = ['bearer', 'api_key', 'email', 'card', 'phone'] as const;
  return [...ordered.filter((b) => builtins.includes(b)).map((b) => BUILTIN_RULES[b]), ...own];
}

/** What redaction did: the value with matches replaced, and how many matches per kind. */
export interface Redacted<T> {
  value: T;
  counts: Record<string, number>;
}

/** Redacts one string. */
export function redactText(text: string, rules: readonly RedactionRule[], counts: Record<string, number> = {}): string {
  let out = text;
  for (const rule of rules) {
    out = out.replace(rule.regex, (match) => {
      if (rule.accept && !rule.accept(match)) return match;
      counts[rule.name] = (counts[rule.name] ?? 0) + 1;
      return `[REDACTED:${rule.name}]`;
    });
  }
  return out;
}

/** Redacts every string (keys excepted) in a JSON value, returning a copy. */
export function redactValue<T>(value: T, rules: readonly RedactionRule[]): Redacted<T> {
  const counts: Record<string, number> = {};
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redactText(v, rules, counts);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  const out = rules.length === 0 ? value : (walk(value) as T);
  return { value: out, counts };
}

/** The total number of matches in `counts`. */
export function redactionCount(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/**
 * What the offline model understands of a user's words: arithmetic in digits or words, the
 * time in a named zone, counting the words or characters of quoted text, "remember that …",
 * and questions about what was remembered. Pure functions, deterministic.
 */

const SMALL = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve',
  'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
const SCALES: Record<string, number> = { hundred: 100, thousand: 1_000, million: 1_000_000, billion: 1_000_000_000 };
const OPERATORS: [RegExp, string][] = [
  [/\bmultiplied by\b|\btimes\b/g, '*'],
  [/\bdivided by\b|\bover\b/g, '/'],
  [/\bplus\b|\badded to\b/g, '+'],
  [/\bminus\b|\bless\b/g, '-'],
  [/\bto the power of\b/g, '^'],
  [/\bmodulo\b|\bmod\b/g, '%'],
];

/** Finds an arithmetic expression in digits or words, or undefined. */
export function findExpression(input: string): string | undefined {
  const text = wordsToDigits(input.toLowerCase().replace(/×/g, '*').replace(/÷/g, '/'))
    // Thousands separators (1,000) are not list commas; scientific notation (1e3) is one number.
    .replace(/(\d),(?=\d{3}\b)/g, '$1');
  const candidates = text.match(/(?:\d(?:\.\d+)?e[+-]?\d+|[\d.\s+\-*/%^()])+/g) ?? [];
  const best = candidates
    .map((c) => c.trim())
    .filter((c) => /\d/.test(c) && /[\de]\s*[-+*/%^]\s*-?\s*[\d(]|\)\s*[-+*/%^]/.test(c))
    .sort((a, b) => b.length - a.length)[0];
  return best?.replace(/\s+/g, ' ');
}

function wordsToDigits(text: string): string {
  // Numbers first: once "minus" has become " - ", it would read as a hyphen inside a number.
  const numberWord = `(?:${[...SMALL, ...TENS.filter(Boolean), ...Object.keys(SCALES)].join('|')})`;
  const run = new RegExp(`\\b${numberWord}(?:[\\s-]+(?:and[\\s-]+)?${numberWord})*\\b`, 'g');
  let out = text.replace(run, (words) => String(parseNumberWords(words)));
  for (const [re, op] of OPERATORS) out = out.replace(re, ` ${op} `);
  return out;
}

function parseNumberWords(words: string): number {
  let total = 0;
  let current = 0;
  for (const w of words.split(/[\s-]+/).filter((x) => x && x !== 'and')) {
    if (SMALL.includes(w)) current += SMALL.indexOf(w);
    else if (TENS.includes(w)) current += TENS.indexOf(w) * 10;
    else if (w === 'hundred') current = (current || 1) * 100;
    else if (SCALES[w]) {
      total += (current || 1) * SCALES[w];
      current = 0;
    }
  }
  return total + current;
}

/** An IANA time zone named in a question about the time, or undefined. */
export function findTimeZone(input: string): string | undefined {
  if (!/\b(time|clock|date)\b/i.test(input)) return undefined;
  const zone = /\b([A-Za-z][A-Za-z_]+(?:\/[A-Za-z0-9_+-]+)+)\b/.exec(input)?.[1];
  if (zone) return zone;
  return /\bUTC\b/i.test(input) ? 'UTC' : undefined;
}

/** A request to count words or characters of quoted text. */
export function findCount(input: string): { text: string; unit: 'words' | 'characters' } | undefined {
  const unit = /\b(characters?|chars?|letters?)\b/i.test(input) ? 'characters' : /\bwords?\b/i.test(input) ? 'words' : undefined;
  if (!unit || !/\b(how many|count|number of)\b/i.test(input)) return undefined;
  const quoted = /"([^"]*)"|“([^”]*)”|'((?:[^']|'(?=\w))*)'|‘([^’]*)’/.exec(input);
  if (!quoted) return undefined;
  return { text: quoted.slice(1).find((g) => g !== undefined) ?? '', unit };
}

/** The fact in "remember that …" (trailing punctuation dropped), or undefined. */
export function findRemember(input: string): string | undefined {
  const m = /^\s*(?:please\s+)?remember(?:\s+that)?\s+(.+?)\s*[.!]*\s*$/is.exec(input);
  const fact = m?.[1];
  return fact && !/^that$/i.test(fact) ? fact : undefined;
}

/** Whether the input asks about something personal that memory might hold. */
export function isRecallQuestion(input: string): boolean {
  const asks = /\?\s*$|^\s*(what|who|where|when|which|do you know|tell me)\b/i.test(input);
  // About the user: "my …", "where do I …", "who am I"; not any sentence that happens to say "I".
  return asks && /\bmy\b|\bmine\b|\b(do|did|am|was|have|can)\s+i\b|\babout me\b/i.test(input);
}

const STOP = new Set(['what', 'is', 'are', 'my', 'the', 'a', 'an', 'of', 'do', 'you', 'know', 'tell', 'me', 'i', 'who', 'where',
  'when', 'which', 'was', 'that', 'your', 'to', 'in', 'remember']);

/** The remembered fact that best matches the question, by shared content words. */
export function bestFact(question: string, facts: string[]): string | undefined {
  // Crude stemming (a trailing s) so "foods" in a question finds "food" in a fact and back.
  const words = (s: string) =>
    new Set(s.toLowerCase().match(/[\p{L}\p{N}]+/gu)?.filter((w) => !STOP.has(w)).map((w) => w.replace(/s$/, '')) ?? []);
  const q = words(question);
  let best: { fact: string; score: number } | undefined;
  for (const fact of facts) {
    const score = [...words(fact)].filter((w) => q.has(w)).length;
    if (score > 0 && (!best || score > best.score)) best = { fact, score };
  }
  return best?.fact;
}

/** Turns a first-person fact into a reply addressed to the user ("my X is Y" → "Your X is Y."). */
export function restate(fact: string): string {
  const swapped = fact
    .replace(/\bI am\b/g, 'you are')
    .replace(/\bI'm\b/g, "you're")
    .replace(/\bmy\b/gi, 'your')
    .replace(/\bI\b/g, 'you')
    .replace(/\bme\b/gi, 'you')
    .replace(/\bmine\b/gi, 'yours');
  const sentence = swapped.charAt(0).toUpperCase() + swapped.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

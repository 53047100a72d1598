/**
 * YAML for the files a function reads at start (agents, policies, ServiceEntries). Loading the
 * `yaml` package and warming its parser costs about 20 ms of CPU, a tenth of a cold start, so
 * the plain shape those files have is read here: block mappings and sequences, one-line flow
 * collections of scalars, one-line plain and quoted scalars, literal blocks and comments, with
 * plain scalars resolved by the YAML 1.2 core schema exactly as `yaml` resolves them. Anything
 * else (anchors, tags, folded or multi-line scalars, escapes, quoted keys, duplicate keys, odd
 * indentation) makes the reader decline, and `yaml` parses the text instead and reports any
 * error. test/unit/shared/yaml-reader.test.ts holds the reader to `yaml`'s results.
 */

/** Parses one YAML document, as `yaml`'s `parse` does. */
export function parseYaml(text: string): unknown {
  return readDocuments(text, false)?.[0] ?? yamlPackage().parse(text);
}

/** Parses every document of a YAML stream to plain data, as `parseAllDocuments` + `toJSON`. */
export function parseYamlDocuments(text: string): unknown[] {
  const docs = readDocuments(text, true);
  return docs ?? yamlPackage().parseAllDocuments(text).map((doc) => doc.toJSON());
}

/** What the reader makes of `text`: the documents, or undefined when it declines. */
export function readDocuments(text: string, isStream: boolean): unknown[] | undefined {
  // Tabs, carriage returns, a BOM and control or Unicode line-break characters: left to `yaml`.
  if (/[\t\r\uFEFF\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x85\u2028\u2029]/.test(text)) return undefined;
  const docs: Line[][] = [[]];
  for (const raw of text.split('\n')) {
    if (/^--- *$/.test(raw) && isStream) docs.push([]);
    else if (/^(---|\.\.\.|%)/.test(raw)) return undefined;
    else {
      // Only spaces indent or trail in YAML; other white space (a no-break space) is content.
      const indent = raw.length - raw.replace(/^ +/, '').length;
      docs[docs.length - 1].push({ raw, indent, text: raw.slice(indent).replace(/ +$/, '') });
    }
  }
  try {
    return docs.map((lines) => new Reader(lines).document());
  } catch (err) {
    if (err instanceof Declined) return undefined;
    throw err;
  }
}

type YamlPackage = typeof import('yaml');
let yamlModule: YamlPackage | undefined;

function yamlPackage(): YamlPackage {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when needed
  yamlModule ??= require('yaml') as YamlPackage;
  return yamlModule;
}

interface Line {
  raw: string;
  indent: number;
  /** The line without its indentation and trailing spaces. */
  text: string;
}

/** The text left the subset; caught in readDocuments, never seen by callers. */
class Declined extends Error {}

function decline(): never {
  throw new Declined();
}

const KEY = /^([A-Za-z_][\w./-]*):(?: +|$)/;
const FLOW_KEY = /^([A-Za-z_][\w./-]*): +/;
// Keys the core schema would resolve to something other than themselves.
const ODD_KEY = /^(?:[Nn]ull|NULL|[Tt]rue|TRUE|[Ff]alse|FALSE|__proto__)$/;
const PLAIN_START = /^(?:[A-Za-z0-9_./~+$(]|-[A-Za-z0-9.])/;
const LITERAL = /^\|(-?)(?: +#.*)?$/;
const END_OF_LINE = /^(?: +#.*)?$/;

const isItem = (text: string) => text === '-' || text.startsWith('- ');
const isComment = (text: string) => text === '' || text.startsWith('#');

class Reader {
  private at = 0;

  constructor(private readonly lines: Line[]) {}

  document(): unknown {
    const first = this.next();
    if (!first || first.indent !== 0) decline();
    const root = this.block(0);
    if (this.next()) decline();
    return root;
  }

  /** The next line that is not blank or a comment, without consuming it. */
  private next(): Line | undefined {
    while (this.at < this.lines.length && isComment(this.lines[this.at].text)) this.at++;
    return this.lines[this.at];
  }

  private block(indent: number): unknown {
    return isItem(this.next()?.text ?? '') ? this.sequence(indent) : this.mapping(indent);
  }

  private mapping(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let line = this.next(); line && line.indent === indent; line = this.next()) {
      const key = KEY.exec(line.text);
      if (!key || ODD_KEY.test(key[1]) || Object.hasOwn(out, key[1])) decline();
      this.at++;
      out[key[1]] = this.value(indent, line.text.slice(key[0].length), true);
    }
    if ((this.next()?.indent ?? -1) > indent) decline();
    return out;
  }

  private sequence(indent: number): unknown[] {
    const out: unknown[] = [];
    const isMine = (line: Line | undefined): line is Line => line?.indent === indent && isItem(line.text);
    for (let line = this.next(); isMine(line); line = this.next()) {
      const rest = line.text.slice(1).replace(/^ +/, '');
      if (KEY.test(rest) || isItem(rest)) {
        // A mapping or sequence that starts on the item's line: read on as if it began a line.
        const column = indent + line.text.length - rest.length;
        this.lines[this.at] = { raw: line.raw, indent: column, text: rest };
        out.push(this.block(column));
        continue;
      }
      if (rest.startsWith('|')) decline();
      this.at++;
      out.push(this.value(indent, rest, false));
    }
    if ((this.next()?.indent ?? -1) > indent) decline();
    return out;
  }

  /** The value after `key:` or `-` on a line at `indent`; `rest` is the rest of that line. */
  private value(indent: number, rest: string, isMapValue: boolean): unknown {
    if (isComment(rest)) {
      const line = this.next();
      if (line && line.indent > indent) return this.block(line.indent);
      // YAML lets a mapping's value be a sequence at the key's own indentation.
      const isSameColumnList = isMapValue && line?.indent === indent && isItem(line.text);
      if (isSameColumnList) return this.sequence(indent);
      return null;
    }
    const literal = LITERAL.exec(rest);
    if (literal) return this.literal(indent, literal[1] === '-');
    const [value, after] = inline(rest);
    if (!END_OF_LINE.test(after)) decline();
    // A more indented line here would continue a multi-line scalar (or be an error).
    if ((this.next()?.indent ?? -1) > indent) decline();
    return value;
  }

  /** A literal block (`|`, or `|-` to strip the final line break) under a key at `indent`. */
  private literal(indent: number, isStripped: boolean): string {
    const body: string[] = [];
    let contentIndent = -1;
    for (; this.at < this.lines.length; this.at++) {
      const { raw, indent: spaces, text } = this.lines[this.at];
      if (text === '') {
        // Blank lines before the first content line, or wider than the block, are left to yaml.
        if (contentIndent < 0 || raw.length > contentIndent) decline();
        body.push('');
        continue;
      }
      if (contentIndent < 0) contentIndent = spaces;
      if (spaces < contentIndent) break;
      body.push(raw.slice(contentIndent));
    }
    if (contentIndent <= indent) decline();
    if ((this.next()?.indent ?? -1) > indent) decline();
    while (body[body.length - 1] === '') body.pop();
    return isStripped ? body.join('\n') : `${body.join('\n')}\n`;
  }
}

/** A scalar or one-line flow collection at the start of `s`, and what follows it. */
function inline(s: string): [unknown, string] {
  if (s.startsWith("'") || s.startsWith('"')) {
    const [value, end] = quoted(s, 0);
    return [value, s.slice(end)];
  }
  if (s.startsWith('[') || s.startsWith('{')) return flow(s);
  const comment = s.indexOf(' #');
  const text = (comment < 0 ? s : s.slice(0, comment)).replace(/ +$/, '');
  if (!PLAIN_START.test(text) || text.includes(': ') || text.endsWith(':')) decline();
  return [resolvePlain(text), comment < 0 ? '' : s.slice(comment)];
}

/** A one-line flow sequence or mapping of scalars; nested collections are left to yaml. */
function flow(s: string): [unknown, string] {
  const isMap = s[0] === '{';
  const close = isMap ? '}' : ']';
  const items: unknown[] = [];
  const map: Record<string, unknown> = {};
  let i = skipSpaces(s, 1);
  if (s[i] === close) return [isMap ? map : items, s.slice(i + 1)];
  for (;;) {
    let key = '';
    if (isMap) {
      const m = FLOW_KEY.exec(s.slice(i));
      if (!m || ODD_KEY.test(m[1]) || Object.hasOwn(map, m[1])) decline();
      key = m[1];
      i += m[0].length;
    }
    let value: unknown;
    if (s[i] === "'" || s[i] === '"') [value, i] = quoted(s, i);
    else {
      const end = s.slice(i).search(/[,\]}]/);
      if (end < 0) decline();
      const text = s.slice(i, i + end).replace(/ +$/, '');
      if (!PLAIN_START.test(text) || /[[\]{}#:]/.test(text)) decline();
      value = resolvePlain(text);
      i += end;
    }
    if (isMap) map[key] = value;
    else items.push(value);
    i = skipSpaces(s, i);
    if (s[i] === close) return [isMap ? map : items, s.slice(i + 1)];
    if (s[i] !== ',') decline();
    i = skipSpaces(s, i + 1);
    // A trailing comma or an empty entry: left to yaml.
    if (s[i] === ',' || s[i] === close) decline();
  }
}

function skipSpaces(s: string, from: number): number {
  let i = from;
  while (s[i] === ' ') i++;
  return i;
}

/** A one-line quoted scalar starting at `from`; returns it and the index after its quote. */
function quoted(s: string, from: number): [string, number] {
  const quote = s[from];
  let out = '';
  for (let i = from + 1; i < s.length; i++) {
    const c = s[i];
    if (quote === '"' && c === '\\') decline();
    if (c !== quote) out += c;
    else if (quote === "'" && s[i + 1] === "'") out += s[i++];
    else return [out, i + 1];
  }
  return decline();
}

/**
 * A plain scalar by the YAML 1.2 core schema, in the order and with the conversions of `yaml`'s
 * core tags (null, bool, octal, decimal and hex int, then the floats); otherwise a string.
 */
export function resolvePlain(s: string): unknown {
  if (/^(?:~|[Nn]ull|NULL)?$/.test(s)) return null;
  if (/^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/.test(s)) return s[0] === 't' || s[0] === 'T';
  if (/^0o[0-7]+$/.test(s)) return parseInt(s.substring(2), 8);
  if (/^[-+]?[0-9]+$/.test(s)) return parseInt(s, 10);
  if (/^0x[0-9a-fA-F]+$/.test(s)) return parseInt(s.substring(2), 16);
  if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(s)) {
    if (s.slice(-3).toLowerCase() === 'nan') return NaN;
    return s[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(s)) return parseFloat(s);
  if (/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(s)) return parseFloat(s);
  return s;
}

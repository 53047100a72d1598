/**
 * The start-up YAML reader against the `yaml` package: whatever it accepts, it reads exactly as
 * `yaml` does (and `yaml` accepts it too); it accepts every file a function reads at start, so
 * those starts never load `yaml`; and it declines the rest, which then goes to `yaml`.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import YAML from 'yaml';
import {
  parseYaml,
  parseYamlDocuments,
  readDocuments,
  resolvePlain,
} from '../../../shared/yaml-reader';

const root = path.join(__dirname, '../../..');

function yamlFiles(rel: string): string[] {
  const dir = path.join(root, rel);
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const child = path.join(rel, e.name);
    if (e.isDirectory()) return yamlFiles(child);
    return /\.ya?ml$/.test(e.name) ? [child] : [];
  });
}

/** The documents `yaml` makes of `text`, or undefined when it reports any error. */
function byYaml(text: string, isStream: boolean): unknown[] | undefined {
  if (!isStream) {
    try {
      return [YAML.parse(text)];
    } catch {
      return undefined;
    }
  }
  const docs = YAML.parseAllDocuments(text);
  if (!Array.isArray(docs) || docs.some((d) => d.errors.length > 0)) return undefined;
  return docs.map((d) => d.toJSON());
}

/** The reader's invariant: it declines, or it and `yaml` both read the same documents. */
function expectAgreement(text: string, isStream: boolean): boolean {
  const mine = readDocuments(text, isStream);
  if (mine === undefined) return false;
  expect(mine).toStrictEqual(byYaml(text, isStream));
  return true;
}

const START_UP_FILES = [
  ...yamlFiles('agents'),
  ...yamlFiles('policies'),
  ...yamlFiles('bench/agents'),
  'istio/egress-service-entries.yaml',
];

describe('the start-up YAML reader', () => {
  it.each(START_UP_FILES)('reads %s by itself, exactly as yaml does', (rel) => {
    const text = fs.readFileSync(path.join(root, rel), 'utf8');
    const isStream = rel.startsWith('istio/');

    expect(expectAgreement(text, isStream)).toBe(true);
  });

  const repositoryFiles = ['agents', 'bench', 'brokers', 'docs', 'istio', 'knative', 'policies'];

  it.each(repositoryFiles.flatMap(yamlFiles))(
    'declines %s or reads it as yaml does',
    (rel) => {
      const text = fs.readFileSync(path.join(root, rel), 'utf8');

      expectAgreement(text, /^---\s*$/m.test(text));
    },
  );

  test.each([
    ['a literal block, clipped', 'a: |\n  x\n\n  y\n\n\nb: 1\n'],
    ['a stripped literal block', 'a: |-\n  x\n  # kept\n'],
    ['a literal at the end without a newline', 'a: |\n  x'],
    ['a sequence at its key’s indentation', 'a:\n- 1\n- b: 2\n  c: [x, "y", \'z\']\nd: {e: 1, f: a b}\n'],
    ['items that start mappings and sequences', '- a: 1\n  b:\n    - - x\n      - y\n-\n- ~\n'],
    ['core-schema scalars', 'a: [-0, 0o17, 0x1F, +.5e-3, 1., .inf, -.Inf, .NaN, True, Null, 1_0]\n'],
    ['comments and hashes', 'a: x # comment\nb: x#y\nc: "q # not a comment"  # one\n'],
    ['quotes', "a: 'it''s'\nb: \"it's\"\nc: ''\n"],
  ])('reads %s as yaml does', (_what, text) => {
    expect(expectAgreement(text, false)).toBe(true);
  });

  test.each([
    ['an anchor', 'a: &x 1\nb: *x\n'],
    ['a tag', 'a: !!str 1\n'],
    ['a folded block', 'a: >\n  x\n'],
    ['a multi-line plain scalar', 'a: x\n  y\n'],
    ['an escape', 'a: "x\\ty"\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['a key the core schema resolves', 'null: 1\n'],
    ['a nested flow collection', 'a: [x, [y]]\n'],
    ['a trailing comma', 'a: [x, y,]\n'],
    ['a tab', 'a:\t1\n'],
    ['a document marker', '---\na: 1\n'],
    ['bad indentation', 'a:\n  - b\n  c: 1\n'],
    ['a comment glued to a value', "a: 'x'#c\n"],
    ['a root scalar', 'hello\n'],
    ['an empty document', '# nothing\n'],
  ])('declines %s', (_what, text) => {
    expect(readDocuments(text, false)).toBeUndefined();
  });

  it('resolves plain scalars as yaml does', () => {
    const scalar = fc.oneof(
      fc.stringMatching(/^[-+]?(0o|0x)?[0-9a-fA-F._eE+-]{1,8}$/),
      fc.constantFrom('~', 'null', 'Null', 'NULL', 'true', 'True', 'TRUE', 'false', 'yes'),
      fc.constantFrom('.inf', '-.INF', '.NaN', 'nan', '2024-01-01', '1_000'),
    );
    fc.assert(
      fc.property(scalar, (text) => {
        let expected: unknown;
        try {
          expected = (YAML.parse(`v: ${text}`) as { v: unknown }).v;
        } catch {
          return; // not a plain scalar at all, so never resolved
        }

        expect(resolvePlain(text)).toStrictEqual(expected);
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads what yaml writes as yaml reads it, whenever it accepts', () => {
    const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,6}$/);
    const leaf = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.integer(),
      fc.double({ noNaN: true }),
      fc.boolean(),
      fc.constant(null),
    );
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, leaf, tie('list'), tie('map')),
      list: fc.array(tie('node'), { maxLength: 4 }),
      map: fc.dictionary(key, tie('node'), { maxKeys: 4 }),
    })).node;
    // Collections of scalars written `[a, b]` and `{a: 1}`, as people write short lists.
    const flowLeaves: YAML.visitor = {
      Collection: (_key, node) => {
        node.flow = node.items.every((item) => YAML.isScalar(YAML.isPair(item) ? item.value : item));
      },
    };
    let accepted = 0;
    fc.assert(
      fc.property(value, fc.constantFrom(1, 2, 4), fc.boolean(), (v, indent, hasFlowLeaves) => {
        const doc = new YAML.Document({ root: v });
        if (hasFlowLeaves) YAML.visit(doc, flowLeaves);
        if (expectAgreement(doc.toString({ indent }), false)) accepted++;
      }),
      { numRuns: 1_000 },
    );
    expect(accepted).toBeGreaterThan(100);
  });

  it('never accepts text yaml rejects or reads differently', () => {
    const fragment = fc.constantFrom(
      ...['a:', 'a: 1', 'b: x', 'b: x y', '-', '- a', '- a: 1', '- - b', '- |', 'c: |', 'c: |-', 'c: |+'],
      ...['text', '# note', '', 'a: x # c', 'k: x#y', 'k: a: b', 'k: b:', 'k: ::', 'k: - x', 'k: -'],
      ...['d: [x, y]', 'd: [ ]', 'k: [a, [b]]', 'k: [a', 'g: {h: 1, i: two}', 'g: {}', 'k: {a: 1, a: 2}'],
      ...["e: 'q''s'", 'f: "dq"', 'k: "a', "k: 'a", 'k: -1', 'k: .5', 'k: ~', 'k: 0x1G', 'null: 1', '---'],
      // White space YAML does not count as such: content, never indentation or padding.
      ...['\u00a0a: 1', 'k: x\u00a0', 'k: [x\u3000, y]', 'k: x\u2003# c', '--- \u00a0'],
    );
    // Each line steps its indentation from the one before, mostly by 0 or 2, sometimes by 1.
    const step = fc.constantFrom(-4, -2, -2, 0, 0, 0, 0, 2, 2, 1, -1);
    const toText = (lines: [number, string][]) => {
      let indent = 0;
      return lines.map(([d, f]) => ' '.repeat((indent = Math.max(0, indent + d))) + f).join('\n');
    };
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(step, fragment), { maxLength: 8 }), fc.boolean(), (lines, isStream) => {
        if (expectAgreement(toText(lines), isStream)) accepted++;
      }),
      { numRuns: 10_000 },
    );
    expect(accepted).toBeGreaterThan(100);
  });

  it('hands what it declines to yaml, errors included', () => {
    expect(parseYaml('a: &x 1\nb: *x\n')).toEqual({ a: 1, b: 1 });
    expect(parseYamlDocuments('a: [x, [y]]\n---\nb: 1\n')).toEqual([{ a: ['x', ['y']] }, { b: 1 }]);
    expect(() => parseYaml('a: 1\na: 2\n')).toThrow(/unique/);
  });
});

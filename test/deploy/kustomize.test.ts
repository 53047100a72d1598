import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyJsonPatch, mergePatch } from '../../scripts/check-deploy/json-patch';
import { renderKustomization } from '../../scripts/check-deploy/kustomize';
import { expandGlob } from '../../scripts/check-deploy/skaffold';

describe('applyJsonPatch', () => {
  const doc = { metadata: { annotations: { 'a/b': '1' } }, list: [1, 2] };

  test.each([
    [
      'replaces a key with ~1 in it',
      { op: 'replace', path: '/metadata/annotations/a~1b', value: '3' },
      { ...doc, metadata: { annotations: { 'a/b': '3' } } },
    ],
    [
      'adds a key',
      { op: 'add', path: '/metadata/name', value: 'x' },
      { ...doc, metadata: { annotations: { 'a/b': '1' }, name: 'x' } },
    ],
    ['appends with -', { op: 'add', path: '/list/-', value: 3 }, { ...doc, list: [1, 2, 3] }],
    ['inserts at an index', { op: 'add', path: '/list/0', value: 0 }, { ...doc, list: [0, 1, 2] }],
    ['removes an item', { op: 'remove', path: '/list/1' }, { ...doc, list: [1] }],
  ])('%s', (_name, op, expected) => {
    expect(applyJsonPatch(doc, [op])).toEqual(expected);
  });

  test.each([
    ['a replace of a missing key', { op: 'replace', path: '/metadata/nope', value: 1 }, /does not exist/],
    ['an index out of range', { op: 'replace', path: '/list/5', value: 1 }, /out of range/],
    ['an unsupported operation', { op: 'move', from: '/list', path: '/x' }, /not supported/],
  ])('refuses %s', (_name, op, message) => {
    expect(() => applyJsonPatch(doc, [op])).toThrow(message);
  });

  it('leaves its input unchanged', () => {
    applyJsonPatch(doc, [{ op: 'remove', path: '/list/0' }]);

    expect(doc.list).toEqual([1, 2]);
  });
});

describe('mergePatch', () => {
  it('merges objects, replaces lists and deletes keys set to null', () => {
    const target = { data: { a: '1', b: '2' }, list: [1, 2], gone: true };

    const merged = mergePatch(target, { data: { b: '3', c: '4' }, list: [9], gone: null });

    expect(merged).toEqual({ data: { a: '1', b: '3', c: '4' }, list: [9] });
  });
});

describe('renderKustomization', () => {
  let root: string;
  const write = (file: string, text: string): void => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  };

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ddo-kustomize-'));
    write('base/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: cm, namespace: ns }\ndata: { a: "1" }\n');
    write('base/kustomization.yaml', 'resources: [cm.yaml]\n');
  });

  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('renders a base through an overlay with a merge patch and a targeted JSON patch', () => {
    write(
      'overlay/kustomization.yaml',
      [
        'resources: [../base]',
        'patches:',
        '  - patch: |-',
        '      { apiVersion: v1, kind: ConfigMap, metadata: { name: cm, namespace: ns }, data: { b: "2" } }',
        '  - target: { kind: ConfigMap, name: c. }',
        '    patch: "[{ op: replace, path: /data/a, value: \\"9\\" }]"',
      ].join('\n'),
    );

    const result = renderKustomization(root, 'overlay');

    expect(result.violations).toEqual([]);
    expect(result.manifests.map((m) => [m.file, m.body.data])).toEqual([['base/cm.yaml', { a: '9', b: '2' }]]);
    expect([...result.files].sort()).toEqual([
      'base/cm.yaml',
      'base/kustomization.yaml',
      'overlay/kustomization.yaml',
    ]);
  });

  const noMatch = 'resources: [../base]\npatches:\n  - target: { kind: Secret }\n    patch: "[]"\n';

  test.each([
    ['a field it cannot render', 'resources: [../base]\nnamePrefix: x-\n', /cannot render the field namePrefix/],
    ['a missing resource', 'resources: [../base, nope.yaml]\n', /The resource nope\.yaml does not exist/],
    ['a patch that matches nothing', noMatch, /matches no resource/],
    ['a duplicate object', 'resources: [../base, ../base/cm.yaml]\n', /defined twice/],
  ])('reports %s', (_name, kustomization, message) => {
    write('overlay/kustomization.yaml', kustomization);

    const { violations } = renderKustomization(root, 'overlay');

    expect(violations.map((v) => v.problem)).toContainEqual(expect.stringMatching(message));
  });

  it('expands skaffold rawYaml globs within one path segment', () => {
    write('raw/a.yaml', '');
    write('raw/b.yml', '');
    write('raw/deep/c.yaml', '');

    expect(expandGlob(root, 'raw/*.yaml')).toEqual(['raw/a.yaml']);
    expect(expandGlob(root, 'raw/*')).toEqual(['raw/a.yaml', 'raw/b.yml']);
  });
});

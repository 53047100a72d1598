/** The policy registry: files validated at start with file and field named, and matching. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../shared/errors';
import { budgetsOf, checkAgentPolicies, loadPolicies, parsePolicyFile, policiesFor, redactWith } from '../../shared/policy/registry';
import { makePolicy } from './factories';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddo-policies-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

describe('parsePolicyFile', () => {
  it('loads the shipped example policy', () => {
    const policies = loadPolicies(path.resolve(__dirname, '../../policies'));

    expect(policies.get('default')).toMatchObject({ id: 'default', version: 1, budgets: { tokens: 50_000 } });
  });

  test.each([
    ['a missing version', 'id: p\n', /p\.yaml: field version is required/],
    ['an unknown field', 'id: p\nversion: 1\ntool: {}\n', /p\.yaml: field tool is not an allowed property/],
    ['a bad host pattern', 'id: p\nversion: 1\narguments: {http_get: {url: {hosts: ["http://x"]}}}\n', /field arguments\/http_get\/url\/hosts\/0/],
    ['an unknown built-in', 'id: p\nversion: 1\nredact: {builtins: [ssn]}\n', /field redact\/builtins\/0/],
    ['a bad regular expression', 'id: p\nversion: 1\nredact: {patterns: [{name: x, regex: "("}]}\n', /field redact\/patterns\/0\/regex is not a valid regular expression/],
    ['an id unlike the file name', 'id: q\nversion: 1\n', /field id is q but the file name says p/],
  ])('refuses %s, naming the file and field', (_why, text, message) => {
    const file = write('p.yaml', text);

    expect(() => parsePolicyFile(file)).toThrow(ConfigError);
    expect(() => parsePolicyFile(file)).toThrow(message);
  });
});

describe('policiesFor', () => {
  const named = makePolicy({ id: 'named' });
  const all = makePolicy({ id: 'all', match: { agents: ['*'] } });
  const acmeOnly = makePolicy({ id: 'acme', match: { agents: ['demo'], tenants: ['acme'] } });
  const registry = new Map([named, all, acmeOnly].map((p) => [p.id, p]));

  test.each([
    ['demo', ['named'], 'acme', ['named', 'all', 'acme']],
    ['demo', [], 'other', ['all']],
    ['gpt', [], 'acme', ['all']],
  ])('for agent %s naming %j in tenant %s gives %j', (id, policies, tenant, expected) => {
    expect(policiesFor(registry, { id, policies }, tenant).map((p) => p.id)).toEqual(expected);
  });

  it('fails start-up when an agent names a missing policy', () => {
    expect(() => checkAgentPolicies([{ id: 'demo', policies: ['nope'] } as never], registry)).toThrow(/agent demo: field policies\/0 names unknown policy "nope"/);
  });

  it('takes the tightest budget of all policies', () => {
    const budgets = budgetsOf([makePolicy({ id: 'a', budgets: { tokens: 100, toolCalls: 3 } }), makePolicy({ id: 'b', version: 2, budgets: { tokens: 50 } })]);

    expect(budgets).toEqual({ tokens: 50, toolCalls: 3, policies: ['a@3', 'b@2'] });
  });

  it('redacts a run input with every policy', () => {
    expect(redactWith([named], 'mail me at a@b.example')).toBe('mail me at [REDACTED:email]');
  });
});

import { BadRequestError, ConfigError } from '../../shared/errors';
import { KeyBuilder } from '../../functions/memory/store/keys';

describe('KeyBuilder', () => {
  const keys = new KeyBuilder('ddo');

  it('puts every key of a tenant under the tenant hash tag', () => {
    const run = keys.run('acme', 'run_1');
    const history = keys.history('acme', 'demo', 's1');
    const facts = keys.facts('acme', { agentId: 'demo', sessionId: 's1' });

    expect(Object.values({ ...run, ...history, ...facts }).every((k) => k.startsWith('ddo:{acme}:'))).toBe(true);
    expect(run).toEqual({
      run: 'ddo:{acme}:run:run_1',
      log: 'ddo:{acme}:log:run_1',
      index: 'ddo:{acme}:runs',
      expiries: 'ddo:{acme}:runs:exp',
      summaries: 'ddo:{acme}:runs:sum',
      running: 'ddo:{acme}:running',
    });
    expect(keys.tenants).toBe('ddo:tenants');
  });

  it('keeps agent-wide and session facts in different keys', () => {
    const agent = keys.facts('acme', { agentId: 'demo' });
    const session = keys.facts('acme', { agentId: 'demo', sessionId: 's1' });

    expect(agent.facts).toBe('ddo:{acme}:facts:demo');
    expect(session.facts).toBe('ddo:{acme}:facts:demo:s:s1');
  });

  test.each([
    ['a separator', () => keys.run('acme:x', 'run_1'), 'tenant'],
    ['a pattern', () => keys.run('acme', 'run*'), 'runId'],
    ['a hash tag', () => keys.index('{acme}'), 'tenant'],
    ['a path trick', () => keys.history('acme', '..', 's1'), 'agentId'],
    ['a session separator', () => keys.facts('acme', { agentId: 'demo', sessionId: 'x:s:y' }), 'sessionId'],
  ])('refuses an id with %s, naming the field', (_label, build, field) => {
    expect(build).toThrow(BadRequestError);
    expect(build).toThrow(expect.objectContaining({ details: { field } }));
  });

  test.each(['', 'a:b', 'a{b', 'x'.repeat(65), 'a.b'])('refuses the prefix %j', (prefix) => {
    expect(() => new KeyBuilder(prefix)).toThrow(ConfigError);
  });
});

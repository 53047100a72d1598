/** Policy evaluation before and after tool and model calls: every rule kind allowing and denying. */
import { afterModel, afterTool, beforeModel, beforeTool } from '../../functions/executor/policy';
import { redactValue } from '../../shared/policy/redact';
import { makePolicy, SECRETS } from './factories';

const chain = [{ provider: 'openai', name: 'gpt-4o-mini' }, { provider: 'offline', name: 'offline-1' }];

describe('beforeTool', () => {
  test.each([
    ['tools.deny lists the tool', { tools: { deny: ['http_get'] } }, 'http_get', { url: 'https://example.com/' }, 'tools.deny'],
    ['tools.allow omits the tool', { tools: { allow: ['calculator'] } }, 'http_get', { url: 'https://example.com/' }, 'tools.allow'],
    ['the host is not listed', { arguments: { http_get: { url: { hosts: ['*.example.com'] } } } }, 'http_get', { url: 'http://exfil.example.invalid/' }, 'arguments.http_get.url.hosts'],
    ['the URL does not parse', { arguments: { http_get: { url: { hosts: ['example.com'] } } } }, 'http_get', { url: 'not a url' }, 'arguments.http_get.url.hosts'],
    ['a number is below the minimum', { arguments: { t: { n: { minimum: 0 } } } }, 't', { n: -1 }, 'arguments.t.n.minimum'],
    ['a number is above the maximum', { arguments: { t: { n: { maximum: 10 } } } }, 't', { n: 11 }, 'arguments.t.n.maximum'],
    ['a text is too long', { arguments: { text_stats: { text: { maxLength: 5 } } } }, 'text_stats', { text: 'abcdef' }, 'arguments.text_stats.text.maxLength'],
  ])('denies when %s', (_why, def, tool, args, rule) => {
    const result = beforeTool([makePolicy(def)], tool, args);

    expect(result.denied).toMatchObject({ outcome: 'deny', rule, policyId: 'test', policyVersion: '3', stage: 'before' });
    expect(result.decisions).toEqual([result.denied]);
    expect(result.denied?.inputSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  test.each([
    ['no rule names the tool', {}, 'calculator', { expression: '1 + 1' }],
    ['tools.allow lists the tool', { tools: { allow: ['calculator'] } }, 'calculator', { expression: '1 + 1' }],
    ['the host matches a wildcard', { arguments: { http_get: { url: { hosts: ['*.example.com'] } } } }, 'http_get', { url: 'https://api.example.com/x' }],
    ['the host matches exactly', { arguments: { http_get: { url: { hosts: ['example.com'] } } } }, 'http_get', { url: 'https://example.com/' }],
    ['a number is within bounds', { arguments: { t: { n: { minimum: 0, maximum: 10 } } } }, 't', { n: 10 }],
    ['a text fits', { arguments: { text_stats: { text: { maxLength: 5 } } } }, 'text_stats', { text: 'abcde' }],
  ])('allows when %s', (_why, def, tool, args) => {
    const result = beforeTool([makePolicy(def)], tool, args);

    expect(result.denied).toBeUndefined();
    expect(result.decisions).toEqual([expect.objectContaining({ outcome: 'allow', stage: 'before' })]);
    expect(result.value).toEqual(args);
  });

  it('redacts secrets in the arguments and records what it replaced', () => {
    const result = beforeTool([makePolicy()], 'text_stats', { text: `mail ${SECRETS.email} key ${SECRETS.apiKey}` });

    expect(result.value).toEqual({ text: 'mail [REDACTED:email] key [REDACTED:api_key]' });
    expect(result.decisions[0]).toMatchObject({ outcome: 'redact', redactions: { email: 1, api_key: 1 } });
  });

  it('lets the first policy that denies decide', () => {
    const policies = [makePolicy({ id: 'a', tools: { deny: ['clock'] } }), makePolicy({ id: 'b', tools: { deny: ['clock'] } })];

    expect(beforeTool(policies, 'clock', {}).denied?.policyId).toBe('a');
  });
});

describe('beforeModel', () => {
  it('drops refused models from the chain and allows the rest', () => {
    const result = beforeModel([makePolicy({ models: { deny: ['openai/*'] } })], chain, []);

    expect(result.denied).toBeUndefined();
    expect(result.value.chain).toEqual([{ provider: 'offline', name: 'offline-1' }]);
  });

  it('denies when no model of the chain is allowed', () => {
    const result = beforeModel([makePolicy({ models: { allow: ['bedrock/*'] } })], chain, []);

    expect(result.denied).toMatchObject({ outcome: 'deny', rule: 'models' });
  });

  it('redacts the messages the model would see', () => {
    const result = beforeModel([makePolicy()], chain, [{ role: 'user', content: `card ${SECRETS.card}` }]);

    expect(result.value.messages).toEqual([{ role: 'user', content: 'card [REDACTED:card]' }]);
  });
});

describe('after a call', () => {
  it('redacts tool output and facts to remember', () => {
    const result = afterTool([makePolicy()], { output: { body: SECRETS.bearer }, remember: [`call ${SECRETS.phone}`] });

    expect(result.value).toEqual({ output: { body: '[REDACTED:bearer]' }, remember: ['call [REDACTED:phone]'] });
    expect(result.decisions[0]).toMatchObject({ stage: 'after', outcome: 'redact' });
  });

  it('redacts model text and tool-call arguments', () => {
    const reply = { text: SECRETS.email, toolCalls: [{ id: 'c1', name: 'http_get', arguments: { url: `http://x.invalid/?k=${SECRETS.apiKey}` } }] };

    const result = afterModel([makePolicy()], reply);

    expect(result.value.text).toBe('[REDACTED:email]');
    expect(result.value.toolCalls[0].arguments).toEqual({ url: 'http://x.invalid/?k=[REDACTED:api_key]' });
  });
});

describe('redaction rules', () => {
  test.each([
    ['an e-mail address', SECRETS.email, 'email'],
    ['a phone number', SECRETS.phone, 'phone'],
    ['a US phone number', '(415) 555-0100', 'phone'],
    ['a card number', SECRETS.card, 'card'],
    ['an API key', SECRETS.apiKey, 'api_key'],
    ['an AWS access key', 'AKIAIOSFODNN7EXAMPLE', 'api_key'],
    ['a bearer token', SECRETS.bearer, 'bearer'],
    ['a user pattern', 'EMP-123456', 'employee_id'],
  ])('redacts %s', (_what, secret, kind) => {
    const policy = makePolicy({ redact: { patterns: [{ name: 'employee_id', regex: 'EMP-[0-9]{6}' }] } });

    expect(redactValue(`x ${secret} y`, policy.rules).value).toBe(`x [REDACTED:${kind}] y`);
  });

  test.each([
    ['arithmetic', '12345678 * 3 + 4111111111111112'],
    ['a date', '2024-05-01'],
    ['a sum', '1500.25'],
  ])('keeps %s', (_what, text) => {
    expect(redactValue(text, makePolicy().rules).value).toBe(text);
  });

  it('switches the built-ins off with builtins: []', () => {
    expect(redactValue(SECRETS.email, makePolicy({ redact: { builtins: [] } }).rules).value).toBe(SECRETS.email);
  });
});

/**
 * Holding a tool call for approval: which calls a `hold` rule catches (by tool, and by
 * argument conditions), that a deny wins over a hold, that an approved call is not held
 * again, and that the policy schema takes the new fields and still refuses malformed ones.
 */
import { validatorFor } from '../../shared/schema';
import { policySchema } from '../../shared/policy/schema';
import { beforeTool } from '../../functions/executor/policy/evaluate';
import { makePolicy, SECRETS } from './factories';

describe('beforeTool with hold rules', () => {
  it('holds a listed tool with the default expiry and redacted arguments', () => {
    const policy = makePolicy({ hold: ['http_get'] });

    const ev = beforeTool([policy], 'http_get', { url: `https://example.com/?k=${SECRETS.apiKey}` });

    expect(ev.held).toMatchObject({ policyId: 'test', policyVersion: '3', outcome: 'hold', rule: 'hold.0', ttlSeconds: 3_600 });
    expect(ev.decisions).toEqual([expect.objectContaining({ outcome: 'hold' })]);
    expect(JSON.stringify(ev.value)).not.toContain(SECRETS.apiKey);
  });

  it.each([
    ['a host the condition names', 'https://pay.internal.example/x', true],
    ['another host', 'https://example.com/x', false],
  ])('holds a call only when its arguments match the conditions: %s', (_what, url, isHeld) => {
    const policy = makePolicy({
      hold: [{ tool: 'http_get', when: { url: { hosts: ['*.internal.example'] } }, reason: 'internal fetches need a person' }],
      approvalTtlSeconds: 60,
    });

    const ev = beforeTool([policy], 'http_get', { url });

    expect(ev.held !== undefined).toBe(isHeld);
    if (isHeld) expect(ev.held).toMatchObject({ reason: 'internal fetches need a person', ttlSeconds: 60 });
  });

  it('lets an approved call through, and lets a deny win over a hold', () => {
    const holds = makePolicy({ hold: ['calculator'] });
    const denies = makePolicy({ id: 'strict', tools: { deny: ['calculator'] } });

    const approved = beforeTool([holds], 'calculator', { expression: '2 + 2' }, { isApproved: true });
    const both = beforeTool([holds, denies], 'calculator', { expression: '2 + 2' });

    expect(approved.held).toBeUndefined();
    expect(approved.denied).toBeUndefined();
    expect(both.denied).toMatchObject({ policyId: 'strict', outcome: 'deny' });
    expect(both.held).toBeUndefined();
  });
});

describe('the policy schema', () => {
  const validate = validatorFor(policySchema);

  it.each([
    [{ id: 'p', version: 1, hold: ['clock'] }, true],
    [{ id: 'p', version: 1, hold: [{ tool: 'http_get', when: { url: { hosts: ['a.example'] } } }], approvalTtlSeconds: 30 }, true],
    [{ id: 'p', version: 1 }, true],
    [{ id: 'p', version: 1, hold: [{ when: { url: { hosts: ['a.example'] } } }] }, false],
    [{ id: 'p', version: 1, hold: [{ tool: 'x', unless: {} }] }, false],
    [{ id: 'p', version: 1, approvalTtlSeconds: 0 }, false],
  ])('judges %j valid: %s', (doc, isValid) => {
    expect(validate(doc)).toBe(isValid);
  });
});

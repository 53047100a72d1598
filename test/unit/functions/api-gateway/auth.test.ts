import type { IncomingHttpHeaders } from 'node:http';
import { ConfigError, UnauthorizedError } from '../../../../shared/errors';
import { authenticate, parseApiKeys } from '../../../../functions/api-gateway/auth';

const KEYS = 'acme:acme-secret-key, globex:globex-secret-key';

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to throw');
}

describe('parseApiKeys', () => {
  it('reads tenant:key pairs separated by commas', () => {
    const keys = parseApiKeys(KEYS);

    expect(keys.map((k) => k.tenant)).toEqual(['acme', 'globex']);
    expect(keys[0].keyId).toMatch(/^[0-9a-f]{12}$/);
    expect(keys[0].keyId).not.toBe(keys[1].keyId);
  });

  it('keeps the colons that belong to the key', () => {
    const keys = parseApiKeys('acme:abc:def:ghi');

    expect(authenticate(keys, { authorization: 'Bearer abc:def:ghi' }).tenant).toBe('acme');
  });

  test.each([
    ['nothing', '', /no tenant:key pairs/],
    ['only separators', ' , ,', /no tenant:key pairs/],
    ['an entry without a colon', 'acme-secret-key', /entry 1/],
    ['an empty tenant', ':acme-secret-key', /entry 1/],
    ['a short key', 'acme:acme-secret-key,globex:short', /entry 2/],
    ['an invalid tenant id', 'ac/me:acme-secret-key', /entry 1/],
  ])('refuses %s with a ConfigError', (_label, raw, message) => {
    const err = thrownBy(() => parseApiKeys(raw));

    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ reason: 'config' });
    expect((err as Error).message).toMatch(message);
  });

  it('does not repeat the key in its error', () => {
    const err = thrownBy(() => parseApiKeys('ac/me:super-secret-value'));

    expect((err as Error).message).not.toContain('super-secret-value');
  });
});

describe('authenticate', () => {
  const keys = parseApiKeys(KEYS);

  test.each([
    ['Bearer acme-secret-key', 'acme'],
    ['bearer globex-secret-key', 'globex'],
    ['Bearer   acme-secret-key  ', 'acme'],
  ])('maps %j to tenant %s', (authorization, tenant) => {
    const principal = authenticate(keys, { authorization });

    expect(principal).toEqual({ tenant, keyId: keys.find((k) => k.tenant === tenant)?.keyId });
  });

  test.each<[string, IncomingHttpHeaders]>([
    ['no Authorization header', {}],
    ['an empty header', { authorization: '' }],
    ['the Basic scheme', { authorization: 'Basic YWNtZTphY21lLXNlY3JldC1rZXk=' }],
    ['a bare key', { authorization: 'acme-secret-key' }],
    ['Bearer without a key', { authorization: 'Bearer ' }],
    ['a key with a space in it', { authorization: 'Bearer acme-secret key' }],
    ['an unknown key', { authorization: 'Bearer not-a-known-key' }],
    ['a prefix of a valid key', { authorization: 'Bearer acme-secret' }],
    ['a valid key in the wrong case', { authorization: 'Bearer ACME-SECRET-KEY' }],
  ])('refuses %s with an UnauthorizedError', (_label, headers) => {
    const err = thrownBy(() => authenticate(keys, headers));

    expect(err).toBeInstanceOf(UnauthorizedError);
    expect(err).toMatchObject({ status: 401, reason: 'unauthorized' });
  });
});

describe('authenticate with the ingress gateway\'s tenant header', () => {
  const keys = parseApiKeys('acme:key-acme-0123456789');
  const ingress = 'By=spiffe://cluster.local/ns/ddo/sa/ddo-api-gateway;URI=spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account';

  it('takes the tenant from x-ddo-tenant when the peer is the ingress gateway', () => {
    const who = authenticate(keys, { 'x-ddo-tenant': 'globex', 'x-forwarded-client-cert': ingress });

    expect(who).toEqual({ tenant: 'globex', keyId: 'jwt:globex' });
  });

  test.each([
    ['no client certificate header', {}],
    ['another workload as peer', { 'x-forwarded-client-cert': 'By=x;URI=spiffe://cluster.local/ns/ddo/sa/ddo-orchestrator' }],
    ['the ingress gateway earlier in the chain only', { 'x-forwarded-client-cert': `${'URI=spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account'},By=y;URI=spiffe://cluster.local/ns/ddo/sa/evil` }],
  ])('refuses the header with %s', (_name, extra) => {
    const attempt = () => authenticate(keys, { 'x-ddo-tenant': 'globex', authorization: 'Bearer key-acme-0123456789', ...extra });

    expect(attempt).toThrow(UnauthorizedError);
  });
});

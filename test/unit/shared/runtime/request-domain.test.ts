/**
 * The framework's per-request domain is replaced by a plain scope: it still runs the request
 * and routes a synchronous throw to the framework's error listener, but no real Domain is made,
 * so the process-wide async hook a domain arms is never switched on.
 */
import domain from 'node:domain';
import '../../../../shared/runtime/request-domain';

describe('the request scope that stands in for a domain', () => {
  it('runs the request and returns what it returns, without making a Domain', () => {
    const scope = domain.create();
    expect(scope).not.toBeInstanceOf(domain.Domain);
    expect(scope.run(() => 42)).toBe(42);
    expect((process as { domain?: unknown }).domain ?? null).toBeNull();
  });

  it('hands a synchronous throw to the error listener, and rethrows when there is none', () => {
    const seen: unknown[] = [];
    const scope = domain.create();
    scope.on('error', (err) => seen.push(err));
    const boom = new Error('boom');
    scope.run(() => {
      throw boom;
    });
    expect(seen).toEqual([boom]);
    expect(() =>
      domain.create().run(() => {
        throw boom;
      }),
    ).toThrow('boom');
  });
});

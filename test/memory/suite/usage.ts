/** Suite section: an agent's usage counters per window bucket (window budgets). */
import type { StoreScope } from '../store-suite';

/** Defines the usage counter tests. */
export function describeUsage(scope: StoreScope): void {
  describe('usage counters', () => {
    const window = 3_600;
    const bucket = Math.floor(Date.now() / (window * 1_000));

    it('reads zeros before anything is added, then accumulates adds exactly', async () => {
      const store = await scope.open();
      expect(await store.readUsage('acme', 'demo', { window, bucket })).toEqual({ tokens: 0, costUsd: 0, toolCalls: 0 });

      await store.addUsage('acme', 'demo', { window, bucket }, { tokens: 150, costUsd: 0.25, toolCalls: 2 });
      const second = await store.addUsage('acme', 'demo', { window, bucket }, { tokens: 1_000_000, costUsd: 0.000125, toolCalls: 1 });

      expect(second).toEqual({ tokens: 1_000_150, costUsd: 0.250125, toolCalls: 3 });
      expect(await store.readUsage('acme', 'demo', { window, bucket })).toEqual(second);
    });

    it('keeps tenants, agents, windows and buckets apart', async () => {
      const store = await scope.open();
      await store.addUsage('acme', 'demo', { window, bucket }, { tokens: 10, costUsd: 0.5, toolCalls: 1 });

      const zero = { tokens: 0, costUsd: 0, toolCalls: 0 };
      expect(await store.readUsage('globex', 'demo', { window, bucket })).toEqual(zero);
      expect(await store.readUsage('acme', 'other', { window, bucket })).toEqual(zero);
      expect(await store.readUsage('acme', 'demo', { window: 86_400, bucket })).toEqual(zero);
      expect(await store.readUsage('acme', 'demo', { window, bucket: bucket + 1 })).toEqual(zero);
      expect(await store.readUsage('acme', 'demo', { window, bucket })).toEqual({ tokens: 10, costUsd: 0.5, toolCalls: 1 });
    });

    it('rejects a window or bucket that is not a non-negative integer', async () => {
      const store = await scope.open();
      await expect(store.readUsage('acme', 'demo', { window, bucket: -1 })).rejects.toMatchObject({ status: 400 });
      await expect(store.addUsage('acme', 'demo', { window: 1.5, bucket }, { tokens: 1, costUsd: 0, toolCalls: 0 })).rejects.toMatchObject({ status: 400 });
    });
  });
}

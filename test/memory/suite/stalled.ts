/**
 * Suite section: the index of running runs that the stalled-run sweeper reads. It must list
 * every running run whose last commit is older than the cut-off, across tenants, and never a
 * finished one, because it changes in the same atomic step as the run.
 */
import { makeRun } from '../fixtures';
import type { StoreScope } from '../store-suite';

const at = (seconds: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, seconds)).toISOString();
const cutOff = (seconds: number) => Date.parse(at(seconds));

/** Defines the stalled-run index tests. */
export function describeStalledRuns(scope: StoreScope): void {
  describe('stalled runs', () => {
    it('lists running runs last updated before the cut-off, oldest first, across tenants', async () => {
      const store = await scope.open();
      await store.commitRun('acme', 'run_new', 0, makeRun('run_new', { updatedAt: at(30) }), []);
      await store.commitRun('acme', 'run_old', 0, makeRun('run_old', { updatedAt: at(5) }), []);
      await store.commitRun('acme', 'run_mid', 0, makeRun('run_mid', { updatedAt: at(10) }), []);
      await store.commitRun('globex', 'run_g', 0, makeRun('run_g', { updatedAt: at(1) }), []);

      const stalled = await store.listStalled(cutOff(20), 10);

      expect(stalled).toEqual([
        { tenant: 'acme', runId: 'run_old', updatedAt: at(5) },
        { tenant: 'acme', runId: 'run_mid', updatedAt: at(10) },
        { tenant: 'globex', runId: 'run_g', updatedAt: at(1) },
      ]);
    });

    it('follows each commit: progress moves a run out, finishing removes it', async () => {
      const store = await scope.open();
      await store.commitRun('acme', 'run_1', 0, makeRun('run_1', { updatedAt: at(1) }), []);
      await store.commitRun('acme', 'run_2', 0, makeRun('run_2', { updatedAt: at(1) }), []);

      await store.commitRun('acme', 'run_1', 1, makeRun('run_1', { updatedAt: at(40) }), []);
      await store.commitRun('acme', 'run_2', 1, makeRun('run_2', { status: 'completed', updatedAt: at(2) }), []);

      expect(await store.listStalled(cutOff(20), 10)).toEqual([]);
      expect((await store.listStalled(cutOff(50), 10)).map((r) => r.runId)).toEqual(['run_1']);
    });

    it('leaves the index untouched when a commit loses its compare-and-set', async () => {
      const store = await scope.open();
      await store.commitRun('acme', 'run_1', 0, makeRun('run_1', { updatedAt: at(1) }), []);

      const stale = makeRun('run_1', { status: 'failed', updatedAt: at(2) });
      await expect(store.commitRun('acme', 'run_1', 0, stale, [])).rejects.toThrow();

      expect((await store.listStalled(cutOff(20), 10)).map((r) => r.runId)).toEqual(['run_1']);
    });

    it('caps the answer per tenant at the limit', async () => {
      const store = await scope.open();
      for (const n of [1, 2, 3]) {
        await store.commitRun('acme', `run_${n}`, 0, makeRun(`run_${n}`, { updatedAt: at(n) }), []);
      }

      const two = await store.listStalled(cutOff(20), 2);
      const none = await store.listStalled(cutOff(20), 0);

      expect(two.map((r) => r.runId)).toEqual(['run_1', 'run_2']);
      expect(none).toEqual([]);
    });
  });
}

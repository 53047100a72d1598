/** Suite section: run state with compare-and-set, the run log, listing and retention. */
import { ConflictError } from '../../../shared/errors';
import { incrementWithRetry, makeRun, sleep } from '../fixtures';
import type { StoreScope } from '../store-suite';

/** Defines the run tests. */
export function describeRuns(scope: StoreScope): void {
  describe('commitRun', () => {
    it('creates a run at version 1 from expected version 0 and bumps it on each commit', async () => {
      const store = await scope.open();

      const first = await store.commitRun('acme', 'run_1', 0, makeRun('run_1'), []);
      const done = makeRun('run_1', { status: 'completed' });
      const second = await store.commitRun('acme', 'run_1', 1, done, []);

      expect([first.version, second.version]).toEqual([1, 2]);
      expect(await store.getRun('acme', 'run_1')).toEqual({ state: done, version: 2 });
    });

    test.each([
      ['a stale version', 1, 2],
      ['a create of an existing run', 0, 2],
      ['a version from the future', 7, 2],
    ])('rejects %s with a ConflictError carrying the current version', async (_label, expected, current) => {
      const store = await scope.open();
      await store.commitRun('acme', 'run_1', 0, makeRun('run_1'), [{ type: 'a' }]);
      await store.commitRun('acme', 'run_1', 1, makeRun('run_1'), [{ type: 'b' }]);

      const failed = makeRun('run_1', { status: 'failed' });
      const err = await store.commitRun('acme', 'run_1', expected, failed, [{ type: 'c' }]).catch((e: unknown) => e);

      expect(err).toBeInstanceOf(ConflictError);
      expect(err).toMatchObject({ status: 409, reason: 'conflict', details: { version: current } });
      expect((await store.getRun('acme', 'run_1'))?.state.status).toBe('running');
      expect(await store.readRunLog('acme', 'run_1', 0, 10)).toHaveLength(2);
    });

    it('numbers log entries with strictly increasing seqs across commits', async () => {
      const store = await scope.open();

      const a = await store.commitRun('acme', 'run_1', 0, makeRun('run_1'), [{ type: 'x' }, { type: 'y' }]);
      const b = await store.commitRun('acme', 'run_1', 1, makeRun('run_1'), []);
      const c = await store.commitRun('acme', 'run_1', 2, makeRun('run_1'), [{ type: 'z', seq: 99 }]);

      expect([a.seqs, b.seqs, c.seqs]).toEqual([[1, 2], [], [3]]);
      const log = await store.readRunLog('acme', 'run_1', 0, 10);
      expect(log.map((e) => [e.seq, e.type])).toEqual([[1, 'x'], [2, 'y'], [3, 'z']]);
    });

    it('lets exactly one of 20 concurrent writers win each version, losing no increment', async () => {
      const store = await scope.open();
      await store.commitRun('acme', 'run_c', 0, makeRun('run_c', { counter: 0 }), [{ type: 'created' }]);

      const writers = Array.from({ length: 20 }, (_, w) => incrementWithRetry(store, 'acme', 'run_c', w));
      const attempts = await Promise.all(writers);
      const lostRaces = attempts.reduce((sum, n) => sum + n - 1, 0);

      const stored = await store.getRun('acme', 'run_c');
      const log = await store.readRunLog('acme', 'run_c', 0, 100);
      expect(stored).toMatchObject({ version: 21, state: { counter: 20 } });
      expect(log.map((e) => e.seq)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
      expect(new Set(log.slice(1).map((e) => e.writer)).size).toBe(20);
      // The writers really raced: at least one of them lost a compare-and-set and retried.
      expect(lostRaces).toBeGreaterThan(0);
    });
  });

  describe('readRunLog', () => {
    test.each([
      [0, 2, [1, 2]],
      [2, 2, [3, 4]],
      [4, 10, [5]],
      [5, 10, []],
      [0, 0, []],
    ])('returns entries after seq %i, at most %i', async (after, limit, seqs) => {
      const store = await scope.open();
      await store.commitRun('acme', 'run_1', 0, makeRun('run_1'), [1, 2, 3, 4, 5].map((n) => ({ n })));

      const entries = await store.readRunLog('acme', 'run_1', after, limit);

      expect(entries.map((e) => e.seq)).toEqual(seqs);
      expect(entries.map((e) => e.n)).toEqual(seqs);
    });

    it('returns nothing for an unknown run', async () => {
      const store = await scope.open();

      expect(await store.readRunLog('acme', 'nope', 0, 10)).toEqual([]);
      expect(await store.getRun('acme', 'nope')).toBeUndefined();
    });
  });

  describe('listRuns', () => {
    it('lists a tenant runs newest first, up to the limit, as summaries', async () => {
      const store = await scope.open();
      const created = (day: number) => ({ createdAt: `2025-01-0${day}T00:00:00.000Z` });
      await store.commitRun('acme', 'old', 0, makeRun('old', { ...created(1), extra: 1 }), []);
      await store.commitRun('acme', 'new', 0, makeRun('new', created(3)), []);
      await store.commitRun('acme', 'mid', 0, makeRun('mid', created(2)), []);

      const all = await store.listRuns('acme', 10);
      const two = await store.listRuns('acme', 2);

      expect(all.map((r) => r.runId)).toEqual(['new', 'mid', 'old']);
      expect(two.map((r) => r.runId)).toEqual(['new', 'mid']);
      expect(Object.keys(all[0]).sort()).toEqual(['agentId', 'createdAt', 'runId', 'status', 'updatedAt']);
      expect(await store.listRuns('acme', 0)).toEqual([]);
    });

    it('shows the latest status of a run after each commit', async () => {
      const store = await scope.open();
      await store.commitRun('acme', 'run_1', 0, makeRun('run_1'), []);

      const done = makeRun('run_1', { status: 'completed', updatedAt: '2025-01-01T00:01:00.000Z' });

      await store.commitRun('acme', 'run_1', 1, done, []);

      const { runId, agentId, status, createdAt, updatedAt } = done;
      expect(await store.listRuns('acme', 10)).toEqual([{ runId, agentId, status, createdAt, updatedAt }]);
    });
  });

  describe('run retention', () => {
    it('drops a finished run, its log and its listing once the retention has passed', async () => {
      const store = await scope.open(0.3);
      await store.commitRun('acme', 'done', 0, makeRun('done', { status: 'completed' }), [{ type: 'x' }]);
      await store.commitRun('acme', 'busy', 0, makeRun('busy'), [{ type: 'y' }]);
      const kept = await store.getRun('acme', 'done');

      await sleep(600);

      expect(kept?.version).toBe(1);
      expect(await store.getRun('acme', 'done')).toBeUndefined();
      expect(await store.readRunLog('acme', 'done', 0, 10)).toEqual([]);
      expect((await store.listRuns('acme', 10)).map((r) => r.runId)).toEqual(['busy']);
      expect((await store.getRun('acme', 'busy'))?.version).toBe(1);
    });

    it('starts a run created again after expiry from version 1 and seq 1', async () => {
      const store = await scope.open(0.2);
      await store.commitRun('acme', 'again', 0, makeRun('again', { status: 'failed' }), [{ n: 1 }, { n: 2 }]);
      await sleep(400);

      const recreated = await store.commitRun('acme', 'again', 0, makeRun('again'), [{ n: 3 }]);

      expect(recreated).toEqual({ version: 1, seqs: [1] });
      expect((await store.readRunLog('acme', 'again', 0, 10)).map((e) => e.n)).toEqual([3]);
    });
  });
}

/**
 * Suite section: while the store is down every call fails fast with a TransientError naming
 * the backend (the memory API turns it into a 503 with Retry-After), nothing is half-written,
 * and the same store instance works again once the server is back.
 */
import { TransientError } from '../../../shared/errors';
import type { MemoryStore } from '../../../functions/memory/store/types';
import { eventually, makeFact, makeRun, turn } from '../fixtures';
import type { OutageHandle } from '../store-suite';

/** The longest a call may take to fail during an outage. */
const FAIL_FAST_MS = 2_500;

const CALLS: [string, (s: MemoryStore) => Promise<unknown>][] = [
  ['ping', (s) => s.ping()],
  ['getRun', (s) => s.getRun('acme', 'run_o')],
  ['commitRun', (s) => s.commitRun('acme', 'run_o', 1, makeRun('run_o', { status: 'x' }), [{ type: 'lost' }])],
  ['readRunLog', (s) => s.readRunLog('acme', 'run_o', 0, 10)],
  ['listRuns', (s) => s.listRuns('acme', 10)],
  ['appendHistory', (s) => s.appendHistory('acme', 'demo', 's1', turn('run_lost', 9), 10)],
  ['readHistory', (s) => s.readHistory('acme', 'demo', 's1', 10)],
  ['putFact', (s) => s.putFact('acme', { agentId: 'demo' }, makeFact('lost', 'lost'))],
  ['readFacts', (s) => s.readFacts('acme', { agentId: 'demo' })],
];

/** Defines the outage test. */
export function describeOutage(openOutage: () => Promise<OutageHandle>): void {
  describe('outage', () => {
    let handle: OutageHandle | undefined;

    afterEach(async () => {
      await handle?.dispose();
      handle = undefined;
    });

    it('fails every call fast with a TransientError naming the backend, then recovers', async () => {
      handle = await openOutage();
      const { store } = handle;
      await store.commitRun('acme', 'run_o', 0, makeRun('run_o'), [{ type: 'kept' }]);
      await store.appendHistory('acme', 'demo', 's1', turn('run_kept', 1), 10);

      await handle.stop();
      const failures: { name: string; err: unknown; ms: number }[] = [];
      for (const [name, call] of CALLS) {
        const startedAt = Date.now();
        const err = await call(store).then(() => undefined, (e: unknown) => e);
        failures.push({ name, err, ms: Date.now() - startedAt });
      }
      await handle.start();
      await eventually(() => store.ping());

      for (const { name, err, ms } of failures) {
        expect({ name, isTransient: err instanceof TransientError, fast: ms < FAIL_FAST_MS }).toEqual({
          name,
          isTransient: true,
          fast: true,
        });
        expect((err as Error).message).toContain(store.backend);
        expect((err as TransientError).status).toBe(503);
      }
      // Nothing tried during the outage landed; what was there before is intact.
      expect(await store.getRun('acme', 'run_o')).toEqual({ state: makeRun('run_o'), version: 1 });
      expect((await store.readRunLog('acme', 'run_o', 0, 10)).map((e) => e.type)).toEqual(['kept']);
      expect(await store.readHistory('acme', 'demo', 's1', 10)).toEqual(turn('run_kept', 1));
      expect(await store.readFacts('acme', { agentId: 'demo' })).toEqual([]);
      const done = makeRun('run_o', { status: 'completed' });
      const next = await store.commitRun('acme', 'run_o', 1, done, [{ type: 'after' }]);
      expect(next).toEqual({ version: 2, seqs: [2] });
    });
  });
}

/** Suite section: tenants never share anything, and ids that could forge keys are refused. */
import { BadRequestError } from '../../../shared/errors';
import { makeFact, makeRun, turn } from '../fixtures';
import type { StoreScope } from '../store-suite';
import type { MemoryStore } from '../../../functions/memory/store/types';

type Call = (store: MemoryStore) => Promise<unknown>;

const BAD_IDS = ['acme:run', 'acme*', '*', 'a{b}', '../x', '', 'with space'];

/** One call per id position, with `bad` in that position. */
function callsWith(bad: string): [string, Call][] {
  const run = makeRun('run_1');
  return [
    ['getRun tenant', (s) => s.getRun(bad, 'run_1')],
    ['getRun runId', (s) => s.getRun('acme', bad)],
    ['commitRun tenant', (s) => s.commitRun(bad, 'run_1', 0, run, [])],
    ['commitRun runId', (s) => s.commitRun('acme', bad, 0, { ...run, runId: bad }, [])],
    ['readRunLog runId', (s) => s.readRunLog('acme', bad, 0, 10)],
    ['listRuns tenant', (s) => s.listRuns(bad, 10)],
    ['appendHistory agentId', (s) => s.appendHistory('acme', bad, 's1', turn('r', 1), 10)],
    ['appendHistory sessionId', (s) => s.appendHistory('acme', 'demo', bad, turn('r', 1), 10)],
    ['readHistory tenant', (s) => s.readHistory(bad, 'demo', 's1', 10)],
    ['putFact sessionId', (s) => s.putFact('acme', { agentId: 'demo', sessionId: bad }, makeFact('f', 't'))],
    ['readFacts agentId', (s) => s.readFacts('acme', { agentId: bad })],
  ];
}

/** Defines the isolation tests. */
export function describeIsolation(scope: StoreScope): void {
  describe('tenant isolation', () => {
    it('keeps the same run id apart under two tenants', async () => {
      const store = await scope.open();
      await store.commitRun('acme', 'run_1', 0, makeRun('run_1', { agentId: 'a' }), [{ who: 'acme' }]);

      const theirs = makeRun('run_1', { agentId: 'b' });
      const other = await store.commitRun('globex', 'run_1', 0, theirs, [{ who: 'globex' }]);

      expect(other).toEqual({ version: 1, seqs: [1] });
      expect((await store.getRun('acme', 'run_1'))?.state.agentId).toBe('a');
      expect((await store.getRun('globex', 'run_1'))?.state.agentId).toBe('b');
      expect((await store.readRunLog('globex', 'run_1', 0, 10)).map((e) => e.who)).toEqual(['globex']);
      expect((await store.listRuns('acme', 10)).map((r) => r.agentId)).toEqual(['a']);
      expect(await store.listRuns('initech', 10)).toEqual([]);
    });

    it('keeps history and facts of the same agent and session apart under two tenants', async () => {
      const store = await scope.open();
      await store.appendHistory('acme', 'demo', 's1', turn('run_1', 1), 20);
      await store.putFact('acme', { agentId: 'demo', sessionId: 's1' }, makeFact('f1', 'acme secret'));
      await store.putFact('acme', { agentId: 'demo' }, makeFact('f2', 'acme agent secret'));

      const history = await store.readHistory('globex', 'demo', 's1', 100);
      const sessionFacts = await store.readFacts('globex', { agentId: 'demo', sessionId: 's1' });
      const agentFacts = await store.readFacts('globex', { agentId: 'demo' });

      expect(history).toEqual([]);
      expect(sessionFacts).toEqual([]);
      expect(agentFacts).toEqual([]);
      expect(await store.readHistory('acme', 'demo', 's1', 100)).toHaveLength(2);
    });
  });

  describe('id validation', () => {
    const cases = BAD_IDS.flatMap((bad) => callsWith(bad).map(([at, call]) => [at, bad, call] as const));

    test.each(cases)('refuses %s %j with a BadRequestError', async (_where, _bad, call) => {
      const store = await scope.open();

      const err = await call(store).catch((e: unknown) => e);

      expect(err).toBeInstanceOf(BadRequestError);
      expect(err).toMatchObject({ status: 400, reason: 'bad_request' });
    });
  });
}

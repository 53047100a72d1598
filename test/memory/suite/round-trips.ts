/**
 * Suite section: every value comes back exactly as stored, in run states, log entries, history
 * and facts: numeric-looking and JSON-looking strings, unicode, empty strings, lone surrogates.
 */
import fc from 'fast-check';
import type { Fact, HistoryMessage, MemoryStore } from '../../../functions/memory/store/types';
import { makeRun, TRICKY_STRINGS, uniqueId } from '../fixtures';
import type { StoreScope } from '../store-suite';

const AT = '2025-01-01T00:00:00.000Z';

/** Stores `value` in every place a string can live, and reads each place back. */
async function storeEverywhere(store: MemoryStore, value: string) {
  const runId = uniqueId('rt');
  const session = uniqueId('s');
  const state = makeRun(runId, { value, nested: { list: [value, { value }] }, [`k${value}`]: value });
  const event = { type: 'note', value, deep: [value] };
  const message: HistoryMessage = { role: 'user', content: value, runId: value, at: AT };
  const fact: Fact = { id: runId, text: value, createdAt: AT };

  await store.commitRun('acme', runId, 0, state, [event]);
  await store.appendHistory('acme', 'demo', session, [message], 10);
  await store.putFact('acme', { agentId: 'demo', sessionId: session }, fact);

  return {
    sent: { state, log: [{ ...event, seq: 1 }], history: [message], facts: [fact] },
    got: {
      state: (await store.getRun('acme', runId))?.state,
      log: await store.readRunLog('acme', runId, 0, 10),
      history: await store.readHistory('acme', 'demo', session, 10),
      facts: await store.readFacts('acme', { agentId: 'demo', sessionId: session }),
    },
  };
}

/** Any UTF-16 code unit, lone surrogates included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

/** Defines the round-trip tests. */
export function describeRoundTrips(scope: StoreScope): void {
  describe('round trips', () => {
    test.each(TRICKY_STRINGS.map((s) => [s]))('returns %j exactly as stored everywhere', async (value) => {
      const store = await scope.open();

      const { sent, got } = await storeEverywhere(store, value);

      expect(got).toStrictEqual(sent);
    });

    it('returns arbitrary strings exactly as stored (property)', async () => {
      const store = await scope.open();
      const anyString = fc.oneof(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.string({ unit: 'grapheme', maxLength: 20 }),
        fc.string({ unit: codeUnit, maxLength: 20 }),
        fc.constantFrom(...TRICKY_STRINGS),
        fc.bigInt({ min: 10n ** 15n, max: 10n ** 30n }).map(String),
        fc.json(),
      );

      await fc.assert(
        fc.asyncProperty(anyString, async (value) => {
          const { sent, got } = await storeEverywhere(store, value);
          expect(got).toStrictEqual(sent);
        }),
        { numRuns: 40 },
      );
    });

    it('stores and returns a large document whole', async () => {
      const store = await scope.open();
      const big = '漢🚀x'.repeat(60_000);
      const parts = Array.from({ length: 200 }, (_, i) => ({ i, text: big.slice(0, 500) }));
      const state = makeRun('run_big', { big, parts });

      await store.commitRun('acme', 'run_big', 0, state, [{ big }]);

      expect((await store.getRun('acme', 'run_big'))?.state).toStrictEqual(state);
      expect((await store.readRunLog('acme', 'run_big', 0, 1))[0].big).toBe(big);
    });

    it('keeps numbers, booleans and nulls in documents as they were', async () => {
      const store = await scope.open();
      const values = { int: 42, float: 0.1, big: 2 ** 53 - 1, neg: -7, yes: true, no: false, none: null };
      const state = makeRun('run_types', { ...values, list: [] });
      const event = { n: 1.5, t: true, z: null, o: {} };

      await store.commitRun('acme', 'run_types', 0, state, [event]);

      expect((await store.getRun('acme', 'run_types'))?.state).toStrictEqual(state);
      expect(await store.readRunLog('acme', 'run_types', 0, 1)).toStrictEqual([{ ...event, seq: 1 }]);
    });
  });
}

/** Suite section: conversation history (trim, dedupe) and facts (scopes, replacement, expiry). */
import { makeFact, sleep, turn } from '../fixtures';
import type { StoreScope } from '../store-suite';

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);

/** Defines the history and fact tests. */
export function describeHistoryAndFacts(scope: StoreScope): void {
  describe('history', () => {
    it('keeps only the newest messages', async () => {
      const store = await scope.open();

      for (let n = 1; n <= 3; n++) await store.appendHistory('acme', 'demo', 's1', turn(`run_${n}`, n), 4);

      const history = await store.readHistory('acme', 'demo', 's1', 100);
      expect(history.map((m) => m.content)).toEqual(['question 2', 'answer 2', 'question 3', 'answer 3']);
    });

    it('appends a run turn only once when it is re-sent', async () => {
      const store = await scope.open();
      await store.appendHistory('acme', 'demo', 's1', turn('run_1', 1), 20);

      await store.appendHistory('acme', 'demo', 's1', turn('run_1', 1), 20);
      await store.appendHistory('acme', 'demo', 's1', [turn('run_1', 1)[1], ...turn('run_2', 2)], 20);

      const history = await store.readHistory('acme', 'demo', 's1', 100);
      expect(history.map((m) => m.content)).toEqual(['question 1', 'answer 1', 'question 2', 'answer 2']);
    });

    it('never merges messages that carry no run id', async () => {
      const store = await scope.open();
      const note = { role: 'user' as const, content: 'same', at: '2025-01-01T00:00:00.000Z' };

      await store.appendHistory('acme', 'demo', 's1', [note], 20);
      await store.appendHistory('acme', 'demo', 's1', [note], 20);

      expect(await store.readHistory('acme', 'demo', 's1', 100)).toEqual([note, note]);
    });

    it('reads the newest messages up to the limit, oldest first', async () => {
      const store = await scope.open();
      await store.appendHistory('acme', 'demo', 's1', [...turn('run_1', 1), ...turn('run_2', 2)], 20);

      const three = await store.readHistory('acme', 'demo', 's1', 3);
      const none = await store.readHistory('acme', 'demo', 's1', 0);

      expect(three.map((m) => m.content)).toEqual(['answer 1', 'question 2', 'answer 2']);
      expect(none).toEqual([]);
    });

    it('keeps sessions and agents apart', async () => {
      const store = await scope.open();
      await store.appendHistory('acme', 'demo', 's1', turn('run_1', 1), 20);

      expect(await store.readHistory('acme', 'demo', 's2', 100)).toEqual([]);
      expect(await store.readHistory('acme', 'other', 's1', 100)).toEqual([]);
    });
  });

  describe('facts', () => {
    it('keeps a session fact private to its session', async () => {
      const store = await scope.open();
      await store.putFact('acme', { agentId: 'demo', sessionId: 's1' }, makeFact('f1', 'my colour is teal'));

      const own = await store.readFacts('acme', { agentId: 'demo', sessionId: 's1' });
      const other = await store.readFacts('acme', { agentId: 'demo', sessionId: 's2' });
      const agentWide = await store.readFacts('acme', { agentId: 'demo' });

      expect(own).toEqual([makeFact('f1', 'my colour is teal')]);
      expect(other).toEqual([]);
      expect(agentWide).toEqual([]);
    });

    it('shares an agent fact across sessions but not across agents', async () => {
      const store = await scope.open();
      await store.putFact('acme', { agentId: 'demo' }, makeFact('f1', 'the office is in Lyon'));

      const agentWide = await store.readFacts('acme', { agentId: 'demo' });
      const otherAgent = await store.readFacts('acme', { agentId: 'other' });

      expect(agentWide.map((f) => f.text)).toEqual(['the office is in Lyon']);
      expect(otherAgent).toEqual([]);
    });

    it('replaces a fact written again with the same id', async () => {
      const store = await scope.open();
      await store.putFact('acme', { agentId: 'demo' }, makeFact('f1', 'old'));
      await store.putFact('acme', { agentId: 'demo' }, makeFact('f2', 'other'));

      await store.putFact('acme', { agentId: 'demo' }, makeFact('f1', 'new'));

      const facts = (await store.readFacts('acme', { agentId: 'demo' })).sort(byId);
      expect(facts.map((f) => f.text)).toEqual(['new', 'other']);
    });

    it('stops returning a fact once its expiry time has come, keeping the others', async () => {
      const store = await scope.open();
      const soon = new Date(Date.now() + 300).toISOString();
      await store.putFact('acme', { agentId: 'demo' }, makeFact('f1', 'short-lived', soon));
      await store.putFact('acme', { agentId: 'demo' }, makeFact('f2', 'forever'));
      await store.putFact('acme', { agentId: 'demo', sessionId: 's1' }, makeFact('f3', 'also short', soon));

      const before = (await store.readFacts('acme', { agentId: 'demo' })).sort(byId);
      await sleep(500);
      const after = await store.readFacts('acme', { agentId: 'demo' });
      const session = await store.readFacts('acme', { agentId: 'demo', sessionId: 's1' });

      expect(before).toEqual([makeFact('f1', 'short-lived', soon), makeFact('f2', 'forever')]);
      expect(after.map((f) => f.id)).toEqual(['f2']);
      expect(session).toEqual([]);
    });

    it('keeps a fact whose expiry was removed by writing it again without one', async () => {
      const store = await scope.open();
      const soon = new Date(Date.now() + 200).toISOString();
      await store.putFact('acme', { agentId: 'demo' }, makeFact('f1', 'brief', soon));

      await store.putFact('acme', { agentId: 'demo' }, makeFact('f1', 'lasting'));
      await sleep(400);

      expect(await store.readFacts('acme', { agentId: 'demo' })).toEqual([makeFact('f1', 'lasting')]);
    });
  });
}

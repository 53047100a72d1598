import { ConflictError } from '../../../../../shared/errors';
import { EmbeddedStore } from '../../../../../functions/memory/store/embedded';
import type { Fact, HistoryMessage, RunDocument } from '../../../../../functions/memory/store/types';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');

/** A clock the test moves by hand. */
function makeClock(start = T0) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

function makeStore(clock = makeClock(), runRetentionSeconds = 60): EmbeddedStore {
  return new EmbeddedStore({ runRetentionSeconds }, clock.now);
}

function makeRun(runId: string, overrides: Partial<RunDocument> = {}): RunDocument {
  const at = '2025-01-01T00:00:00.000Z';
  return { runId, agentId: 'demo', status: 'running', createdAt: at, updatedAt: at, ...overrides };
}

function makeFact(id: string, text: string, expiresAt?: string): Fact {
  return { id, text, createdAt: '2025-01-01T00:00:00.000Z', ...(expiresAt ? { expiresAt } : {}) };
}

function turn(runId: string, n: number): HistoryMessage[] {
  return [
    { role: 'user', content: `question ${n}`, runId, at: '2025-01-01T00:00:00.000Z' },
    { role: 'assistant', content: `answer ${n}`, runId, at: '2025-01-01T00:00:01.000Z' },
  ];
}

describe('EmbeddedStore.commitRun', () => {
  it('creates a run at version 1 from expected version 0 and bumps it on each commit', async () => {
    const store = makeStore();

    const first = await store.commitRun('acme', 'run_1', 0, makeRun('run_1'), []);
    const second = await store.commitRun('acme', 'run_1', 1, makeRun('run_1', { status: 'completed' }), []);

    expect([first.version, second.version]).toEqual([1, 2]);
    expect(await store.getRun('acme', 'run_1')).toEqual({ state: makeRun('run_1', { status: 'completed' }), version: 2 });
  });

  test.each([
    ['a stale version', 1, 2],
    ['a create of an existing run', 0, 2],
    ['a version from the future', 7, 2],
  ])('rejects %s with a ConflictError carrying the current version', async (_label, expected, current) => {
    const store = makeStore();
    await store.commitRun('acme', 'run_1', 0, makeRun('run_1'), [{ type: 'a' }]);
    await store.commitRun('acme', 'run_1', 1, makeRun('run_1'), [{ type: 'b' }]);

    const attempt = store.commitRun('acme', 'run_1', expected, makeRun('run_1', { status: 'failed' }), [{ type: 'c' }]);
    const err = await attempt.catch((e: unknown) => e);

    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({ status: 409, reason: 'conflict', details: { version: current } });
    expect((await store.getRun('acme', 'run_1'))?.state.status).toBe('running');
    expect(await store.readRunLog('acme', 'run_1', 0, 10)).toHaveLength(2);
  });

  it('numbers log entries with strictly increasing seqs across commits', async () => {
    const store = makeStore();

    const a = await store.commitRun('acme', 'run_1', 0, makeRun('run_1'), [{ type: 'x' }, { type: 'y' }]);
    const b = await store.commitRun('acme', 'run_1', 1, makeRun('run_1'), []);
    const c = await store.commitRun('acme', 'run_1', 2, makeRun('run_1'), [{ type: 'z' }]);

    expect([a.seqs, b.seqs, c.seqs]).toEqual([[1, 2], [], [3]]);
    expect((await store.readRunLog('acme', 'run_1', 0, 10)).map((e) => [e.seq, e.type])).toEqual([[1, 'x'], [2, 'y'], [3, 'z']]);
  });

  it('keeps what it stored safe from later changes to the caller objects', async () => {
    const store = makeStore();
    const state = makeRun('run_1');
    const event = { type: 'x', detail: { n: 1 } };
    await store.commitRun('acme', 'run_1', 0, state, [event]);

    state.status = 'mutated';
    event.detail.n = 2;

    expect((await store.getRun('acme', 'run_1'))?.state.status).toBe('running');
    expect((await store.readRunLog('acme', 'run_1', 0, 1))[0]).toMatchObject({ detail: { n: 1 } });
  });
});

describe('EmbeddedStore.readRunLog', () => {
  test.each([
    [0, 2, [1, 2]],
    [2, 2, [3, 4]],
    [4, 10, [5]],
    [5, 10, []],
  ])('returns entries after seq %i, at most %i', async (after, limit, seqs) => {
    const store = makeStore();
    await store.commitRun('acme', 'run_1', 0, makeRun('run_1'), [1, 2, 3, 4, 5].map((n) => ({ n })));

    const entries = await store.readRunLog('acme', 'run_1', after, limit);

    expect(entries.map((e) => e.seq)).toEqual(seqs);
  });

  it('returns nothing for an unknown run', async () => {
    const entries = await makeStore().readRunLog('acme', 'nope', 0, 10);

    expect(entries).toEqual([]);
  });
});

describe('EmbeddedStore run retention', () => {
  it('drops a finished run and its log once the retention has passed', async () => {
    const clock = makeClock();
    const store = makeStore(clock, 60);
    await store.commitRun('acme', 'run_1', 0, makeRun('run_1', { status: 'completed' }), [{ type: 'x' }]);

    clock.advance(59_999);
    const kept = await store.getRun('acme', 'run_1');
    clock.advance(1);
    const dropped = await store.getRun('acme', 'run_1');

    expect(kept?.version).toBe(1);
    expect(dropped).toBeUndefined();
    expect(await store.readRunLog('acme', 'run_1', 0, 10)).toEqual([]);
    expect(await store.listRuns('acme', 10)).toEqual([]);
  });

  it('keeps a running run however long it takes', async () => {
    const clock = makeClock();
    const store = makeStore(clock, 60);
    await store.commitRun('acme', 'run_1', 0, makeRun('run_1'), []);

    clock.advance(24 * 3_600_000);

    expect(await store.getRun('acme', 'run_1')).toBeDefined();
  });
});

describe('EmbeddedStore tenant isolation', () => {
  it('keeps the same run id apart under two tenants', async () => {
    const store = makeStore();
    await store.commitRun('acme', 'run_1', 0, makeRun('run_1', { agentId: 'a' }), [{ who: 'acme' }]);

    const other = await store.commitRun('globex', 'run_1', 0, makeRun('run_1', { agentId: 'b' }), [{ who: 'globex' }]);

    expect(other).toEqual({ version: 1, seqs: [1] });
    expect((await store.getRun('acme', 'run_1'))?.state.agentId).toBe('a');
    expect((await store.getRun('globex', 'run_1'))?.state.agentId).toBe('b');
    expect((await store.readRunLog('globex', 'run_1', 0, 10)).map((e) => e.who)).toEqual(['globex']);
    expect((await store.listRuns('acme', 10)).map((r) => r.agentId)).toEqual(['a']);
  });
});

describe('EmbeddedStore.listRuns', () => {
  it('lists a tenant runs newest first, up to the limit', async () => {
    const store = makeStore();
    await store.commitRun('acme', 'old', 0, makeRun('old', { createdAt: '2025-01-01T00:00:00.000Z' }), []);
    await store.commitRun('acme', 'new', 0, makeRun('new', { createdAt: '2025-01-03T00:00:00.000Z' }), []);
    await store.commitRun('acme', 'mid', 0, makeRun('mid', { createdAt: '2025-01-02T00:00:00.000Z' }), []);

    const all = await store.listRuns('acme', 10);
    const two = await store.listRuns('acme', 2);

    expect(all.map((r) => r.runId)).toEqual(['new', 'mid', 'old']);
    expect(two.map((r) => r.runId)).toEqual(['new', 'mid']);
    expect(Object.keys(all[0]).sort()).toEqual(['agentId', 'createdAt', 'runId', 'status', 'updatedAt']);
  });
});

describe('EmbeddedStore history', () => {
  it('keeps only the newest messages', async () => {
    const store = makeStore();

    for (let n = 1; n <= 3; n++) await store.appendHistory('acme', 'demo', 's1', turn(`run_${n}`, n), 4);

    const history = await store.readHistory('acme', 'demo', 's1', 100);
    expect(history.map((m) => m.content)).toEqual(['question 2', 'answer 2', 'question 3', 'answer 3']);
  });

  it('appends a run turn only once when it is re-sent', async () => {
    const store = makeStore();
    await store.appendHistory('acme', 'demo', 's1', turn('run_1', 1), 20);

    await store.appendHistory('acme', 'demo', 's1', turn('run_1', 1), 20);

    expect(await store.readHistory('acme', 'demo', 's1', 100)).toHaveLength(2);
  });

  it('reads the newest messages up to the limit, oldest first', async () => {
    const store = makeStore();
    await store.appendHistory('acme', 'demo', 's1', [...turn('run_1', 1), ...turn('run_2', 2)], 20);

    const history = await store.readHistory('acme', 'demo', 's1', 3);

    expect(history.map((m) => m.content)).toEqual(['answer 1', 'question 2', 'answer 2']);
  });

  it('keeps sessions apart', async () => {
    const store = makeStore();
    await store.appendHistory('acme', 'demo', 's1', turn('run_1', 1), 20);

    const other = await store.readHistory('acme', 'demo', 's2', 100);

    expect(other).toEqual([]);
  });
});

describe('EmbeddedStore facts', () => {
  it('keeps a session fact private to its session', async () => {
    const store = makeStore();
    await store.putFact('acme', { agentId: 'demo', sessionId: 's1' }, makeFact('f1', 'my colour is teal'));

    const own = await store.readFacts('acme', { agentId: 'demo', sessionId: 's1' });
    const other = await store.readFacts('acme', { agentId: 'demo', sessionId: 's2' });

    expect(own.map((f) => f.text)).toEqual(['my colour is teal']);
    expect(other).toEqual([]);
  });

  it('shares an agent fact across sessions but not across agents or tenants', async () => {
    const store = makeStore();
    await store.putFact('acme', { agentId: 'demo' }, makeFact('f1', 'the office is in Lyon'));

    const agentWide = await store.readFacts('acme', { agentId: 'demo' });
    const otherAgent = await store.readFacts('acme', { agentId: 'other' });
    const otherTenant = await store.readFacts('globex', { agentId: 'demo' });

    expect(agentWide.map((f) => f.text)).toEqual(['the office is in Lyon']);
    expect(otherAgent).toEqual([]);
    expect(otherTenant).toEqual([]);
  });

  it('replaces a fact written again with the same id', async () => {
    const store = makeStore();
    await store.putFact('acme', { agentId: 'demo' }, makeFact('f1', 'old'));

    await store.putFact('acme', { agentId: 'demo' }, makeFact('f1', 'new'));

    expect((await store.readFacts('acme', { agentId: 'demo' })).map((f) => f.text)).toEqual(['new']);
  });

  it('stops returning a fact once its expiry time has come', async () => {
    const clock = makeClock();
    const store = makeStore(clock);
    await store.putFact('acme', { agentId: 'demo' }, makeFact('f1', 'short-lived', new Date(T0 + 1_000).toISOString()));
    await store.putFact('acme', { agentId: 'demo' }, makeFact('f2', 'forever'));

    const before = await store.readFacts('acme', { agentId: 'demo' });
    clock.advance(1_000);
    const after = await store.readFacts('acme', { agentId: 'demo' });

    expect(before.map((f) => f.id).sort()).toEqual(['f1', 'f2']);
    expect(after.map((f) => f.id)).toEqual(['f2']);
  });
});

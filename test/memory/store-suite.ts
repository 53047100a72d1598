/**
 * The one behavioural suite of the MemoryStore interface. Each backend's test file calls
 * `describeMemoryStore` with a factory; the same tests then run, unchanged, against the
 * embedded store, Redis and Upstash. The sections live in ./suite/, one concern per file.
 */
import type { MemoryStore } from '../../functions/memory/store/types';
import { describeHistoryAndFacts } from './suite/history-facts';
import { describeIsolation } from './suite/isolation';
import { describeOutage } from './suite/outage';
import { describeRoundTrips } from './suite/round-trips';
import { describeRuns } from './suite/runs';
import { describeStalledRuns } from './suite/stalled';
import { describeUsage } from './suite/usage';

/** Makes a fresh store that shares nothing with stores made before it. */
export type StoreFactory = (options: { runRetentionSeconds: number }) => Promise<MemoryStore>;

/** A store whose server the test can stop and start again (on the same address). */
export interface OutageHandle {
  store: MemoryStore;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Closes the store and removes the server. */
  dispose(): Promise<void>;
}

/** What the suite needs from a backend. */
export interface StoreSuiteOptions {
  makeStore: StoreFactory;
  /** For backends that can be unreachable; the outage tests are skipped without it. */
  openOutage?: () => Promise<OutageHandle>;
}

/** Opens stores for one test and closes them after it. */
export interface StoreScope {
  open(runRetentionSeconds?: number): Promise<MemoryStore>;
}

/** Defines the whole behavioural suite for `backend`. */
export function describeMemoryStore(backend: string, options: StoreSuiteOptions): void {
  describe(`the ${backend} memory store`, () => {
    const opened: MemoryStore[] = [];
    const scope: StoreScope = {
      async open(runRetentionSeconds = 60) {
        const store = await options.makeStore({ runRetentionSeconds });
        opened.push(store);
        return store;
      },
    };

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });

    describeRuns(scope);
    describeHistoryAndFacts(scope);
    describeIsolation(scope);
    describeRoundTrips(scope);
    describeStalledRuns(scope);
    describeUsage(scope);
    if (options.openOutage) describeOutage(options.openOutage);
  });
}

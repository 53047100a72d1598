/** The orchestrator's client for the memory service API. */
import { requestJson } from '../../shared/http/client';
import { ATTR } from '../../shared/telemetry/attributes';
import { inSpan, SpanKind } from '../../shared/telemetry/tracing';
import type { Fact, HistoryMessage, RunLogEntry, RunSummary, StalledRun, UsageTotals, UsageWindow } from '../memory/store/types';
import type { RunState } from './run-state';

/** Messages for a session's history, sent with the commit that produced them. */
export interface SessionTurn {
  agentId: string;
  sessionId: string;
  messages: HistoryMessage[];
  keep: number;
}

export interface MemoryClient {
  getRun(tenant: string, runId: string): Promise<{ state: RunState; version: number } | undefined>;
  /** Stores the run if it is still at `expectedVersion`; then appends `turn` to its session. */
  commitRun(
    tenant: string,
    runId: string,
    expectedVersion: number,
    state: RunState,
    events: Record<string, unknown>[],
    turn?: SessionTurn,
  ): Promise<{ version: number; seqs: number[] }>;
  readLog(tenant: string, runId: string, after: number, limit: number): Promise<RunLogEntry[]>;
  listRuns(tenant: string, limit: number): Promise<RunSummary[]>;
  /** Running runs of every tenant not updated since `updatedBeforeMs`. */
  listStalled(updatedBeforeMs: number, limit: number): Promise<StalledRun[]>;
  context(tenant: string, agentId: string, sessionId: string, factScope: string, historyLimit: number): Promise<{ history: HistoryMessage[]; facts: Fact[] }>;
  appendHistory(tenant: string, agentId: string, sessionId: string, messages: HistoryMessage[], keep: number): Promise<void>;
  putFact(tenant: string, agentId: string, text: string, sessionId?: string): Promise<void>;
  /** Adds a finished run's use to the agent's counter for one window bucket; returns the totals. */
  addUsage(tenant: string, agentId: string, at: UsageWindow, usage: UsageTotals): Promise<UsageTotals>;
  /** The agent's totals for one window bucket. */
  readUsage(tenant: string, agentId: string, at: UsageWindow): Promise<UsageTotals>;
  /** Resolves when the memory service and its store answer. */
  health(): Promise<void>;
}

/** Builds a client over the memory service's base URL; every call is a client span. */
export function memoryClient(baseUrl: string): MemoryClient {
  const client = plainClient(baseUrl);
  const traced = {} as Record<string, unknown>;
  for (const [name, fn] of Object.entries(client)) {
    traced[name] = (...args: unknown[]) =>
      inSpan(`memory ${name}`, { kind: SpanKind.CLIENT, attributes: { 'db.operation.name': name, ...(typeof args[0] === 'string' ? { [ATTR.tenant]: args[0] } : {}) } }, () =>
        (fn as (...a: unknown[]) => Promise<unknown>)(...args),
      );
  }
  return traced as unknown as MemoryClient;
}

function plainClient(baseUrl: string): MemoryClient {
  const t = (tenant: string) => `${baseUrl}/v1/tenants/${encodeURIComponent(tenant)}`;
  const e = encodeURIComponent;
  return {
    async getRun(tenant, runId) {
      try {
        return (await requestJson<{ state: RunState; version: number }>('GET', `${t(tenant)}/runs/${e(runId)}`)).body;
      } catch (err) {
        if ((err as { status?: number }).status === 404) return undefined;
        throw err;
      }
    },
    async commitRun(tenant, runId, expectedVersion, state, events, turn) {
      const res = await requestJson<{ version: number; seqs: number[] }>('PUT', `${t(tenant)}/runs/${e(runId)}`, {
        expectedVersion,
        state,
        events,
        ...(turn ? { history: turn } : {}),
      });
      return res.body;
    },
    async readLog(tenant, runId, after, limit) {
      const url = `${t(tenant)}/runs/${e(runId)}/log?after=${after}&limit=${limit}`;
      return (await requestJson<{ entries: RunLogEntry[] }>('GET', url)).body.entries;
    },
    async listRuns(tenant, limit) {
      return (await requestJson<{ runs: RunSummary[] }>('GET', `${t(tenant)}/runs?limit=${limit}`)).body.runs;
    },
    async listStalled(updatedBeforeMs, limit) {
      const url = `${baseUrl}/v1/stalled-runs?before=${Math.floor(updatedBeforeMs)}&limit=${limit}`;
      return (await requestJson<{ runs: StalledRun[] }>('GET', url)).body.runs;
    },
    async context(tenant, agentId, sessionId, factScope, historyLimit) {
      const url = `${t(tenant)}/agents/${e(agentId)}/sessions/${e(sessionId)}/context?factScope=${factScope}&historyLimit=${historyLimit}`;
      return (await requestJson<{ history: HistoryMessage[]; facts: Fact[] }>('GET', url)).body;
    },
    async appendHistory(tenant, agentId, sessionId, messages, keep) {
      await requestJson('POST', `${t(tenant)}/agents/${e(agentId)}/sessions/${e(sessionId)}/history`, { messages, keep });
    },
    async addUsage(tenant, agentId, at, usage) {
      return (await requestJson<UsageTotals>('POST', `${t(tenant)}/agents/${e(agentId)}/usage/${at.window}/${at.bucket}`, usage)).body;
    },
    async readUsage(tenant, agentId, at) {
      return (await requestJson<UsageTotals>('GET', `${t(tenant)}/agents/${e(agentId)}/usage/${at.window}/${at.bucket}`)).body;
    },
    async health() {
      await requestJson('GET', `${baseUrl}/healthz`, undefined, { timeoutMs: 3_000 });
    },
    async putFact(tenant, agentId, text, sessionId) {
      await requestJson('POST', `${t(tenant)}/agents/${e(agentId)}/facts`, { text, ...(sessionId ? { sessionId } : {}) });
    },
  };
}

/**
 * The embedded backend: plain maps inside the memory service process. It is the default for a
 * laptop and for tests. It keeps nothing across restarts; the Redis and Upstash backends do.
 */
import { ConflictError } from '../../../shared/errors';
import { keyPart, usageNumber } from './keys';
import type {
  Fact,
  FactScope,
  HistoryMessage,
  MemoryStore,
  RetentionOptions,
  RunDocument,
  RunLogEntry,
  RunSummary,
  StalledRun,
  StoredRun,
  UsageTotals,
  UsageWindow,
} from './types';

interface RunSlot {
  run: StoredRun;
  log: RunLogEntry[];
  expiresAtMs?: number;
}

const TERMINAL = new Set(['completed', 'failed']);

export class EmbeddedStore implements MemoryStore {
  readonly backend = 'embedded';
  private readonly runs = new Map<string, RunSlot>();
  private readonly history = new Map<string, HistoryMessage[]>();
  private readonly facts = new Map<string, Map<string, Fact>>();
  private readonly usage = new Map<string, { totals: UsageTotals; expiresAtMs: number }>();

  constructor(private readonly retention: RetentionOptions, private readonly now: () => number = Date.now) {}

  async ping(): Promise<void> {}

  async getRun(tenant: string, runId: string): Promise<StoredRun | undefined> {
    const slot = this.liveSlot(tenant, runId);
    return slot ? structuredClone(slot.run) : undefined;
  }

  async commitRun(
    tenant: string,
    runId: string,
    expectedVersion: number,
    state: RunDocument,
    events: Record<string, unknown>[],
  ): Promise<{ version: number; seqs: number[] }> {
    const key = runKey(tenant, runId);
    const slot = this.liveSlot(tenant, runId);
    const current = slot?.run.version ?? 0;
    if (current !== expectedVersion) {
      throw new ConflictError(`Run ${runId} is at version ${current}, not ${expectedVersion}.`, { version: current });
    }
    const log = slot?.log ?? [];
    const seqs: number[] = [];
    for (const event of events) {
      const entry = { ...structuredClone(event), seq: log.length + 1 } as RunLogEntry;
      log.push(entry);
      seqs.push(entry.seq);
    }
    const version = current + 1;
    const expiresAtMs = TERMINAL.has(state.status) ? this.now() + this.retention.runRetentionSeconds * 1_000 : undefined;
    this.runs.set(key, { run: { state: structuredClone(state), version }, log, expiresAtMs });
    return { version, seqs };
  }

  async readRunLog(tenant: string, runId: string, afterSeq: number, limit: number): Promise<RunLogEntry[]> {
    const slot = this.liveSlot(tenant, runId);
    if (!slot) return [];
    return structuredClone(slot.log.slice(afterSeq, afterSeq + limit));
  }

  async listRuns(tenant: string, limit: number): Promise<RunSummary[]> {
    const prefix = `${keyPart(tenant, 'tenant')}\u0000`;
    const out: RunSummary[] = [];
    for (const [key] of this.runs) {
      if (!key.startsWith(prefix)) continue;
      const slot = this.liveSlot(tenant, key.slice(prefix.length));
      if (slot) out.push(summarize(slot.run.state));
    }
    out.sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
    return out.slice(0, limit);
  }

  async listStalled(updatedBeforeMs: number, limit: number): Promise<StalledRun[]> {
    const byTenant = new Map<string, StalledRun[]>();
    for (const [key, slot] of this.runs) {
      const { status, updatedAt, runId } = slot.run.state;
      if (TERMINAL.has(status) || !(Date.parse(updatedAt) < updatedBeforeMs)) continue;
      const tenant = key.slice(0, key.indexOf('\u0000'));
      const list = byTenant.get(tenant) ?? [];
      list.push({ tenant, runId, updatedAt });
      byTenant.set(tenant, list);
    }
    return [...byTenant.keys()].sort().flatMap((tenant) =>
      (byTenant.get(tenant) ?? [])
        .sort((a, b) => Date.parse(a.updatedAt) - Date.parse(b.updatedAt))
        .slice(0, Math.max(0, limit)),
    );
  }

  async appendHistory(tenant: string, agentId: string, sessionId: string, messages: HistoryMessage[], keep: number): Promise<void> {
    const key = historyKey(tenant, agentId, sessionId);
    const existing = this.history.get(key) ?? [];
    // A run's turn is appended once even when the orchestrator re-sends it after a redelivery.
    const fresh = messages.filter((m) => !m.runId || !existing.some((e) => e.runId === m.runId && e.role === m.role));
    const list = [...existing, ...structuredClone(fresh)];
    this.history.set(key, list.slice(Math.max(0, list.length - keep)));
  }

  async readHistory(tenant: string, agentId: string, sessionId: string, limit: number): Promise<HistoryMessage[]> {
    const list = this.history.get(historyKey(tenant, agentId, sessionId)) ?? [];
    return structuredClone(list.slice(Math.max(0, list.length - limit)));
  }

  async putFact(tenant: string, scope: FactScope, fact: Fact): Promise<void> {
    const key = factKey(tenant, scope);
    const facts = this.facts.get(key) ?? new Map<string, Fact>();
    facts.set(fact.id, structuredClone(fact));
    this.facts.set(key, facts);
  }

  async readFacts(tenant: string, scope: FactScope): Promise<Fact[]> {
    const facts = this.facts.get(factKey(tenant, scope));
    if (!facts) return [];
    const nowIso = new Date(this.now()).toISOString();
    for (const [id, fact] of facts) if (fact.expiresAt && fact.expiresAt <= nowIso) facts.delete(id);
    return structuredClone([...facts.values()]);
  }

  async addUsage(tenant: string, agentId: string, at: UsageWindow, usage: UsageTotals): Promise<UsageTotals> {
    const key = usageKey(tenant, agentId, at);
    const totals = await this.readUsage(tenant, agentId, at);
    const next = {
      tokens: totals.tokens + usage.tokens,
      costUsd: Math.round((totals.costUsd + usage.costUsd) * 1e6) / 1e6,
      toolCalls: totals.toolCalls + usage.toolCalls,
    };
    this.usage.set(key, { totals: next, expiresAtMs: (at.bucket + 2) * at.window * 1_000 });
    return { ...next };
  }

  async readUsage(tenant: string, agentId: string, at: UsageWindow): Promise<UsageTotals> {
    const key = usageKey(tenant, agentId, at);
    const slot = this.usage.get(key);
    if (slot && slot.expiresAtMs <= this.now()) this.usage.delete(key);
    const live = this.usage.get(key);
    return live ? { ...live.totals } : { tokens: 0, costUsd: 0, toolCalls: 0 };
  }

  async close(): Promise<void> {}

  /** Returns the run's slot unless retention has expired it (then it is dropped). */
  private liveSlot(tenant: string, runId: string): RunSlot | undefined {
    const key = runKey(tenant, runId);
    const slot = this.runs.get(key);
    if (slot?.expiresAtMs !== undefined && slot.expiresAtMs <= this.now()) {
      this.runs.delete(key);
      return undefined;
    }
    return slot;
  }
}

// Keys are checked like the Redis backends' keys, so every backend rejects the same ids.
function runKey(tenant: string, runId: string): string {
  return `${keyPart(tenant, 'tenant')}\u0000${keyPart(runId, 'runId')}`;
}

function historyKey(tenant: string, agentId: string, sessionId: string): string {
  const parts = [keyPart(tenant, 'tenant'), keyPart(agentId, 'agentId'), keyPart(sessionId, 'sessionId')];
  return parts.join('\u0000');
}

function factKey(tenant: string, scope: FactScope): string {
  const session = scope.sessionId === undefined ? '*' : keyPart(scope.sessionId, 'sessionId');
  return [keyPart(tenant, 'tenant'), keyPart(scope.agentId, 'agentId'), session].join('\u0000');
}

function usageKey(tenant: string, agentId: string, at: UsageWindow): string {
  const parts = [keyPart(tenant, 'tenant'), keyPart(agentId, 'agentId'), usageNumber(at.window, 'window'), usageNumber(at.bucket, 'bucket')];
  return parts.join('\u0000');
}

/** The listing view of a run state. */
export function summarize(state: RunDocument): RunSummary {
  return {
    runId: state.runId,
    agentId: state.agentId,
    status: state.status,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
  };
}

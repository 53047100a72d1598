/**
 * The memory store interface. Every backend (embedded, Redis, Upstash) implements it, and one
 * behavioural suite runs against all of them. Keys are always derived from validated tenant,
 * agent, session and run ids, never from raw client text.
 */

/** How long one store call may take before it counts as an outage. */
export const DEFAULT_STORE_TIMEOUT_MS = 1_500;

/** A stored run: the orchestrator's state document and its compare-and-set version. */
export interface StoredRun {
  state: RunDocument;
  version: number;
}

/** The fields of a run state the store itself reads (for listing and retention). */
export interface RunDocument {
  runId: string;
  agentId: string;
  status: string;
  createdAt: string;
  updatedAt: string;
  [field: string]: unknown;
}

/** One entry of a run's event log; `seq` strictly increases from 1. */
export interface RunLogEntry {
  seq: number;
  at: string;
  [field: string]: unknown;
}

export interface RunSummary {
  runId: string;
  agentId: string;
  status: string;
  createdAt: string;
  updatedAt: string;
}

/** A running run that has not changed since some time, for the stalled-run sweeper. */
export interface StalledRun {
  tenant: string;
  runId: string;
  updatedAt: string;
}

export interface Fact {
  id: string;
  text: string;
  createdAt: string;
  expiresAt?: string;
}

export interface HistoryMessage {
  role: 'user' | 'assistant';
  content: string;
  runId?: string;
  at: string;
}

/** Where a fact lives: shared by the agent's sessions, or private to one session. */
export interface FactScope {
  agentId: string;
  sessionId?: string;
}

/** Usage counted in one window bucket of one agent (or added to it by a finished run). */
export interface UsageTotals {
  tokens: number;
  costUsd: number;
  toolCalls: number;
}

/** Which counter: an agent's bucket `bucket` (= floor(nowMs / (window * 1000))) of `window` seconds. */
export interface UsageWindow {
  window: number;
  bucket: number;
}

export interface MemoryStore {
  readonly backend: string;
  /** Resolves when the store answers; rejects with a TransientError naming it otherwise. */
  ping(): Promise<void>;
  getRun(tenant: string, runId: string): Promise<StoredRun | undefined>;
  /**
   * Writes `state` if the stored version still equals `expectedVersion` (0 creates the run) and
   * appends `events` to its log, all or nothing. Throws ConflictError when the version moved.
   */
  commitRun(
    tenant: string,
    runId: string,
    expectedVersion: number,
    state: RunDocument,
    events: Record<string, unknown>[],
  ): Promise<{ version: number; seqs: number[] }>;
  readRunLog(tenant: string, runId: string, afterSeq: number, limit: number): Promise<RunLogEntry[]>;
  listRuns(tenant: string, limit: number): Promise<RunSummary[]>;
  /**
   * Running runs of every tenant whose last commit is older than `updatedBeforeMs`, least
   * recently updated first, at most `limit` per tenant.
   */
  listStalled(updatedBeforeMs: number, limit: number): Promise<StalledRun[]>;
  appendHistory(tenant: string, agentId: string, sessionId: string, messages: HistoryMessage[], keep: number): Promise<void>;
  readHistory(tenant: string, agentId: string, sessionId: string, limit: number): Promise<HistoryMessage[]>;
  putFact(tenant: string, scope: FactScope, fact: Fact): Promise<void>;
  readFacts(tenant: string, scope: FactScope): Promise<Fact[]>;
  /**
   * Adds `usage` to the agent's counter for one window bucket, atomically, and returns the new
   * totals. The counter expires one window after its bucket ends.
   */
  addUsage(tenant: string, agentId: string, at: UsageWindow, usage: UsageTotals): Promise<UsageTotals>;
  /** The agent's totals for one window bucket (zeros when nothing was added). */
  readUsage(tenant: string, agentId: string, at: UsageWindow): Promise<UsageTotals>;
  close(): Promise<void>;
}

/** How long finished runs and their logs are kept, and how many runs a tenant lists. */
export interface RetentionOptions {
  runRetentionSeconds: number;
}

/**
 * The MemoryStore of the Redis family: the key layout of keys.ts and the scripts of scripts.ts
 * over a transport that can run a script. The Redis (TCP) and Upstash (REST) backends differ
 * only in their transport, so they share every behaviour, including how values are encoded:
 * each value is stored as the JSON text of what the caller gave and returned by JSON.parse,
 * which gives back exactly the strings that went in.
 */
import { createHash } from 'node:crypto';
import { ConflictError, DdoError } from '../../../shared/errors';
import { summarize } from './embedded';
import { KeyBuilder } from './keys';
import * as scripts from './scripts';
import type { MemoryScript } from './scripts';
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

const TERMINAL = new Set(['completed', 'failed']);

/** How many runs a tenant's listing index keeps; older entries leave the index, not the store. */
export const DEFAULT_INDEX_CAP = 10_000;

/** Runs scripts on one Redis-compatible server; failures come back as DdoErrors. */
export interface ScriptTransport {
  /** `redis` or `upstash`: named in every error. */
  readonly backend: string;
  /** Where the store is, without credentials (for example `127.0.0.1:6379`). */
  readonly target: string;
  run(script: MemoryScript, keys: string[], args: string[]): Promise<unknown>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Options shared by the Redis-family backends. */
export interface ScriptStoreOptions extends RetentionOptions {
  keyPrefix: string;
  /** Defaults to DEFAULT_INDEX_CAP. */
  indexCap?: number;
  now?: () => number;
}

/** A MemoryStore over a ScriptTransport. */
export class ScriptStore implements MemoryStore {
  readonly backend: string;
  private readonly keys: KeyBuilder;
  private readonly now: () => number;

  constructor(
    private readonly transport: ScriptTransport,
    private readonly options: ScriptStoreOptions,
  ) {
    this.backend = transport.backend;
    this.keys = new KeyBuilder(options.keyPrefix);
    this.now = options.now ?? Date.now;
  }

  /** Where the store is, without credentials. */
  get target(): string {
    return this.transport.target;
  }

  async ping(): Promise<void> {
    await this.transport.ping();
  }

  async getRun(tenant: string, runId: string): Promise<StoredRun | undefined> {
    const reply = await this.transport.run(scripts.GET_RUN, [this.keys.run(tenant, runId).run], []);
    const [version, state] = asArray(reply);
    if (typeof state !== 'string' || state === '') return undefined;
    return { state: JSON.parse(state) as RunDocument, version: Number(version) };
  }

  async commitRun(
    tenant: string,
    runId: string,
    expectedVersion: number,
    state: RunDocument,
    events: Record<string, unknown>[],
  ): Promise<{ version: number; seqs: number[] }> {
    const k = this.keys.run(tenant, runId);
    const now = this.now();
    const createdAtMs = Date.parse(state.createdAt);
    const updatedAtMs = Date.parse(state.updatedAt);
    // Registered before the run exists, so a running run's tenant is always in the registry.
    if (expectedVersion === 0) await this.transport.run(scripts.REGISTER_TENANT, [this.keys.tenants], [tenant]);
    const expireAtMs = TERMINAL.has(state.status)
      ? now + Math.round(this.options.runRetentionSeconds * 1_000)
      : 0;
    const args = [
      String(expectedVersion),
      JSON.stringify(state),
      runId,
      String(Number.isFinite(createdAtMs) ? createdAtMs : 0),
      JSON.stringify(summarize(state)),
      String(expireAtMs),
      String(now),
      String(this.options.indexCap ?? DEFAULT_INDEX_CAP),
      String(Number.isFinite(updatedAtMs) ? updatedAtMs : now),
      ...events.map(withoutSeq),
    ];
    const keys = [k.run, k.log, k.index, k.expiries, k.summaries, k.running];
    const reply = await this.transport.run(scripts.COMMIT_RUN, keys, args);
    const [ok, version, first, count] = asArray(reply).map(Number);
    if (ok !== 1) {
      const message = `Run ${runId} is at version ${version}, not ${expectedVersion}.`;
      throw new ConflictError(message, { version });
    }
    return { version, seqs: Array.from({ length: count }, (_, i) => first + i) };
  }

  async readRunLog(
    tenant: string,
    runId: string,
    afterSeq: number,
    limit: number,
  ): Promise<RunLogEntry[]> {
    const key = this.keys.run(tenant, runId).log;
    if (limit <= 0) return [];

    // The list is never trimmed from the front, so entry i (0-based) has seq i + 1.
    const args = [String(afterSeq), String(afterSeq + limit - 1)];
    const reply = asArray(await this.transport.run(scripts.READ_LOG, [key], args));
    return reply.map((raw, i) => ({ ...parseJson(raw), seq: afterSeq + i + 1 }) as RunLogEntry);
  }

  async listRuns(tenant: string, limit: number): Promise<RunSummary[]> {
    const k = this.keys.index(tenant);
    if (limit <= 0) return [];

    const args = [String(this.now()), String(limit)];
    const keys = [k.index, k.expiries, k.summaries];
    const reply = await this.transport.run(scripts.LIST_RUNS, keys, args);
    return asArray(reply)
      .filter((raw) => typeof raw === 'string' && raw !== '')
      .map((raw) => parseJson(raw) as unknown as RunSummary);
  }

  async listStalled(updatedBeforeMs: number, limit: number): Promise<StalledRun[]> {
    if (limit <= 0) return [];

    const tenants = asArray(await this.transport.run(scripts.LIST_TENANTS, [this.keys.tenants], []));
    const out: StalledRun[] = [];
    for (const tenant of tenants.map(String).sort()) {
      const args = [String(Math.floor(updatedBeforeMs)), String(limit)];
      const key = this.keys.index(tenant).running;
      const flat = asArray(await this.transport.run(scripts.LIST_STALLED, [key], args));
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const updatedAt = new Date(Number(flat[i + 1])).toISOString();
        out.push({ tenant, runId: String(flat[i]), updatedAt });
      }
    }
    return out;
  }

  async appendHistory(
    tenant: string,
    agentId: string,
    sessionId: string,
    messages: HistoryMessage[],
    keep: number,
  ): Promise<void> {
    const k = this.keys.history(tenant, agentId, sessionId);
    const args = [String(Math.max(0, Math.floor(keep)))];
    for (const m of messages) args.push(historyTag(m), JSON.stringify(m));
    await this.transport.run(scripts.APPEND_HISTORY, [k.messages, k.tags], args);
  }

  async readHistory(
    tenant: string,
    agentId: string,
    sessionId: string,
    limit: number,
  ): Promise<HistoryMessage[]> {
    const key = this.keys.history(tenant, agentId, sessionId).messages;
    if (limit <= 0) return [];

    const reply = await this.transport.run(scripts.READ_HISTORY, [key], [String(limit)]);
    return asArray(reply).map((raw) => parseJson(raw) as unknown as HistoryMessage);
  }

  async putFact(tenant: string, scope: FactScope, fact: Fact): Promise<void> {
    const k = this.keys.facts(tenant, scope);
    const expiresAtMs = fact.expiresAt === undefined ? 0 : Date.parse(fact.expiresAt);
    if (Number.isNaN(expiresAtMs)) {
      const at = JSON.stringify(fact.expiresAt);
      throw new DdoError(`Fact ${fact.id} has an unreadable expiresAt ${at}.`);
    }
    const args = [fact.id, JSON.stringify(fact), String(expiresAtMs), String(this.now())];
    await this.transport.run(scripts.PUT_FACT, [k.facts, k.expiries], args);
  }

  async readFacts(tenant: string, scope: FactScope): Promise<Fact[]> {
    const k = this.keys.facts(tenant, scope);
    const args = [String(this.now())];
    const reply = await this.transport.run(scripts.READ_FACTS, [k.facts, k.expiries], args);
    return asArray(reply).map((raw) => parseJson(raw) as unknown as Fact);
  }

  async addUsage(tenant: string, agentId: string, at: UsageWindow, usage: UsageTotals): Promise<UsageTotals> {
    const key = this.keys.usage(tenant, agentId, at.window, at.bucket);
    const ttlMs = Math.max(1, usageExpiresAtMs(at) - this.now());
    const args = [String(usage.tokens), String(usage.costUsd), String(usage.toolCalls), String(ttlMs)];
    return usageTotals(await this.transport.run(scripts.ADD_USAGE, [key], args));
  }

  async readUsage(tenant: string, agentId: string, at: UsageWindow): Promise<UsageTotals> {
    const key = this.keys.usage(tenant, agentId, at.window, at.bucket);
    return usageTotals(await this.transport.run(scripts.READ_USAGE, [key], []));
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}

/** The log entry as stored: the event without any `seq` of its own (the list position is it). */
function withoutSeq(event: Record<string, unknown>): string {
  const { seq: _ignored, ...rest } = event;
  return JSON.stringify(rest);
}

/** A run's turn is appended once even when re-sent; the tag names its run and role. */
function historyTag(message: HistoryMessage): string {
  if (message.runId === undefined) return '-';
  const tag = JSON.stringify([message.runId, message.role]);
  return createHash('sha256').update(tag).digest('hex').slice(0, 32);
}

/** When a usage counter may go: one window after its bucket ends. */
export function usageExpiresAtMs(at: UsageWindow): number {
  return (at.bucket + 2) * at.window * 1_000;
}

/** A usage reply (tokens, cost, tool calls; nil for a missing field) as totals. */
function usageTotals(reply: unknown): UsageTotals {
  const [tokens, costUsd, toolCalls] = asArray(reply).map((v) => (typeof v === 'string' ? Number(v) : 0));
  // Cost is kept to a millionth of a dollar, like the run's own estimate.
  return { tokens, costUsd: Math.round(costUsd * 1e6) / 1e6, toolCalls };
}

function asArray(reply: unknown): unknown[] {
  if (!Array.isArray(reply)) {
    throw new DdoError(`A memory script answered ${typeof reply}, not a list.`);
  }
  return reply;
}

function parseJson(raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'string') {
    throw new DdoError(`A memory script answered ${typeof raw}, not stored JSON.`);
  }
  return JSON.parse(raw) as Record<string, unknown>;
}

/**
 * Key derivation for the Redis and Upstash backends. Every key is built here, from a fixed
 * prefix and ids that pass `shared/ids.ts`, so no client-chosen text can reach another
 * tenant's keys: a part that could carry a separator (`:`), a pattern (`*`), a hash tag
 * (`{`, `}`) or anything else outside the id alphabet is rejected before a key exists.
 *
 * Layout, with `p` the prefix and `t` the tenant:
 *
 *   p:{t}:run:<runId>                     hash: `v` (version), `s` (state JSON)
 *   p:{t}:log:<runId>                     list of log entries; seq = list index + 1
 *   p:{t}:runs                            sorted set of run ids by createdAt (ms)
 *   p:{t}:runs:exp                        sorted set of finished run ids by expiry (ms)
 *   p:{t}:runs:sum                        hash of run id → listing summary JSON
 *   p:{t}:running                         sorted set of running run ids by updatedAt (ms)
 *   p:tenants                             set of tenants that ever stored a run (for the sweep)
 *   p:{t}:hist:<agentId>:<sessionId>      list of history messages, oldest first
 *   p:{t}:hist-tags:<agentId>:<sessionId> list of dedupe tags, in lockstep with `hist`
 *   p:{t}:facts:<agentId>[:s:<sessionId>] hash of fact id → fact JSON
 *   p:{t}:fact-exp:<agentId>[:s:<sessionId>] sorted set of fact ids by expiry (ms)
 *   p:{t}:usage:<agentId>:<window>:<bucket> hash: tokens, costUsd, toolCalls of one window bucket
 *
 * The tenant is a Redis Cluster hash tag (`{t}`): one commit touches the run, its log and the
 * tenant's listing index, and a script may only touch keys of one slot. Upstash treats braces
 * as ordinary key characters, so the same keys work there. The cost is that one tenant's keys
 * share a slot; a tenant too large for one shard would need a per-run tag and a listing index
 * kept outside the commit script.
 */
import { BadRequestError, ConfigError } from '../../../shared/errors';
import { requireId } from '../../../shared/ids';
import type { FactScope } from './types';

/** What a prefix may look like: an id without dots, so it never needs escaping in a key. */
const PREFIX_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Returns `value` if it may appear in a key, else throws a BadRequestError naming `field`. */
export function keyPart(value: unknown, field: string): string {
  return requireId(value, field);
}

/** Returns `n` as key text if it is a non-negative safe integer, else throws a BadRequestError. */
export function usageNumber(n: number, field: string): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new BadRequestError(`${field} must be a non-negative integer.`, field);
  return String(n);
}

/** Throws a ConfigError unless `prefix` is a safe key prefix. */
export function assertKeyPrefix(prefix: string): string {
  if (!PREFIX_RE.test(prefix)) {
    throw new ConfigError(
      `The memory key prefix ${JSON.stringify(prefix)} must be 1-64 letters, digits, '_' or '-'.`,
    );
  }
  return prefix;
}

/** The keys of one run: its document, its log and the tenant's listing index. */
export interface RunKeys {
  run: string;
  log: string;
  index: string;
  expiries: string;
  summaries: string;
  running: string;
}

/** The keys of one tenant's listing index. */
export type IndexKeys = Pick<RunKeys, 'index' | 'expiries' | 'summaries' | 'running'>;

/** Builds every key the Redis-family backends use, under one prefix. */
export class KeyBuilder {
  constructor(readonly prefix: string) {
    assertKeyPrefix(prefix);
  }

  /** The keys of a tenant's listing index. */
  index(tenant: string): IndexKeys {
    const t = this.tenant(tenant);
    return {
      index: `${t}:runs`,
      expiries: `${t}:runs:exp`,
      summaries: `${t}:runs:sum`,
      running: `${t}:running`,
    };
  }

  /**
   * The registry of tenants, outside any hash tag: it is written by its own call before a run
   * is created (never inside a commit script), so a Redis Cluster needs no cross-slot script.
   */
  get tenants(): string {
    return `${this.prefix}:tenants`;
  }

  /** The keys a run commit touches. */
  run(tenant: string, runId: string): RunKeys {
    const t = this.tenant(tenant);
    const id = keyPart(runId, 'runId');
    return { run: `${t}:run:${id}`, log: `${t}:log:${id}`, ...this.index(tenant) };
  }

  /** A session's history list and its dedupe tags. */
  history(tenant: string, agentId: string, sessionId: string): { messages: string; tags: string } {
    const t = this.tenant(tenant);
    const scope = `${keyPart(agentId, 'agentId')}:${keyPart(sessionId, 'sessionId')}`;
    return { messages: `${t}:hist:${scope}`, tags: `${t}:hist-tags:${scope}` };
  }

  /** A fact scope's hash and its expiry index. */
  facts(tenant: string, scope: FactScope): { facts: string; expiries: string } {
    const t = this.tenant(tenant);
    const agent = keyPart(scope.agentId, 'agentId');
    const session =
      scope.sessionId === undefined ? '' : `:s:${keyPart(scope.sessionId, 'sessionId')}`;
    return { facts: `${t}:facts:${agent}${session}`, expiries: `${t}:fact-exp:${agent}${session}` };
  }

  /** An agent's usage counter for one bucket of a window (both non-negative integers). */
  usage(tenant: string, agentId: string, window: number, bucket: number): string {
    return `${this.tenant(tenant)}:usage:${keyPart(agentId, 'agentId')}:${usageNumber(window, 'window')}:${usageNumber(bucket, 'bucket')}`;
  }

  /** The pattern matching every key under this prefix (for test clean-up and operators). */
  get pattern(): string {
    return `${this.prefix}:*`;
  }

  private tenant(tenant: string): string {
    return `${this.prefix}:{${keyPart(tenant, 'tenant')}}`;
  }
}

/**
 * Applies state-machine transitions to runs stored in memory. Each event is applied with
 * compare-and-set (concurrent step results retry on conflict and never overwrite each other),
 * recorded as processed in the same write, and only then are its effects made and its outbox
 * handed back for the caller to send (as the reply to the delivery, see EventReply). A
 * redelivered event that already caused the current version gets that outbox again, which
 * covers a crash between the write and the send; receivers drop the duplicates by event id.
 */
import { EventEmitter } from 'node:events';
import { BadRequestError, ConflictError, TransientError } from '../../shared/errors';
import type { Emitter, OutgoingEvent } from '../../shared/events/emit';
import type { Logger } from '../../shared/log';
import type { MemoryClient, SessionTurn } from './memory-client';
import { isSettled, isTerminal, type RunState } from './run-state';
import { record } from '../../shared/telemetry/metrics';
import { endedPhases, recordAuditSpans, recordRunSpans, traceForNewRun, withPhaseContext } from './run-trace';
import { pendingRequests } from './sweeper';
import { onDeadline, type Outcome, type Transition } from './transitions';
import { addWindowUsage } from './window-usage';

const MAX_CAS_ATTEMPTS = 25;
const MAX_CACHED_RUNS = 10_000;
const PROCESSED_KEEP = 256;
const POLL_INTERVAL_MS = 250;

/** A run after an event, and the events that must now be sent for it (nothing is sent yet). */
export interface Applied {
  state: RunState;
  events: OutgoingEvent[];
}

export class RunEngine {
  private readonly changes = new EventEmitter().setMaxListeners(0);
  private readonly locks = new Map<string, Promise<void>>();
  /**
   * The last version of each running run this process wrote. Events are applied from it without
   * a read; if another replica wrote since, the compare-and-set fails and the run is read again,
   * and a cached run that makes an event look stale or done is re-read before that is believed.
   */
  private readonly cache = new Map<string, { state: RunState; version: number }>();
  /** Each running run's deadline timer, so one that ends or moves its deadline drops the old. */
  private readonly deadlines = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly memory: MemoryClient,
    private readonly emitter: Emitter,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Stores a new run (idempotently: an existing run is returned as it is) with its outbox. */
  async create(start: Transition, key: string): Promise<Applied> {
    const state: RunState = { ...start.state, processed: [key], cause: key, trace: traceForNewRun() };
    const phases = endedPhases(undefined, start.log);
    state.phaseStartedAt = phases.startedAt;
    try {
      const { version } = await this.memory.commitRun(state.tenant, state.runId, 0, state, start.log);
      this.remember(state, version);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      const existing = await this.memory.getRun(state.tenant, state.runId);
      if (!existing) throw new TransientError(`Run ${state.runId} vanished while being created.`);
      // The same request again: its outbox once more, in case the first answer was lost.
      return { state: existing.state, events: existing.state.cause === key ? await this.flush(existing.state) : [] };
    }
    this.log.info({ runId: state.runId, agentId: state.agentId }, 'run started');
    this.scheduleDeadline(state);
    record((m) => m.runsStarted.add(1, { 'ddo.agent.id': state.agentId }));
    recordRunSpans(state, phases.ended);
    return { state, events: await this.flush(state) };
  }

  /** Applies `transition` to the stored run for the event `key`, retrying lost races. */
  async apply(tenant: string, runId: string, key: string, transition: (s: RunState, now: number) => Outcome): Promise<Applied> {
    // Events of one run are applied one at a time in this process, so parallel step results
    // queue here instead of racing through the store's compare-and-set; across replicas the
    // compare-and-set still decides.
    const name = `${tenant}/${runId}`;
    const previous = this.locks.get(name) ?? Promise.resolve();
    const mine = previous.then(() => this.applyNow(tenant, runId, key, transition));
    const tail = mine.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(name, tail);
    void tail.then(() => {
      if (this.locks.get(name) === tail) this.locks.delete(name);
    });
    return mine;
  }

  private async applyNow(tenant: string, runId: string, key: string, transition: (s: RunState, now: number) => Outcome): Promise<Applied> {
    const name = `${tenant}/${runId}`;
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const cached = this.cache.get(name);
      const stored = cached ?? (await this.memory.getRun(tenant, runId));
      if (!stored) throw new BadRequestError(`There is no run ${runId} for this event.`, 'data/runId');
      const { state, version } = stored;
      if (state.processed.includes(key)) {
        if (cached) {
          this.cache.delete(name);
          continue;
        }
        return { state, events: state.cause === key ? await this.flush(state) : [] };
      }
      const now = this.now();
      // A run awaiting approval has a deadline too: its earliest approval expiry.
      const overdue = !isTerminal(state.status) && Date.parse(state.deadlineAt) <= now;
      const outcome = overdue ? onDeadline(state, now) : transition(state, now);
      if ('stale' in outcome) {
        if (cached) {
          this.cache.delete(name);
          continue;
        }
        this.log.debug({ runId, key, why: outcome.stale }, 'event no longer applies');
        return { state, events: [] };
      }
      const next = outcome.state;
      next.processed = [...state.processed, key].slice(-PROCESSED_KEEP);
      if (!outcome.isLogOnly) next.cause = key;
      const phases = endedPhases(state, outcome.log);
      next.phaseStartedAt = phases.startedAt;
      // The turn a finished run adds to its session rides with the commit: one request fewer.
      const turn = sessionTurnOf(next);
      try {
        const committed = await this.memory.commitRun(tenant, runId, version, next, outcome.log, turn);
        this.remember(next, committed.version);
      } catch (err) {
        this.cache.delete(name);
        if (err instanceof ConflictError) continue;
        throw err;
      }
      if (outcome.isLogOnly) {
        this.changes.emit(`${tenant}/${runId}`, next);
        return { state: next, events: [] };
      }
      recordRunSpans(next, phases.ended);
      if (isTerminal(next.status)) {
        this.logFinished(next);
        clearTimeout(this.deadlines.get(name));
        this.deadlines.delete(name);
      }
      // Pausing for approval and resuming move the deadline; the timer follows it.
      else if (next.deadlineAt !== state.deadlineAt) this.scheduleDeadline(next);
      return { state: next, events: await this.flush(next, turn !== undefined) };
    }
    throw new TransientError(`Run ${runId} is too contended to update right now.`);
  }

  private remember(state: RunState, version: number): void {
    const name = `${state.tenant}/${state.runId}`;
    this.cache.delete(name);
    if (isTerminal(state.status)) return;
    this.cache.set(name, { state, version });
    // Oldest first out: a bounded cache, since finished runs leave it and stalled ones may not.
    if (this.cache.size > MAX_CACHED_RUNS) this.cache.delete(this.cache.keys().next().value as string);
  }

  /** Reads a run, ending it first if it is past its deadline (so no reader sees an overdue run). */
  async read(tenant: string, runId: string): Promise<RunState | undefined> {
    const state = (await this.memory.getRun(tenant, runId))?.state;
    if (state && !isTerminal(state.status) && Date.parse(state.deadlineAt) <= this.now()) {
      // No delivery to reply to here, so the outbox goes to the broker directly.
      const ended = await this.apply(tenant, runId, `deadline ${runId}`, (s, now) => onDeadline(s, now));
      await this.emitter.emit(ended.events);
      return ended.state;
    }
    return state;
  }

  /**
   * Re-sends what a stalled run is waiting on (see sweeper.ts), or ends it when it is past its
   * deadline. The events keep their ids, so receivers that already have them drop them.
   */
  async redrive(tenant: string, runId: string): Promise<'redriven' | 'ended'> {
    const state = await this.read(tenant, runId);
    if (!state || isTerminal(state.status)) return 'ended';
    const pending = pendingRequests(state);
    if (pending.length > 0) await this.emitter.emit(withPhaseContext(state, pending));
    this.log.info({ runId, phase: state.phase, events: pending.length }, 'stalled run re-driven');
    return 'redriven';
  }

  /**
   * Resolves with the run once it is finished or awaits approval, or `waitMs` has passed.
   * `from` is the run as the caller just had it (a run it created), which saves the first read.
   */
  async waitForRun(tenant: string, runId: string, waitMs: number, from?: RunState): Promise<RunState | undefined> {
    const until = this.now() + waitMs;
    let state = from ? (this.cache.get(`${tenant}/${runId}`)?.state ?? from) : await this.read(tenant, runId);
    for (;;) {
      // A run awaiting approval will not move without a person, so waiting longer is pointless.
      if (!state || isSettled(state.status) || this.now() >= until) return state;
      // A commit in this process comes with the run as written; only a quiet interval (another
      // replica may be moving the run) costs a read.
      const committed = await this.nextChange(tenant, runId, Math.min(POLL_INTERVAL_MS, until - this.now()));
      state = committed ?? (await this.read(tenant, runId));
    }
  }

  /**
   * Waits for the next commit of this run in this process, or `ms`, whichever comes first;
   * resolves with the run as committed, or undefined when the time ran out.
   */
  nextChange(tenant: string, runId: string, ms: number): Promise<RunState | undefined> {
    const name = `${tenant}/${runId}`;
    return new Promise((resolve) => {
      const done = (state?: RunState) => {
        clearTimeout(timer);
        this.changes.off(name, done);
        resolve(state);
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.changes.on(name, done);
    });
  }

  /**
   * Ends the run at its deadline even if no event and no reader ever comes. The timer lives in
   * this process, so a run whose orchestrator restarts is ended by the next read or by the
   * stalled-run sweep (sweeper.ts), whichever comes first.
   */
  private scheduleDeadline(state: RunState): void {
    const name = `${state.tenant}/${state.runId}`;
    clearTimeout(this.deadlines.get(name));
    const delay = Math.max(0, Date.parse(state.deadlineAt) - this.now()) + 50;
    const timer = setTimeout(() => {
      this.deadlines.delete(name);
      this.read(state.tenant, state.runId).catch((err) =>
        this.log.warn({ err, runId: state.runId }, 'could not end an overdue run; the next read will'),
      );
    }, delay);
    timer.unref();
    this.deadlines.set(name, timer);
  }

  /**
   * Makes the state's effects (facts, history unless it went with the commit, window use) and
   * returns its outbox to send.
   */
  private async flush(state: RunState, isTurnStored = false): Promise<OutgoingEvent[]> {
    const { facts } = state.effects ?? {};
    if (facts?.length) {
      const sessionId = state.limits.factScope === 'session' ? state.sessionId : undefined;
      await Promise.all(facts.map((text) => this.memory.putFact(state.tenant, state.agentId, text, sessionId)));
    }
    const turn = isTurnStored ? undefined : sessionTurnOf(state);
    if (turn) await this.memory.appendHistory(state.tenant, turn.agentId, turn.sessionId, turn.messages, turn.keep);
    // A finished run adds its use to its agent's window counters (window budgets) once per
    // commit of the terminal state; see window-usage.ts for the one way it could count twice.
    if (isTerminal(state.status)) await addWindowUsage(this.memory, state);
    recordAuditSpans(state, state.outbox);
    this.changes.emit(`${state.tenant}/${state.runId}`, state);
    return withPhaseContext(state, state.outbox);
  }

  private logFinished(state: RunState): void {
    this.log.info(
      { runId: state.runId, agentId: state.agentId, status: state.status, reason: state.error?.reason, iterations: state.iteration },
      'run finished',
    );
  }
}

/** The messages a state adds to its session's history, if any. */
function sessionTurnOf(state: RunState): SessionTurn | undefined {
  const history = state.effects?.history;
  if (!history?.length) return undefined;
  const at = state.updatedAt;
  return {
    agentId: state.agentId,
    sessionId: state.sessionId,
    messages: history.map((h) => ({ ...h, runId: state.runId, at })),
    keep: Math.max(2, state.limits.historyTurns * 2),
  };
}

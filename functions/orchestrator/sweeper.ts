/**
 * The stalled-run sweeper. Delivery is at least once, but an event can still be lost for good:
 * its retries run out while a store is down (it then sits in the dead-letter sink), or the
 * broker's dispatcher restarts with it in memory. Such a run would wait for a reply that never
 * comes. On each `dev.ddo.sweep.requested` (a PingSource in the cluster, a timer locally), the
 * sweeper finds running runs whose last commit is older than the stall threshold and re-sends
 * what each one waits for. Every re-sent event keeps its deterministic id, so a receiver that
 * already handled it recognises the duplicate; a run past its deadline is ended instead.
 */
import type { CloudEventV1 } from 'cloudevents';
import { parse, type SettingsSpec } from '../../shared/config';
import { EventTypes, type SweepRequested } from '../../shared/events/catalogue';
import type { OutgoingEvent } from '../../shared/events/emit';
import type { Logger } from '../../shared/log';
import type { EventHandlers } from '../../shared/runtime/event-boundary';
import type { RunEngine } from './engine';
import type { MemoryClient } from './memory-client';
import type { RunState } from './run-state';
import { stepRequest } from './transitions';

/** How many stalled runs one sweep re-drives at a time. */
const SWEEP_CONCURRENCY = 16;

/** The sweeper's settings, each declared once. */
export const sweeperSettings = {
  stallSeconds: {
    env: 'DDO_STALL_SECONDS',
    default: 30,
    parse: parse.int(1, 86_400),
    doc: 'A running run with no progress for this long is re-driven by the next sweep.',
  },
  sweepLimit: {
    env: 'DDO_SWEEP_LIMIT',
    default: 500,
    parse: parse.int(1, 1_000),
    doc: 'The most stalled runs per tenant that one sweep re-drives; the next sweep takes the rest.',
  },
} satisfies SettingsSpec;

/** What one sweep did. */
export interface SweepReport {
  stalled: number;
  /** Runs whose pending requests were sent again. */
  redriven: number;
  /** Runs found past their deadline and ended, or already finished by the time they were read. */
  ended: number;
  /** Runs that could not be re-driven this time (the next sweep tries again). */
  errors: number;
  /** True when another sweep was still running in this process, so this one did nothing. */
  skipped: boolean;
}

/**
 * The requests a running run is waiting on: the plan request in PLAN, the reflection's model
 * request in REFLECT, and one step request per running step in ACT. Steps that already
 * succeeded or failed are recorded in the run document and are never requested again, which is
 * what keeps side-effecting tools effectively once across re-drives.
 */
export function pendingRequests(state: RunState): OutgoingEvent[] {
  if (state.status !== 'running') return [];
  switch (state.phase) {
    case 'plan':
    case 'reflect':
      // Entering these phases is one transition whose outbox is exactly the one request.
      return state.outbox;
    case 'act':
      return state.stepOrder
        .map((id) => state.steps[id])
        .filter((step) => step.status === 'running')
        .map((step) => stepRequest(state, step));
    case 'think':
    case 'done':
      return [];
    default: {
      const unreachable: never = state.phase;
      return unreachable;
    }
  }
}

/** Finds and re-drives stalled runs; one sweep at a time per process. */
export class StalledRunSweeper {
  private isSweeping = false;

  constructor(
    private readonly memory: MemoryClient,
    private readonly engine: RunEngine,
    private readonly log: Logger,
    private readonly settings: { stallSeconds: number; sweepLimit: number },
    private readonly now: () => number = Date.now,
  ) {}

  /** Re-drives every run with no commit for `stallSeconds` (default: the setting). */
  async sweep(stallSeconds = this.settings.stallSeconds): Promise<SweepReport> {
    const report: SweepReport = { stalled: 0, redriven: 0, ended: 0, errors: 0, skipped: false };
    if (this.isSweeping) return { ...report, skipped: true };

    this.isSweeping = true;
    try {
      const before = this.now() - stallSeconds * 1_000;
      const stalled = await this.memory.listStalled(before, this.settings.sweepLimit);
      report.stalled = stalled.length;
      for (let i = 0; i < stalled.length; i += SWEEP_CONCURRENCY) {
        const batch = stalled.slice(i, i + SWEEP_CONCURRENCY);
        const results = await Promise.allSettled(batch.map((r) => this.engine.redrive(r.tenant, r.runId)));
        results.forEach((result, j) => {
          if (result.status === 'rejected') {
            report.errors += 1;
            this.log.warn({ err: result.reason, runId: batch[j].runId }, 'could not re-drive a stalled run');
          } else if (result.value === 'redriven') report.redriven += 1;
          else report.ended += 1;
        });
      }
      if (report.stalled > 0) this.log.info({ ...report }, 'stalled runs swept');
      return report;
    } finally {
      this.isSweeping = false;
    }
  }

  /** The orchestrator's handler for the sweep event. */
  handlers(): EventHandlers {
    return {
      [EventTypes.sweepRequested]: async (event: CloudEventV1<SweepRequested>) => {
        const data = (event.data ?? {}) as SweepRequested;
        return this.sweep(data.stallSeconds);
      },
    };
  }
}

/**
 * The stalled-run sweeper's decisions, without a stack: what a stalled run is re-sent in each
 * phase (never a step that already finished: effectively-once tools rest on that), and how a
 * sweep reports, skips overlapping sweeps and survives one run failing.
 */
import { EventTypes } from '../../shared/events/catalogue';
import { createLogger } from '../../shared/log';
import type { RunEngine } from '../../functions/orchestrator/engine';
import type { MemoryClient } from '../../functions/orchestrator/memory-client';
import { pendingRequests, StalledRunSweeper } from '../../functions/orchestrator/sweeper';
import { onStepCompleted, startRun } from '../../functions/orchestrator/transitions';
import {
  actWith,
  applied,
  makeResult,
  makeStart,
  makeStep,
  T0,
} from '../unit/functions/orchestrator/transitions.factories';

const quiet = createLogger('test', { DDO_LOG_LEVEL: 'silent' });

describe('pendingRequests', () => {
  it('re-sends the plan request of a run in PLAN', () => {
    const { state } = startRun(makeStart(), T0);

    const pending = pendingRequests(state);

    expect(pending.map((e) => [e.type, e.id])).toEqual([[EventTypes.planRequested, 'acme.run_1.plan.1']]);
  });

  it('re-sends every running step of a run in ACT, with the ids it was first sent with', () => {
    const state = actWith([makeStep('s1'), makeStep('s2'), makeStep('s3', ['s1'])]);

    const pending = pendingRequests(state);

    expect(pending.map((e) => e.id)).toEqual(['acme.run_1.step.1.s1', 'acme.run_1.step.1.s2']);
    expect(pending).toEqual(state.outbox);
  });

  it('never re-requests a step whose result the run already holds', () => {
    const act = actWith([makeStep('s1'), makeStep('s2'), makeStep('s3', ['s1'])]);
    const after = applied(onStepCompleted(act, makeResult(act, 's1'), T0 + 20)).state;

    const pending = pendingRequests(after);

    // s1 is done, so only s2 (still running) and s3 (started by s1's result) are asked for.
    expect(after.steps.s1.status).toBe('succeeded');
    expect(pending.map((e) => e.id)).toEqual(['acme.run_1.step.1.s2', 'acme.run_1.step.1.s3']);
  });

  it('re-sends nothing for a finished run', () => {
    const act = actWith([makeStep('s1')]);
    const done = { ...act, status: 'completed' as const, phase: 'done' as const };

    expect(pendingRequests(done)).toEqual([]);
  });
});

describe('StalledRunSweeper', () => {
  const stalled = [
    { tenant: 'acme', runId: 'run_1', updatedAt: '2025-01-01T00:00:00.000Z' },
    { tenant: 'acme', runId: 'run_2', updatedAt: '2025-01-01T00:00:00.000Z' },
    { tenant: 'globex', runId: 'run_3', updatedAt: '2025-01-01T00:00:00.000Z' },
  ];

  function makeSweeper(redrive: (tenant: string, runId: string) => Promise<'redriven' | 'ended'>) {
    const listStalled = jest.fn(async () => stalled);
    const memory = { listStalled } as unknown as MemoryClient;
    const engine = { redrive: jest.fn(redrive) } as unknown as RunEngine;
    const sweeper = new StalledRunSweeper(memory, engine, quiet, { stallSeconds: 30, sweepLimit: 50 }, () => T0);
    return { sweeper, listStalled };
  }

  it('asks for runs idle longer than the stall threshold and counts what it did', async () => {
    const { sweeper, listStalled } = makeSweeper(async (_t, runId) => {
      if (runId === 'run_2') throw new Error('memory is down');
      return runId === 'run_3' ? 'ended' : 'redriven';
    });

    const report = await sweeper.sweep();

    expect(listStalled).toHaveBeenCalledWith(T0 - 30_000, 50);
    expect(report).toEqual({ stalled: 3, redriven: 1, ended: 1, errors: 1, skipped: false });
  });

  it('takes the stall threshold from the sweep event when it names one', async () => {
    const { sweeper, listStalled } = makeSweeper(async () => 'redriven');

    await sweeper.handlers()[EventTypes.sweepRequested]?.({ data: { stallSeconds: 5 } } as never);

    expect(listStalled).toHaveBeenCalledWith(T0 - 5_000, 50);
  });

  it('skips a sweep that arrives while another is still running', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { sweeper } = makeSweeper(async () => {
      await gate;
      return 'redriven';
    });

    const first = sweeper.sweep();
    const second = await sweeper.sweep();
    release();

    expect(second.skipped).toBe(true);
    expect((await first).redriven).toBe(3);
  });
});

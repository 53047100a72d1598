/**
 * The store blinks: this suite's private redis-server is frozen (SIGSTOP) in the middle of runs
 * and let go a few seconds later. Freezing rather than killing keeps its port, which a parallel
 * test would otherwise grab; to every client it is the same outage: calls time out.
 * The memory API answers 503 meanwhile, the broker retries, and what runs out of retries is
 * re-sent by the sweeper: every run resumes and completes, and nothing is half-written.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { EventTypes } from '../../shared/events/catalogue';
import { INPUTS, logProblems, startFaultStack, startRuns, until, waitForRuns, type FaultStack } from './helpers';

/** How long the store stays down: longer than one memory call's timeout, shorter than a run. */
const OUTAGE_MS = 3_000;

let fault: FaultStack;

beforeAll(async () => {
  fault = await startFaultStack({ DDO_BROKER_REORDER_MS: '60', DDO_MEMORY_STORE_TIMEOUT_MS: '500' });
}, 60_000);

afterAll(async () => {
  await fault?.dispose();
});

describe('the stack when Redis stops for a few seconds', () => {
  it('resumes every run once Redis is back, with every log whole and every state consistent', async () => {
    let isStopped = false;
    const inputs = [...INPUTS, ...INPUTS, ...INPUTS].map((i) => i.input);

    // Armed once every run exists: creating a run is synchronous, so an outage there is the
    // client's 503 to retry, not a run to resume.
    const runIds = await startRuns(fault.stack, inputs);
    const stop = fault.stack.broker.onAccepted((e) => {
      if (isStopped || e.attributes.type !== EventTypes.stepCompleted) return;
      isStopped = true;
      fault.redis.pause();
    });
    await until(() => isStopped, 20_000, 'Redis to be stopped');
    stop();
    // The outage itself is what is under test, so here a fixed wait is the point.
    await sleep(OUTAGE_MS);
    fault.redis.resume();
    const runs = await waitForRuns(fault.stack, runIds, 60_000);

    runIds.forEach((id, i) => {
      expect({ id, status: runs[id].status, error: runs[id].error }).toEqual({ id, status: 'completed', error: null });
      expect(String(runs[id].output)).toMatch(INPUTS[i % INPUTS.length].expect);
      const steps = runs[id].steps as { status: string }[];
      expect(steps.every((s) => s.status === 'succeeded')).toBe(true);
    });
    for (const id of runIds) expect({ id, problems: await logProblems(fault.stack, id) }).toEqual({ id, problems: [] });
  }, 120_000);
});

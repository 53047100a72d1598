/**
 * SIGKILL of each function in the middle of runs, with several runs in flight. The supervisor
 * starts a new instance (as Knative would), the broker redelivers what the dead one held, and
 * the sweeper re-sends anything lost for good: every run completes, and its log stays whole.
 */
import type { FunctionName } from '../../local/stack';
import { EventTypes } from '../../shared/events/catalogue';
import { INPUTS, logProblems, startFaultStack, startRuns, until, waitForRuns, type FaultStack } from './helpers';

let fault: FaultStack;

beforeAll(async () => {
  // A little reordering keeps events in flight long enough for the kill to land among them.
  fault = await startFaultStack({ DDO_BROKER_REORDER_MS: '60' });
}, 60_000);

afterAll(async () => {
  await fault?.dispose();
});

/**
 * The event whose delivery is in flight to `victim` (or, for memory, to its only caller) when
 * it is killed. All come after a run is created, so the kill lands once every run has started:
 * the API's run creation is synchronous, and a client would see that outage, not a run.
 */
const KILL_ON: Record<Exclude<FunctionName, 'api-gateway'>, string> = {
  orchestrator: EventTypes.stepCompleted,
  planner: EventTypes.modelCompleted,
  executor: EventTypes.stepRequested,
  memory: EventTypes.stepCompleted,
};

describe('the stack when a function is killed mid-run', () => {
  it.each(Object.entries(KILL_ON))('completes every run when the %s is SIGKILLed', async (victim, type) => {
    const name = victim as FunctionName;
    const before = fault.stack.pid(name);
    let isKilled = false;
    const inputs = [...INPUTS, ...INPUTS, ...INPUTS].map((i) => i.input);

    const runIds = await startRuns(fault.stack, inputs);
    const stop = fault.stack.broker.onAccepted((e) => {
      if (isKilled || e.attributes.type !== type) return;
      isKilled = fault.stack.kill(name, 'SIGKILL');
    });
    await until(() => isKilled, 20_000, `${victim} to be killed`);
    stop();
    const runs = await waitForRuns(fault.stack, runIds, 60_000);

    expect(isKilled).toBe(true);
    await until(() => fault.stack.pid(name) !== undefined, 20_000, `${victim} to restart`);
    expect(fault.stack.pid(name)).not.toBe(before);
    runIds.forEach((id, i) => {
      expect({ id, status: runs[id].status, error: runs[id].error }).toEqual({ id, status: 'completed', error: null });
      expect(String(runs[id].output)).toMatch(INPUTS[i % INPUTS.length].expect);
    });
    for (const id of runIds) expect({ id, problems: await logProblems(fault.stack, id) }).toEqual({ id, problems: [] });
  }, 120_000);
});

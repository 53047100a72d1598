/**
 * Every event delivered twice, and held back a random while so that some overtake others: the
 * broker's at-least-once freedom used in full. No step may run twice and no run may end up
 * corrupted. A step's reply measures its own duration, so two executions of one step would
 * send two different replies; the executor replaying its first reply sends identical bytes.
 */
import { EventTypes } from '../../shared/events/catalogue';
import { INPUTS, logProblems, recordEvents, startFaultStack, startRuns, waitForRuns, type FaultStack } from './helpers';

let fault: FaultStack;

beforeAll(async () => {
  fault = await startFaultStack({ DDO_BROKER_DUPLICATE: '1', DDO_BROKER_REORDER_MS: '40' });
}, 60_000);

afterAll(async () => {
  await fault?.dispose();
});

describe('the stack under duplicated and reordered delivery', () => {
  it('completes every run with the right answer, each step run once and each log whole', async () => {
    const seen = recordEvents(fault.stack);
    const inputs = [...INPUTS, ...INPUTS].map((i) => i.input);

    const runIds = await startRuns(fault.stack, inputs);
    const runs = await waitForRuns(fault.stack, runIds, 60_000);
    await fault.stack.broker.whenIdle();
    seen.stop();

    runIds.forEach((id, i) => {
      expect({ id, status: runs[id].status }).toEqual({ id, status: 'completed' });
      expect(String(runs[id].output)).toMatch(INPUTS[i % INPUTS.length].expect);
    });
    for (const id of runIds) expect({ id, problems: await logProblems(fault.stack, id) }).toEqual({ id, problems: [] });

    const replies = new Map<string, Set<string>>();
    for (const e of seen.events.filter((x) => x.attributes.type === EventTypes.stepCompleted)) {
      const bodies = replies.get(e.attributes.id) ?? new Set<string>();
      bodies.add(e.data?.toString('utf8') ?? '');
      replies.set(e.attributes.id, bodies);
    }
    const stepCount = Object.values(runs).reduce((n, r) => n + (r.steps as unknown[]).length, 0);
    expect(replies.size).toBe(stepCount);
    for (const [id, bodies] of replies) expect({ id, executions: bodies.size }).toEqual({ id, executions: 1 });
  }, 90_000);
});

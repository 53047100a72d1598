/**
 * Operations: an event that could not succeed sits in the dead-letter store with its reason;
 * once the cause is fixed, replaying it through the broker finishes the work end to end. The
 * cause here is an agent that was not deployed yet: it is added, the functions are restarted
 * (as a new revision would be), and the dead run request is replayed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Stack } from '../../local/stack';
import { EventTypes } from '../../shared/events/catalogue';
import { startTestStack } from '../e2e/helpers';
import { until, waitForRuns } from './helpers';

let stack: Stack;
let agentsDir: string;

beforeAll(async () => {
  agentsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddo-replay-agents-'));
  fs.copyFileSync(path.resolve(__dirname, '../../agents/demo.yaml'), path.join(agentsDir, 'demo.yaml'));
  ({ stack } = await startTestStack({ DDO_AGENTS_DIR: agentsDir }));
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  fs.rmSync(agentsDir, { recursive: true, force: true });
});

describe('replaying a dead letter once its cause is fixed', () => {
  it('lists the dead event with its reason, and the replay completes the run', async () => {
    const eventId = `late-order-${Date.now()}`;
    const data = { tenant: 'acme', agentId: 'late', runId: 'run_late_order', input: 'What is 6 * 7?' };
    const headers = {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-type': EventTypes.runRequested,
      'ce-source': '/test/replay',
      'ce-id': eventId,
    };
    const sent = await fetch(stack.urls.broker, { method: 'POST', headers, body: JSON.stringify(data) });
    let letter: { id: string; errorCode: number; errorData: string } | undefined;
    await until(async () => {
      const list = (await (await fetch(stack.urls.deadLetters)).json()) as { eventId: string; id: string; errorCode: number; errorData: string }[];
      letter = list.find((l) => l.eventId === eventId);
      return letter !== undefined;
    }, 20_000, 'the dead letter');

    const demo = fs.readFileSync(path.join(agentsDir, 'demo.yaml'), 'utf8');
    fs.writeFileSync(path.join(agentsDir, 'late.yaml'), demo.replace(/^id: demo$/m, 'id: late'));
    await Promise.all((['orchestrator', 'planner', 'executor'] as const).map((name) => stack.restart(name)));
    const replay = await fetch(`${stack.urls.deadLetters}/${letter?.id}/replay`, { method: 'POST' });
    const runs = await waitForRuns(stack, ['run_late_order'], 30_000);

    expect(sent.status).toBe(202);
    expect(letter?.errorCode).toBe(400);
    expect(letter?.errorData).toContain('late');
    expect(replay.status).toBe(202);
    expect(runs.run_late_order).toMatchObject({ status: 'completed', agentId: 'late' });
    expect(String(runs.run_late_order.output)).toMatch(/42/);
  }, 60_000);
});

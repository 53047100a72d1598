/**
 * `ddo events send` and `ddo dead-letters` against the real local stack: a CloudEvent sent by
 * hand starts a run, data that fails the catalogue schema is refused before it is sent, and an
 * event sent anyway ends as a dead letter that can be listed and replayed.
 */
import { randomUUID } from 'node:crypto';
import type { Stack } from '../../local/stack';
import { startTestStack, TENANT_A } from '../e2e/helpers';
import { runCli } from './helpers';

let stack: Stack;
let env: Record<string, string>;

beforeAll(async () => {
  ({ stack } = await startTestStack());
  env = { DDO_URL: stack.urls['api-gateway'], DDO_API_KEY: TENANT_A.key, DDO_BROKER_URL: stack.urls.broker };
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

describe('ddo events send', () => {
  it('posts a run request in binary mode that starts the run', async () => {
    const runId = `run-cli-${randomUUID().slice(0, 8)}`;
    const data = JSON.stringify({ tenant: TENANT_A.tenant, agentId: 'demo', runId, input: 'What is 12 * 12?' });
    const args = ['--type', 'dev.ddo.run.requested', '--data', data, '--id', `ext-${runId}`];

    const sent = await runCli(['events', 'send', ...args], env);
    await stack.broker.whenIdle();
    const shown = await runCli(['runs', 'show', '--follow', '--json', runId], env);

    expect(sent.code).toBe(0);
    expect(sent.stdout).toBe(`sent dev.ddo.run.requested (id ext-${runId}) to ${stack.urls.broker}: HTTP 202\n`);
    expect(JSON.parse(shown.stdout)).toMatchObject({ runId, status: 'completed', output: '12 * 12 = 144.' });
  });

  it('refuses data that fails the catalogue schema with exit 2, naming the field, and sends nothing', async () => {
    const before = stack.broker.counters().received;
    const data = '{"tenant":"acme","input":"hi"}';

    const res = await runCli(['events', 'send', '-t', 'dev.ddo.run.requested', '-d', data], env);

    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/data\/agentId is required for dev\.ddo\.run\.requested/);
    expect(stack.broker.counters().received).toBe(before);
  });
});

describe('ddo dead-letters', () => {
  it('lists an event the receiver refused, with its reason, and replays it', async () => {
    const id = `bad-${randomUUID()}`;
    const data = JSON.stringify({ tenant: TENANT_A.tenant, runId: 'r1', agentId: 'demo' });
    const args = ['-t', 'dev.ddo.plan.created', '-d', data, '--id', id, '--no-validate'];

    const sent = await runCli(['events', 'send', ...args], env);
    await stack.broker.whenIdle();
    const listed = await runCli(['dead-letters'], env);
    const listedJson = await runCli(['dead-letters', '--json'], env);
    const letters = JSON.parse(listedJson.stdout) as { id: string; eventId: string }[];
    const letter = letters.find((l) => l.eventId === id);
    const replayed = await runCli(['dead-letters', 'replay', String(letter?.id)], env);

    expect(sent.code).toBe(0);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`dev\\.ddo\\.plan\\.created +${id} +400 .*data/iteration is required`));
    expect(replayed.code).toBe(0);
    expect(replayed.stdout).toMatch(new RegExp(`^replayed dead letter ${letter?.id} at \\d{4}-`));
  });

  it('exits 1 naming the problem for an unknown dead letter', async () => {
    const res = await runCli(['dead-letters', 'replay', 'no-such-letter'], env);

    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/No dead letter has id no-such-letter/);
  });
});

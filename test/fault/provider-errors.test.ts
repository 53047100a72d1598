/**
 * A model provider that answers 500 to everything (a local OpenAI-compatible fake; the offline
 * provider cannot fail). An agent with a fallback fails over and completes; one without ends
 * failed with a reason and a message that name the provider, and nothing hangs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { openaiError } from '../providers/fakes/openai';
import { startFakeServer, type FakeServer } from '../providers/fakes/server';
import { startFaultStack, startRuns, waitForRuns, type FaultStack } from './helpers';

let fake: FakeServer;
let fault: FaultStack;
let agentsDir: string;

function writeAgent(id: string, model: Record<string, unknown>): void {
  const demo = parseYaml(fs.readFileSync(path.resolve(__dirname, '../../agents/demo.yaml'), 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(path.join(agentsDir, `${id}.yaml`), stringify({ ...demo, id, model }));
}

beforeAll(async () => {
  fake = await startFakeServer(() => openaiError(500, 'The provider is down.'));
  agentsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddo-fault-agents-'));
  writeAgent('demo', { provider: 'offline', name: 'offline-1' });
  writeAgent('down', { provider: 'openai', name: 'gpt-down' });
  writeAgent('down-with-fallback', {
    provider: 'openai',
    name: 'gpt-down',
    fallbacks: [{ provider: 'offline', name: 'offline-1' }],
  });
  fault = await startFaultStack({
    OPENAI_BASE_URL: `${fake.url}/v1`,
    OPENAI_API_KEY: 'test-key',
    DDO_EGRESS_ALLOW_LOCAL: fake.hostPort,
    DDO_AGENTS_DIR: agentsDir,
    DDO_MODEL_RETRY_BASE_MS: '10',
  });
}, 60_000);

afterAll(async () => {
  await fault?.dispose();
  await fake?.close();
  fs.rmSync(agentsDir, { recursive: true, force: true });
});

describe('runs whose model provider answers 500', () => {
  it('fail over to the fallback model and complete', async () => {
    const [runId] = await startRuns(fault.stack, ['What is (17 * 23) + 4?'], 'down-with-fallback');

    const runs = await waitForRuns(fault.stack, [runId], 60_000);

    expect(runs[runId]).toMatchObject({ status: 'completed', error: null });
    expect(String(runs[runId].output)).toMatch(/395/);
    expect(fake.requests.length).toBeGreaterThan(0);
  }, 90_000);

  it('end failed with a reason naming the provider when there is no fallback', async () => {
    const [runId] = await startRuns(fault.stack, ['What is (17 * 23) + 4?'], 'down');

    const runs = await waitForRuns(fault.stack, [runId], 60_000);

    expect(runs[runId].status).toBe('failed');
    const error = runs[runId].error as { reason: string; message: string };
    expect(error.reason).toMatch(/^[a-z_]+$/);
    expect(error.message).toMatch(/openai/i);
  }, 90_000);
});

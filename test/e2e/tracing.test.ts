/**
 * One run is one trace across every service: the real stack exports OTLP/HTTP (JSON) to a
 * receiver in the test, and the spans are checked for services, one trace id and parent links.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Stack } from '../../local/stack';
import { startOtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver';
import { run, startTestStack, TENANT_A } from './helpers';

let stack: Stack;
let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
let output: () => string;
const hooksDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddo-hooks-'));
const auditFile = path.join(hooksDir, 'audit.jsonl');

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  // A user's hooks module: one hook that throws everywhere, one audit sink appending to a file.
  fs.writeFileSync(
    path.join(hooksDir, 'hooks.js'),
    `const fs = require('fs');
module.exports = [
  { name: 'broken', before() { throw new Error('x'); }, after() { throw new Error('y'); }, onError() { throw new Error('z'); } },
  { name: 'audit', after(call, result) { fs.appendFileSync(${JSON.stringify(auditFile)}, JSON.stringify({ kind: call.kind, tool: call.tool, model: result.model }) + '\\n'); } },
];
`,
  );
  ({ stack, output } = await startTestStack({
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '50',
    DDO_LOG_LEVEL: 'info',
    DDO_HOOKS: path.join(hooksDir, 'hooks.js'),
  }));
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

async function spansOfTrace(traceId: string, until: (spans: ReceivedSpan[]) => boolean): Promise<ReceivedSpan[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const spans = receiver.spans.filter((s) => s.traceId === traceId);
    if (until(spans) || Date.now() > deadline) return spans;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('tracing', () => {
  it('yields one trace with spans from every service and phases under the run span', async () => {
    const prompt = 'What is (17 * 23) + 4?';
    const res = await run(stack, prompt, { who: TENANT_A });
    const runId = String(res.body.runId);
    const runSpan = await (async () => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const found = receiver.spans.find((s) => s.name === 'run demo' && s.attributes['ddo.run.id'] === runId);
        if (found || Date.now() > deadline) return found;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    expect(runSpan).toBeDefined();
    const spans = await spansOfTrace(runSpan!.traceId, (all) => new Set(all.map((s) => s.service)).size >= 5);

    const services = new Set(spans.map((s) => s.service));
    expect([...services].sort()).toEqual(['ddo-api-gateway', 'ddo-executor', 'ddo-memory', 'ddo-orchestrator', 'ddo-planner']);
    const phases = spans.filter((s) => s.name.startsWith('phase '));
    expect(phases.map((p) => p.name).sort()).toEqual(['phase act', 'phase plan', 'phase reflect', 'phase think']);
    for (const p of phases) expect(p.parentSpanId).toBe(runSpan!.spanId);
    const act = phases.find((p) => p.name === 'phase act')!;
    const stepSpan = spans.find((s) => s.name === 'process dev.ddo.step.requested');
    expect(stepSpan?.parentSpanId).toBe(act.spanId);
    expect(stepSpan?.attributes['gen_ai.tool.name']).toBe('calculator');
    const planSpan = phases.find((p) => p.name === 'phase plan')!;
    const planner = spans.find((s) => s.name === 'process dev.ddo.plan.requested');
    expect(planner?.parentSpanId).toBe(planSpan.spanId);
    const gateway = spans.find((s) => s.service === 'ddo-api-gateway' && s.name === 'POST /v1/agents/:agentId/runs');
    expect(gateway).toBeDefined();
    const tool = spans.find((s) => s.name === 'execute_tool calculator');
    expect(tool?.parentSpanId).toBe(stepSpan?.spanId);
    expect(tool?.attributes).toMatchObject({ 'gen_ai.tool.name': 'calculator', 'ddo.outcome': 'ok' });
    const chats = spans.filter((s) => s.name === 'chat offline-1');
    expect(chats).toHaveLength(2);
    for (const chat of chats) {
      expect(chat.attributes).toMatchObject({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'offline-1', 'gen_ai.response.model': 'offline-1' });
      expect(chat.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
      expect(chat.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    }
    expect(JSON.stringify(spans)).not.toContain(prompt);
    expect(JSON.stringify(spans)).not.toContain('key-acme');
  });

  it('runs the hooks a user configured, and a hook that throws does not fail the run', async () => {
    const res = await run(stack, 'What is 5 * 5?', { who: TENANT_A });

    const audit = fs.readFileSync(auditFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);

    expect(res.body).toMatchObject({ status: 'completed' });
    expect(String(res.body.output)).toContain('25');
    expect(audit).toEqual(expect.arrayContaining([{ kind: 'tool', tool: 'calculator' }, { kind: 'model', model: 'offline-1' }]));
  });

  it('stamps log lines with trace and span ids and keeps keys and prompts out of them', async () => {
    await run(stack, 'Remember that my secret word is pineapple.', { who: TENANT_A });

    const lines = output().split('\n').filter((l) => l.startsWith('{'));
    const runLines = lines.filter((l) => l.includes('"msg":"run finished"'));

    expect(runLines.length).toBeGreaterThan(0);
    for (const l of runLines) expect(JSON.parse(l)).toEqual(expect.objectContaining({ traceId: expect.stringMatching(/^[0-9a-f]{32}$/), spanId: expect.any(String) }));
    expect(output()).not.toContain('pineapple');
    expect(output()).not.toContain('key-acme');
  });
});

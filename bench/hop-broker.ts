/**
 * A child process running the product's local broker for the hop measurement, in its own
 * process as under the stack. It reads the real manifests (brokers, delivery settings) and
 * keeps the real Trigger for dev.ddo.step.requested; replies, dev.ddo.step.completed, go to the
 * benchmark's sink instead of the orchestrator. Prints its base URL, then runs until stdin closes.
 *
 * Env: DDO_BENCH_EXECUTOR_URL (the executor), DDO_BENCH_SINK_URL (where replies go).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLocalBroker } from '../local/broker';
import { loadManifests, type TriggerManifest } from '../local/manifests';
import { EventTypes } from '../shared/events/catalogue';
import { createLogger } from '../shared/log';
import { REPO_ROOT } from './paths';

async function main(): Promise<void> {
  const executorUrl = process.env.DDO_BENCH_EXECUTOR_URL ?? '';
  const sinkUrl = process.env.DDO_BENCH_SINK_URL ?? '';
  const manifestDirs = [path.join(REPO_ROOT, 'knative'), path.join(REPO_ROOT, 'brokers')];
  const { brokers, triggers } = loadManifests(manifestDirs);
  const stepTrigger = triggers.find((t) => t.spec.filter.attributes.type === EventTypes.stepRequested);
  if (!stepTrigger) throw new Error('knative/ has no Trigger for dev.ddo.step.requested.');

  const sinkTrigger: TriggerManifest = {
    kind: 'Trigger',
    metadata: { name: 'bench-sink', namespace: stepTrigger.metadata.namespace },
    spec: {
      broker: stepTrigger.spec.broker,
      filter: { attributes: { type: EventTypes.stepCompleted } },
      subscriber: { uri: sinkUrl },
      delivery: stepTrigger.spec.delivery,
    },
  };
  // Dead letters, if any, go to a private folder that is removed on exit.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddo-bench-hop-'));
  const broker = createLocalBroker({
    brokers,
    triggers: () => [stepTrigger, sinkTrigger],
    resolveService: (name) => (name === 'ddo-executor' ? executorUrl : undefined),
    dataDir,
    logger: createLogger('bench-broker', { DDO_LOG_LEVEL: 'warn' }),
  });
  const base = await broker.listen(0, '127.0.0.1');
  const key = `${stepTrigger.metadata.namespace}/${stepTrigger.spec.broker}`;
  process.stdout.write(`${base}/${key}\n`);
  process.stdin.on('end', () => {
    void broker.close().then(() => {
      fs.rmSync(dataDir, { recursive: true, force: true });
      process.exit(0);
    });
  });
  process.stdin.resume();
}

main().catch((err: unknown) => {
  process.stderr.write(`The hop broker did not start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

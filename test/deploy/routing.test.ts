import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { createLocalBroker, type LocalBroker } from '../../local/broker';
import { loadManifests, parseManifests, type TriggerManifest } from '../../local/manifests';
import { renderProfile } from '../../scripts/check-deploy/analyze';
import { readSkaffold } from '../../scripts/check-deploy/skaffold';
import { createLogger } from '../../shared/log';
import { REPO } from './repo-copy';

// The local broker routes by knative/ and brokers/ (test/local/broker.test.ts tests that routing
// in depth). These tests prove it is the same routing every skaffold profile deploys.

const LOCAL = loadManifests([path.join(REPO, 'knative'), path.join(REPO, 'brokers')]);
const SKAFFOLD = readSkaffold(REPO).config;
const PROFILES = SKAFFOLD?.profiles ?? [];

/** A profile's rendered Brokers and Triggers, read the way the local broker reads manifests. */
function eventingOf(profileName: string): ReturnType<typeof parseManifests> {
  const profile = PROFILES.find((p) => p.name === profileName);
  if (!profile) throw new Error(`skaffold.yaml has no profile ${profileName}`);
  const eventing = renderProfile(REPO, profile).manifests.filter((m) => ['Trigger', 'Broker'].includes(m.kind));
  return parseManifests(eventing.map((m) => stringify(m.body)).join('---\n'));
}

const byName = (triggers: readonly TriggerManifest[]): TriggerManifest[] =>
  [...triggers].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));

describe('the Triggers every profile deploys', () => {
  test.each(PROFILES.map((p) => p.name))('are the ones the local broker routes by, in profile %s', (name) => {
    const { triggers } = eventingOf(name);

    expect(byName(triggers)).toEqual(byName(LOCAL.triggers));
  });

  it('include the Broker the local broker serves in the dev profile, with its delivery', () => {
    const { brokers } = eventingOf('dev');

    expect(brokers).toEqual(LOCAL.brokers);
  });
});

describe('the local broker routing the dev profile', () => {
  const deliveries = new Map<string, string[]>();
  const servers: http.Server[] = [];
  const urls = new Map<string, string>();
  const { brokers, triggers } = eventingOf('dev');
  let dataDir = '';
  let broker: LocalBroker;
  let brokerUrl = '';

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddo-routing-'));
    broker = createLocalBroker({
      brokers,
      triggers: () => triggers,
      resolveService: (name) => urls.get(name),
      dataDir,
      logger: createLogger('routing-test', { DDO_LOG_LEVEL: 'silent' }),
    });
    const services = [...new Set(triggers.map((t) => t.spec.subscriber.ref?.name ?? ''))];
    for (const service of services) {
      const server = http.createServer((req, res) => {
        deliveries.set(service, [...(deliveries.get(service) ?? []), String(req.headers['ce-id'])]);
        req.resume();
        res.writeHead(202).end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      urls.set(service, `http://127.0.0.1:${(server.address() as { port: number }).port}/`);
      servers.push(server);
    }
    brokerUrl = await broker.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    await broker.close();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const cases = triggers.map((t) => [t.metadata.name, t] as const);

  test.each(cases)('delivers what Trigger %s filters to its subscriber', async (name, trigger) => {
    const { type, ...extensions } = trigger.spec.filter.attributes;
    const headers = {
      'ce-specversion': '1.0',
      'ce-id': `routing-${name}`,
      'ce-source': '/ddo/test',
      'ce-type': type,
      'content-type': 'application/json',
      ...Object.fromEntries(Object.entries(extensions).map(([k, v]) => [`ce-${k}`, v])),
    };

    const res = await fetch(`${brokerUrl}/ddo/default`, { method: 'POST', headers, body: '{}' });
    await broker.whenIdle();

    expect(res.status).toBe(202);
    const receivers = [...deliveries].filter(([, ids]) => ids.includes(`routing-${name}`)).map(([s]) => s);
    expect(receivers).toEqual([trigger.spec.subscriber.ref?.name]);
  });
});

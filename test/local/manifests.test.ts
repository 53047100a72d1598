import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../shared/errors';
import { loadManifests, parseIsoDuration, parseManifests } from '../../local/manifests';

const REPO = path.resolve(__dirname, '..', '..');

describe('parseIsoDuration', () => {
  test.each([
    ['PT0.2S', 200],
    ['PT30S', 30_000],
    ['PT0,5S', 500],
    ['PT5M', 300_000],
    ['PT1.5M', 90_000],
    ['PT1H', 3_600_000],
    ['PT1H30M15S', 5_415_000],
    ['P1D', 86_400_000],
    ['P1DT2H', 93_600_000],
    ['pt2s', 2_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseIsoDuration(text)).toBe(ms);
  });

  test.each(['', 'P', 'PT', 'P1DT', '0.2S', 'PT-1S', 'PT1S2M', 'P1Y', 'P2W', 'PT1.S', '200ms'])(
    'refuses %j with a ConfigError that shows the expected form',
    (text) => {
      expect(() => parseIsoDuration(text)).toThrow(ConfigError);
      expect(() => parseIsoDuration(text)).toThrow(/is not an ISO-8601 duration; write it like PT0\.2S/);
    },
  );
});

describe('parseManifests', () => {
  it('reads Brokers and Triggers from a multi-document text and skips empty and foreign documents', () => {
    const text = [
      '---',
      '# only a comment',
      '---',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: other }',
      '---',
      'apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: { name: b, namespace: ns }',
      '---',
      'apiVersion: eventing.knative.dev/v1\nkind: Trigger\nmetadata: { name: t }\nspec:',
      '  broker: b\n  subscriber: { uri: "http://127.0.0.1:1/x" }',
    ].join('\n');

    const found = parseManifests(text);

    expect(found.brokers).toEqual([{ kind: 'Broker', metadata: { name: 'b', namespace: 'ns' }, spec: {} }]);
    expect(found.triggers).toEqual([
      {
        kind: 'Trigger',
        metadata: { name: 't', namespace: 'default' },
        spec: { broker: 'b', filter: { attributes: {} }, subscriber: { uri: 'http://127.0.0.1:1/x' } },
      },
    ]);
  });

  const trigger = 'kind: Trigger\nmetadata: { name: t }\nspec:';
  const broker = 'kind: Broker\nmetadata: { name: b }\nspec:';

  test.each([
    ['a Trigger without a broker', `${trigger} { subscriber: { uri: x } }`, /spec.broker/],
    ['a Trigger without a subscriber', `${trigger} { broker: b }`, /a ref or a uri/],
    ['a bad backoffDelay', `${broker} { delivery: { backoffDelay: 2s } }`, /backoffDelay/],
    ['a bad backoffPolicy', `${broker} { delivery: { backoffPolicy: x } }`, /backoffPolicy/],
    ['a negative retry', `${broker} { delivery: { retry: -1 } }`, /retry/],
    ['an object without a name', 'kind: Broker\nmetadata: {}', /metadata.name/],
  ])('refuses %s, naming the file and document', (_name, body, message) => {
    const text = `apiVersion: eventing.knative.dev/v1\n${body}`;

    expect(() => parseManifests(text, 'x.yaml')).toThrow(ConfigError);
    expect(() => parseManifests(text, 'x.yaml')).toThrow(/x\.yaml \(document 1\)/);
    expect(() => parseManifests(text, 'x.yaml')).toThrow(message);
  });
});

describe('loadManifests', () => {
  it('loads the repository manifests: broker ddo/default and a Trigger per routed catalogue type', () => {
    const { brokers, triggers } = loadManifests([path.join(REPO, 'knative'), path.join(REPO, 'brokers')]);

    expect(brokers.map((b) => `${b.metadata.namespace}/${b.metadata.name}`)).toEqual(['ddo/default']);
    expect(triggers.length).toBeGreaterThanOrEqual(8);
    for (const t of triggers) {
      expect(t.spec.broker).toBe('default');
      expect(t.spec.delivery?.deadLetterSink?.ref?.name).toBe('ddo-dead-letters');
    }
  });

  it('gives a Trigger without its own delivery spec the delivery spec of its Broker', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddo-manifests-'));
    const broker = [
      'apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: { name: default, namespace: ddo }',
      'spec:\n  delivery:',
      '    { retry: 2, backoffPolicy: linear, backoffDelay: PT1S, deadLetterSink: { uri: "http://dls" } }',
    ].join('\n');
    const trigger = (name: string, extra = '') =>
      `apiVersion: eventing.knative.dev/v1\nkind: Trigger\nmetadata: { name: ${name}, namespace: ddo }\n` +
      `spec:\n  broker: default\n  subscriber: { uri: "http://s" }\n${extra}`;
    fs.writeFileSync(path.join(dir, 'broker.yml'), broker);
    const twoTriggers = `${trigger('a')}\n---\n${trigger('b', '  delivery: { retry: 7 }')}`;
    fs.writeFileSync(path.join(dir, 'triggers.yaml'), twoTriggers);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a manifest');

    const { triggers } = loadManifests([dir]);

    expect(triggers.find((t) => t.metadata.name === 'a')?.spec.delivery).toEqual({
      retry: 2,
      backoffPolicy: 'linear',
      backoffDelay: 'PT1S',
      deadLetterSink: { uri: 'http://dls' },
    });
    expect(triggers.find((t) => t.metadata.name === 'b')?.spec.delivery).toEqual({ retry: 7 });
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

/**
 * The published event contract: docs/asyncapi.yaml and docs/events.md are exactly what the
 * generator makes from the event catalogue, each message's payload is the schema the code
 * validates with, the document is well-formed AsyncAPI 3.0, and the headers it describes are
 * the ones DDO really sends.
 */
import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { CATALOGUE, EventTypes, PURPOSE_ATTRIBUTE } from '../../shared/events/catalogue';
import { toBinaryMessage } from '../../shared/events/emit';
import { generatedFiles, messageName } from '../../scripts/asyncapi';
import { refsIn, resolvePointer } from './openapi-checker';

type Json = Record<string, unknown>;

const root = path.join(__dirname, '../..');
const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
const committed = (rel: string) => fs.readFileSync(path.join(root, rel), 'utf8');
const doc = parse(committed('docs/asyncapi.yaml')) as Json;
const section = (name: string) => doc[name] as Record<string, Json>;

describe('the published event contract', () => {
  it.each(Object.keys(generatedFiles(version)))('%s is up to date with the catalogue (npm run asyncapi)', (rel) => {
    expect(committed(rel)).toBe(generatedFiles(version)[rel]);
  });

  it('uses exactly the catalogue schema as each message payload', () => {
    for (const def of CATALOGUE) {
      const message = (section('components').messages as Record<string, Json>)[messageName(def.type)];

      expect(message.name).toBe(def.type);
      expect(message.payload).toEqual(def.schema);
    }
  });

  it('has a channel and a send operation per event type, and a receive operation per consumed type', () => {
    const operations = Object.values(section('operations'));

    for (const def of CATALOGUE) {
      const channel = section('channels')[messageName(def.type)];
      const ref = `#/channels/${messageName(def.type)}`;
      const on = (action: string) =>
        operations.filter((o) => o.action === action && (o.channel as Json).$ref === ref);
      expect(channel.address).toBe(def.type);
      expect(on('send')).toHaveLength(1);
      expect(on('receive')).toHaveLength(def.consumers.length > 0 ? 1 : 0);
    }
    expect(Object.keys(section('channels'))).toHaveLength(CATALOGUE.length);
  });

  it('is structurally valid AsyncAPI 3.0 with every $ref resolving', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    expect(doc.info).toMatchObject({ title: expect.any(String), version });
    for (const server of Object.values(section('servers'))) {
      expect(server).toMatchObject({ host: expect.any(String), protocol: 'http' });
    }
    for (const op of Object.values(section('operations'))) {
      expect(['send', 'receive']).toContain(op.action);
      // An operation's messages must be messages of its own channel.
      const ownMessages = `${String((op.channel as Json).$ref)}/messages/`;
      for (const m of op.messages as Json[]) expect(String(m.$ref)).toMatch(new RegExp(`^${ownMessages}`));
    }
    expect(refsIn(doc).filter(({ ref }) => resolvePointer(doc, ref) === undefined)).toEqual([]);
  });

  it.each([
    [EventTypes.runRequested, { tenant: 'acme', agentId: 'demo', input: 'What is 2 + 2?' }, {}],
    [
      EventTypes.modelRequested,
      {
        ...{ tenant: 'acme', runId: 'r1', agentId: 'demo', iteration: 1 },
        ...{ purpose: 'plan', attempt: 1, messages: [{ role: 'user', content: 'hi' }], stepsLeft: 4 },
      },
      { [PURPOSE_ATTRIBUTE]: 'plan' },
    ],
  ])('describes the binary-mode headers DDO sends with %s', (type, data, extensions) => {
    const ajv = new Ajv({ strict: false, validateSchema: false });
    addFormats(ajv);
    ajv.addSchema(doc, 'urn:ddo:asyncapi');
    const { headers, body } = toBinaryMessage('api-gateway', { type, id: 'e-1', data, extensions });

    const validateHeaders = ajv.compile({ $ref: `urn:ddo:asyncapi#/components/messages/${messageName(type)}/headers` });
    const validatePayload = ajv.compile({ $ref: `urn:ddo:asyncapi#/components/messages/${messageName(type)}/payload` });

    expect(validateHeaders(headers)).toBe(true);
    expect(validatePayload(JSON.parse(body))).toBe(true);
  });
});

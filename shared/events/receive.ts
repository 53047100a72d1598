/**
 * Turns an HTTP request into a validated CloudEvent: spec attributes checked with the
 * `cloudevents` SDK (binary or structured mode), the type looked up in the catalogue, and the
 * `data` checked against its JSON Schema. Every failure is a BadRequestError naming what is
 * wrong, so the broker does not retry it and the dead-letter sink records the reason.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { HTTP, type CloudEventV1 } from 'cloudevents';
import { BadRequestError } from '../errors';
import { assertValid } from '../schema';
import { definitionOf } from './catalogue';

const REQUIRED_ATTRIBUTES = ['specversion', 'id', 'source', 'type'] as const;
const ATTRIBUTE_NAME = /^[a-z0-9]+$/;

/** Parses and validates an incoming event; `body` is the raw request body as text. */
export function parseEvent<T>(headers: IncomingHttpHeaders, body: string): CloudEventV1<T> {
  const isStructured = String(headers['content-type'] ?? '').startsWith('application/cloudevents+json');
  checkRequiredAttributes(headers, body, isStructured);

  let event: CloudEventV1<unknown>;
  try {
    event = HTTP.toEvent({ headers: headers as Record<string, string>, body }) as CloudEventV1<unknown>;
  } catch (err) {
    throw new BadRequestError(`The CloudEvent is invalid: ${(err as Error).message}.`, 'event');
  }
  if (Array.isArray(event)) throw new BadRequestError('Send one CloudEvent per request, not a batch.', 'event');

  const definition = definitionOf(event.type);
  if (!definition) {
    throw new BadRequestError(`Unknown event type ${JSON.stringify(event.type)}; see the event catalogue.`, 'type');
  }
  const data = assertValid<T>(definition.schema, event.data, 'data');
  return { ...(event as CloudEventV1<T>), data };
}

function checkRequiredAttributes(headers: IncomingHttpHeaders, body: string, isStructured: boolean): void {
  let attrs: Record<string, unknown> = {};
  if (isStructured) {
    try {
      attrs = JSON.parse(body) as Record<string, unknown>;
    } catch {
      throw new BadRequestError('The structured CloudEvent body is not valid JSON.', 'body');
    }
    if (typeof attrs !== 'object' || attrs === null || Array.isArray(attrs)) {
      throw new BadRequestError('The structured CloudEvent body must be a JSON object.', 'body');
    }
  } else {
    for (const name of REQUIRED_ATTRIBUTES) attrs[name] = headers[`ce-${name}`];
  }
  // CloudEvents 1.0 §3.1.1: attribute names are lower-case ASCII letters and digits only.
  const names = isStructured
    ? Object.keys(attrs).filter((n) => n !== 'data' && n !== 'data_base64')
    : Object.keys(headers).filter((h) => h.toLowerCase().startsWith('ce-')).map((h) => h.slice(3).toLowerCase());
  const badName = names.find((n) => !ATTRIBUTE_NAME.test(n));
  if (badName !== undefined) {
    const where = isStructured ? badName : `ce-${badName}`;
    throw new BadRequestError(`The CloudEvent attribute name ${JSON.stringify(where)} is not lower-case letters and digits.`, where);
  }
  for (const name of REQUIRED_ATTRIBUTES) {
    const value = attrs[name];
    if (typeof value !== 'string' || value === '') {
      const where = isStructured ? name : `ce-${name}`;
      throw new BadRequestError(`The CloudEvent attribute ${where} is missing or empty.`, where);
    }
  }
  if (attrs.specversion !== '1.0') {
    throw new BadRequestError(`specversion ${JSON.stringify(attrs.specversion)} is not supported; send 1.0.`, 'specversion');
  }
}

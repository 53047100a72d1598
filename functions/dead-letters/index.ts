/**
 * ddo-dead-letters: the cluster's dead-letter sink. The broker sends it every event that could
 * not be delivered, with Knative's error extensions; it records each one as an error log line
 * (with the decoded reason) and keeps the most recent in memory for `GET /`. The log line is
 * the durable record (it goes wherever the cluster ships logs); replay is the local broker's
 * job or an operator's with the logged event. Registered as the HTTP function `deadLetters`.
 */
import * as functions from '@google-cloud/functions-framework';
import type { Request, Response } from 'express';
import { HTTP, type CloudEventV1 } from 'cloudevents';
import { BadRequestError, MethodNotAllowedError } from '../../shared/errors';
import { createLogger } from '../../shared/log';
import { httpBoundary, rawText } from '../../shared/runtime/boundary';

const log = createLogger('ddo-dead-letters');
const KEEP = 1_000;
const recent: Record<string, unknown>[] = [];

function decode(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  return Buffer.from(value, 'base64').toString('utf8');
}

async function receive(req: Request, res: Response): Promise<void> {
  if (req.method === 'GET') {
    res.json({ deadLetters: [...recent].reverse() });
    return;
  }
  if (req.method !== 'POST') throw new MethodNotAllowedError(req.method, ['GET', 'POST']);
  let event: CloudEventV1<unknown>;
  try {
    event = HTTP.toEvent({ headers: req.headers as Record<string, string>, body: rawText(req) }) as CloudEventV1<unknown>;
  } catch (err) {
    throw new BadRequestError(`Not a CloudEvent: ${(err as Error).message}.`, 'event');
  }
  const entry = {
    receivedAt: new Date().toISOString(),
    eventId: event.id,
    type: event.type,
    source: event.source,
    errorCode: event.knativeerrorcode ?? null,
    errorDest: event.knativeerrordest ?? null,
    errorData: decode(event.knativeerrordata),
    data: event.data ?? null,
  };
  recent.push(entry);
  if (recent.length > KEEP) recent.shift();
  log.error(entry, 'dead letter');
  res.status(202).end();
}

functions.http('deadLetters', httpBoundary(log, receive));

/**
 * The local stand-in for Knative Eventing's broker: the ingress publishers POST CloudEvents to,
 * the trigger filter that delivers them with the manifests' retry and dead-letter settings, and
 * the `ddo-dead-letters` sink the manifests name. It follows the Knative data plane wherever that
 * is observable from outside: statuses, retries, backoff, reply events and error extensions.
 *
 * @see https://github.com/knative/specs/blob/main/specs/eventing/data-plane.md
 */
import http from 'node:http';
import path from 'node:path';
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { CloudEvent, HTTP } from 'cloudevents';
import {
  BadRequestError,
  DdoError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from '../shared/errors';
import { parse, type SettingsOf, type SettingsSpec } from '../shared/config';
import { PROBLEM_CONTENT_TYPE, toProblem } from '../shared/http/problem';
import { createLogger, type Logger } from '../shared/log';
import { DeadLetterStore } from './dead-letter-store';
import { parseIsoDuration } from './manifests';
import type { BrokerManifest, DeliverySpec, DestinationSpec, TriggerManifest } from './manifests';
import { send } from '../shared/http/transport';
import { record } from '../shared/telemetry/metrics';

/** A CloudEvent as the broker moves it: attributes (extensions included) as strings, data as bytes. */
export interface BrokerEvent {
  attributes: Record<string, string>;
  data?: Buffer;
}

/**
 * Opt-in fault injection for the fault suite, each setting declared once: Knative promises at
 * least once, not exactly once nor in order, and these make the local broker use that freedom.
 */
export const brokerFaultSettings = {
  duplicate: {
    env: 'DDO_BROKER_DUPLICATE',
    default: false,
    parse: parse.bool,
    doc: 'Deliver every event to every matching Trigger twice (for fault tests).',
  },
  reorderMs: {
    env: 'DDO_BROKER_REORDER_MS',
    default: 0,
    parse: parse.int(0, 10_000),
    doc: 'Hold each delivery back a random 0..N ms, so events overtake each other (for fault tests).',
  },
} satisfies SettingsSpec;

/** The fault-injection switches; all off by default. */
export type BrokerFaults = SettingsOf<typeof brokerFaultSettings>;

/** What `createLocalBroker` needs; only the manifests and the service resolver are required. */
export interface LocalBrokerOptions {
  brokers: readonly BrokerManifest[];
  /** Called for every event, so tests (or a reload) can change routing and delivery on the fly. */
  triggers: () => readonly TriggerManifest[];
  /** Maps a Knative Service name (a `ref` of kind Service) to its URL, or undefined if unknown. */
  resolveService: (name: string) => string | undefined;
  /** Where `dead-letters.jsonl` lives; default `.ddo`. */
  dataDir?: string;
  /** Largest request body the ingress and the dead-letter sink accept; default 1 MiB. */
  maxBodyBytes?: number;
  /** Per-attempt delivery timeout when a delivery spec sets none; default 60 s. */
  attemptTimeoutMs?: number;
  logger?: Logger;
  faults?: Partial<BrokerFaults>;
}

/** Running totals, for tests and benchmarks. */
export interface BrokerCounters {
  /** Events accepted at the ingress, replies and replays included. */
  received: number;
  /** Deliveries a subscriber answered with 2xx. */
  delivered: number;
  /** Attempts made after a first one failed. */
  retried: number;
  /** Events a dead-letter sink accepted. */
  deadLettered: number;
  /** Events that reached neither their subscriber nor a dead-letter sink (each one is logged). */
  failed: number;
}

/** One entry of `GET /dead-letters`, with Knative's error extensions decoded. */
export interface DeadLetterView {
  id: string;
  eventId: string;
  type: string;
  source: string;
  broker: string;
  errorCode: number | null;
  errorDest: string | null;
  /** The failed response's body as text (Knative truncates it to 1024 base64 characters). */
  errorData: string | null;
  receivedAt: string;
  replayedAt: string | null;
}

/** The running broker. */
export interface LocalBroker {
  server: http.Server;
  /** Starts listening; resolves with the base URL. Port 0 picks a free port. */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops accepting, abandons pending retries (logging each event) and closes the server. */
  close(): Promise<void>;
  counters(): BrokerCounters;
  deadLetters(): DeadLetterView[];
  /** Resolves once no delivery, retry, reply or dead-letter send is in flight. */
  whenIdle(): Promise<void>;
  /** Calls `listener` with every event the ingress accepts (replies and replays too); returns an unsubscribe. */
  onAccepted(listener: (event: BrokerEvent) => void): () => void;
}

const DEFAULT_MAX_BODY_BYTES = 1_048_576;
const DEFAULT_ATTEMPT_TIMEOUT_MS = 60_000;
const REQUIRED_ATTRIBUTES = ['specversion', 'id', 'source', 'type'] as const;
// Knative's broker keeps a hop budget in this extension: the ingress sets it, the filter strips
// it before delivery and re-attaches it to replies. Knative re-attaches it unchanged; the local
// broker lowers it per reply hop, so a reply loop ends in a dead letter instead of spinning.
const TTL_ATTRIBUTE = 'knativebrokerttl';
const DEFAULT_TTL = 255;
const ARRIVAL_ATTRIBUTE = 'knativearrivaltime';
const ERROR_ATTRIBUTES = ['knativeerrordest', 'knativeerrorcode', 'knativeerrordata'] as const;
// kncloudevents/attributes: knativeerrordata is the base64 body, cut to this many characters.
const ERROR_DATA_MAX_LENGTH = 1024;
// Tells our own dead-letter sink which broker an event came from, so a replay goes back there.
const BROKER_HEADER = 'ddo-broker';
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

type HeaderBag = Record<string, string | string[] | undefined>;

interface SendResult {
  /** Undefined when no response arrived (connection refused, reset, timeout). */
  status: number | undefined;
  headers: HeaderBag;
  body: Buffer;
}

/** A delivery spec turned into numbers: attempts, waits and the sink of last resort. */
export interface DeliveryPolicy {
  retry: number;
  backoffMs: (retriesDone: number) => number;
  timeoutMs: number;
  deadLetterSink?: DestinationSpec;
}

/** Creates the broker; call `listen` to serve it. Dead letters from earlier runs are reloaded. */
export function createLocalBroker(opts: LocalBrokerOptions): LocalBroker {
  const log = opts.logger ?? createLogger('ddo-broker');
  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const store = new DeadLetterStore(path.join(opts.dataDir ?? '.ddo', 'dead-letters.jsonl'), log);
  const counts: BrokerCounters = { received: 0, delivered: 0, retried: 0, deadLettered: 0, failed: 0 };
  const shutdown = new AbortController();
  // Every held or backed-off delivery listens on it; thousands in flight are normal under load.
  setMaxListeners(0, shutdown.signal);
  let inFlight = 0;
  let idleWaiters: Array<() => void> = [];
  let baseUrl = '';
  const listeners = new Set<(event: BrokerEvent) => void>();
  const copies = opts.faults?.duplicate ? 2 : 1;
  const reorderMs = opts.faults?.reorderMs ?? 0;

  const brokerKeyOf = (b: BrokerManifest): string => `${b.metadata.namespace}/${b.metadata.name}`;
  const ingressUrl = (key: string): string => `${baseUrl}/${key}`;

  const track = (work: Promise<void>, event: BrokerEvent): void => {
    inFlight += 1;
    work
      .catch((err: unknown) => {
        counts.failed += 1;
        const why = shutdown.signal.aborted ? 'abandoned at shutdown' : 'delivery crashed';
        log.error({ err, eventId: event.attributes.id, type: event.attributes.type }, `event ${why}`);
      })
      .finally(() => {
        inFlight -= 1;
        if (inFlight > 0) return;
        const waiters = idleWaiters;
        idleWaiters = [];
        waiters.forEach((resolve) => resolve());
      });
  };

  /** The ingress step: stamp the event as Knative's ingress does and fan it out to matching triggers. */
  const accept = (brokerKey: string, incoming: BrokerEvent): void => {
    const { [TTL_ATTRIBUTE]: rawTtl, ...attributes } = incoming.attributes;
    const ttl = rawTtl === undefined ? DEFAULT_TTL : Number(rawTtl);
    if (!Number.isInteger(ttl) || ttl <= 0) {
      const why = `The event's ${TTL_ATTRIBUTE} is ${rawTtl}: it has been replied to too many times.`;
      throw new BadRequestError(why, `ce-${TTL_ATTRIBUTE}`);
    }
    const arrival = { [ARRIVAL_ATTRIBUTE]: new Date().toISOString() };
    const event = { attributes: { ...attributes, ...arrival }, data: incoming.data };
    counts.received += 1;
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (err) {
        log.warn({ err }, 'an event listener threw; the event is delivered anyway');
      }
    }
    for (const trigger of opts.triggers()) {
      if (`${trigger.metadata.namespace}/${trigger.spec.broker}` !== brokerKey) continue;
      if (!matches(trigger.spec.filter.attributes, event.attributes)) continue;
      for (let copy = 0; copy < copies; copy++) {
        if (reorderMs === 0) {
          track(deliver(brokerKey, trigger, event, ttl), event);
          continue;
        }
        const holdMs = Math.floor(Math.random() * reorderMs);
        const held = sleep(holdMs, undefined, { signal: shutdown.signal });
        track(held.then(() => deliver(brokerKey, trigger, event, ttl)), event);
      }
    }
  };

  const deliver = async (
    brokerKey: string,
    trigger: TriggerManifest,
    event: BrokerEvent,
    ttl: number,
  ): Promise<void> => {
    const policy = policyOf(trigger.spec.delivery, opts.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS);
    const where = `${trigger.metadata.namespace}/${trigger.metadata.name}`;
    const url = resolveDestination(trigger.spec.subscriber);
    if (!url) {
      const body = Buffer.from(`dispatch error: the subscriber of Trigger ${where} resolves to no URL`);
      return deadLetter(brokerKey, event, '', { status: undefined, headers: {}, body }, policy);
    }
    // Knative asks every subscriber for a reply event, whether or not the trigger has a reply target.
    const headers = { ...toBinaryHeaders(event), prefer: 'reply' };
    const result = await sendWithRetries(url, headers, event.data, policy);
    if (!isSuccess(result.status)) return deadLetter(brokerKey, event, url, result, policy);

    counts.delivered += 1;
    log.debug({ eventId: event.attributes.id, trigger: where, status: result.status }, 'event delivered');
    if (!isEventResponse(result.headers)) return;
    try {
      const reply = readEventMessage(result.headers, result.body);
      accept(brokerKey, { ...reply, attributes: { ...reply.attributes, [TTL_ATTRIBUTE]: String(ttl - 1) } });
    } catch (err) {
      // In Knative the reply goes to the broker ingress; when that refuses it (400), the original
      // event is dead-lettered with the ingress as the failed destination.
      const body = Buffer.from(JSON.stringify(toProblem(err)));
      await deadLetter(brokerKey, event, ingressUrl(brokerKey), { status: 400, headers: {}, body }, policy);
    }
  };

  const deadLetter = async (
    brokerKey: string,
    event: BrokerEvent,
    errorDest: string,
    failure: SendResult,
    policy: DeliveryPolicy,
  ): Promise<void> => {
    // Knative reports a delivery that never got a response as a 500 with a "dispatch error" body.
    const code = failure.status ?? 500;
    const fields = { eventId: event.attributes.id, type: event.attributes.type, errorDest, errorCode: code };
    const sink = policy.deadLetterSink && resolveDestination(policy.deadLetterSink);
    if (!sink) {
      counts.failed += 1;
      const errorData = failure.body.toString('utf8', 0, 512);
      log.error({ ...fields, errorData }, 'event undeliverable and no dead-letter sink is set');
      return;
    }
    const attributes = {
      ...event.attributes,
      knativeerrordest: errorDest,
      knativeerrorcode: String(code),
      knativeerrordata: failure.body.toString('base64').slice(0, ERROR_DATA_MAX_LENGTH),
    };
    const headers = { ...toBinaryHeaders({ attributes, data: event.data }), [BROKER_HEADER]: brokerKey };
    const result = await sendWithRetries(sink, headers, event.data, policy);
    if (isSuccess(result.status)) {
      counts.deadLettered += 1;
      record((m) => m.deadLetters.add(1, { 'cloudevents.event_type': String(event.attributes.type) }));
      log.warn(fields, 'event dead-lettered');
      return;
    }
    counts.failed += 1;
    const sinkStatus = result.status ?? null;
    log.error({ ...fields, sink, sinkStatus }, 'event undeliverable and its dead-letter sink failed too');
  };

  const sendWithRetries = async (
    url: string,
    headers: Record<string, string>,
    body: Buffer | undefined,
    policy: DeliveryPolicy,
  ): Promise<SendResult> => {
    for (let retriesDone = 0; ; retriesDone += 1) {
      const result = await sendOnce(url, headers, body, policy.timeoutMs);
      const isFinal = isSuccess(result.status) || !isRetryable(result.status) || retriesDone >= policy.retry;
      if (isFinal) return result;
      counts.retried += 1;
      record((m) => m.brokerRetries.add(1, { 'url.full': url }));
      await sleep(policy.backoffMs(retriesDone), undefined, { signal: shutdown.signal });
    }
  };

  const sendOnce = async (
    url: string,
    headers: Record<string, string>,
    body: Buffer | undefined,
    timeoutMs: number,
  ): Promise<SendResult> => {
    try {
      // Redirects are not followed: a 3xx is a failed delivery, as for any non-2xx answer.
      const res = await send('POST', url, { headers, body, timeoutMs, signal: shutdown.signal });
      const resHeaders = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, String(v)]));
      return { status: res.status, headers: resHeaders, body: res.body };
    } catch (err) {
      if (shutdown.signal.aborted) throw err;
      const cause = (err as { cause?: Error }).cause;
      const why = `${(err as Error).message}${cause?.message ? `: ${cause.message}` : ''}`;
      return { status: undefined, headers: {}, body: Buffer.from(`dispatch error: ${why}`) };
    }
  };

  const resolveDestination = (dest: DestinationSpec): string | undefined => {
    if (!dest.ref) return dest.uri;

    const base = dest.ref.kind === 'Service' ? opts.resolveService(dest.ref.name) : undefined;
    if (!base || !dest.uri) return base;
    // Knative resolves a uri given beside a ref relative to the ref's address.
    return new URL(dest.uri, base.endsWith('/') ? base : `${base}/`).toString();
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const { pathname } = new URL(req.url ?? '/', 'http://broker.invalid');
    const parts = pathname.split('/').filter(Boolean).map(decodePathSegment);

    if (pathname === '/healthz') {
      allow(req, ['GET', 'HEAD']);
      return sendJson(res, 200, { status: 'ok' });
    }
    if (parts[0] === 'dead-letters' && parts.length === 1) {
      allow(req, ['GET', 'POST']);
      if (req.method === 'GET') return sendJson(res, 200, store.list());
      const event = readEventMessage(req.headers, await readBody(req, maxBodyBytes));
      const fallback = opts.brokers[0] ? brokerKeyOf(opts.brokers[0]) : '';
      const entry = await store.add(event, singleHeader(req.headers[BROKER_HEADER]) ?? fallback);
      return sendJson(res, 202, { id: entry.id });
    }
    if (parts[0] === 'dead-letters' && parts.length === 3 && parts[2] === 'replay') {
      allow(req, ['POST']);
      const entry = store.get(parts[1]);
      if (!entry) throw new NotFoundError(`No dead letter has id ${parts[1]}; GET /dead-letters lists them.`);
      if (!opts.brokers.some((b) => brokerKeyOf(b) === entry.broker)) {
        throw new NotFoundError(`Dead letter ${entry.id} came from broker ${entry.broker}, which is gone.`);
      }
      accept(entry.broker, withoutDeliveryExtensions(store.eventOf(entry)));
      const replayedAt = await store.markReplayed(entry.id);
      return sendJson(res, 202, { id: entry.id, replayedAt });
    }
    const broker = opts.brokers.find((b) => parts.length === 2 && brokerKeyOf(b) === parts.join('/'));
    if (!broker) {
      const known = opts.brokers.map((b) => `/${brokerKeyOf(b)}`).join(', ') || 'none';
      throw new NotFoundError(`No broker serves ${pathname}; POST events to one of: ${known}.`);
    }
    allow(req, ['POST']);
    accept(brokerKeyOf(broker), readEventMessage(req.headers, await readBody(req, maxBodyBytes)));
    res.writeHead(202).end();
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => sendProblem(req, res, err));
  });

  return {
    server,
    listen: (port = 0, host = '127.0.0.1') =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as { port: number };
          baseUrl = `http://${host}:${address.port}`;
          resolve(baseUrl);
        });
      }),
    close: async () => {
      shutdown.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await Promise.all([closed, inFlight === 0 ? undefined : new Promise<void>((r) => idleWaiters.push(r))]);
      await store.flush();
    },
    counters: () => ({ ...counts }),
    deadLetters: () => store.list(),
    whenIdle: () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => idleWaiters.push(r))),
    onAccepted: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/**
 * Knative's delivery semantics (kncloudevents/retries.go over go-retryablehttp): `retry` extra
 * attempts, and before retry k+1 (k = retries already made, starting at 0) a wait of
 * backoffDelay·2^k when exponential (delay, 2·delay, 4·delay, …) or backoffDelay·k when linear
 * (0, delay, 2·delay, …). Without both a policy and a delay, retries follow at once.
 */
export function policyOf(
  spec: DeliverySpec | undefined,
  defaultTimeoutMs = DEFAULT_ATTEMPT_TIMEOUT_MS,
): DeliveryPolicy {
  const delayMs = spec?.backoffDelay ? parseIsoDuration(spec.backoffDelay) : 0;
  const backoffMs =
    spec?.backoffPolicy === 'exponential'
      ? (k: number) => delayMs * 2 ** k
      : spec?.backoffPolicy === 'linear'
        ? (k: number) => delayMs * k
        : () => 0;
  return {
    retry: spec?.retry ?? 0,
    backoffMs,
    timeoutMs: spec?.timeout ? parseIsoDuration(spec.timeout) : defaultTimeoutMs,
    deadLetterSink: spec?.deadLetterSink,
  };
}

/** Knative's SelectiveRetry: no response, 5xx, 404, 408, 409 and 429 are worth another attempt. */
export function isRetryable(status: number | undefined): boolean {
  return status === undefined || status >= 500 || [404, 408, 409, 429].includes(status);
}

function isSuccess(status: number | undefined): boolean {
  return status !== undefined && status >= 200 && status < 300;
}

/** Trigger filter: every attribute equal; an empty value matches anything, as in Knative. */
function matches(filter: Record<string, string>, attributes: Record<string, string>): boolean {
  return Object.entries(filter).every(([name, want]) => want === '' || attributes[name] === want);
}

/** Reads a CloudEvent in HTTP binary or structured mode; throws a 4xx DdoError naming what is wrong. */
export function readEventMessage(headers: HeaderBag, body: Buffer): BrokerEvent {
  const contentType = singleHeader(headers['content-type']);
  if (contentType?.startsWith('application/cloudevents-batch')) {
    throw new UnsupportedMediaTypeError(contentType, 'one CloudEvent, in binary or structured mode');
  }
  const isStructured = contentType?.startsWith('application/cloudevents') ?? false;
  const event = isStructured ? readStructured(body) : readBinary(headers, body);
  validate(event, isStructured ? (name) => `/${name}` : (name) => `ce-${name}`);
  return event;
}

function readBinary(headers: HeaderBag, body: Buffer): BrokerEvent {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower.startsWith('ce-')) attributes[lower.slice(3)] = decodeHeaderValue(value);
  }
  if (attributes.specversion === undefined && attributes.id === undefined) {
    throw new BadRequestError(
      'The request is not a CloudEvent: send ce-specversion, ce-id, ce-source and ce-type headers ' +
        '(binary mode) or an application/cloudevents+json body (structured mode).',
      'ce-specversion',
    );
  }
  // In binary mode the Content-Type header is the datacontenttype attribute.
  delete attributes.datacontenttype;
  const contentType = singleHeader(headers['content-type']);
  if (contentType) attributes.datacontenttype = contentType;
  return body.length > 0 ? { attributes, data: body } : { attributes };
}

function readStructured(body: Buffer): BrokerEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    const why = (err as Error).message;
    throw new BadRequestError(`The structured-mode body is not valid JSON: ${why}.`, 'body');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BadRequestError('A structured-mode CloudEvent must be one JSON object.', 'body');
  }
  const { data, data_base64: dataBase64, ...rest } = parsed as Record<string, unknown>;
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(rest)) {
    if (value === null) continue; // the JSON format writes an absent attribute as null
    if (!['string', 'number', 'boolean'].includes(typeof value)) {
      const why = `The CloudEvent attribute ${name} must be a string, number or boolean.`;
      throw new BadRequestError(why, `/${name}`);
    }
    attributes[name] = String(value);
  }
  if (typeof dataBase64 === 'string') return { attributes, data: Buffer.from(dataBase64, 'base64') };
  if (data === undefined || data === null) return { attributes };

  // The JSON format implies application/json when datacontenttype is absent; binary mode must say so.
  attributes.datacontenttype ??= 'application/json';
  const isJson = /^(application\/([\w.-]+\+)?json|text\/json)\b/i.test(attributes.datacontenttype);
  return { attributes, data: Buffer.from(typeof data === 'string' && !isJson ? data : JSON.stringify(data)) };
}

/** Checks the attributes with the CloudEvents SDK; the data stays opaque, as at Knative's ingress. */
function validate(event: BrokerEvent, fieldOf: (attribute: string) => string): void {
  const { attributes } = event;
  for (const name of REQUIRED_ATTRIBUTES) {
    if (!attributes[name]) {
      const field = fieldOf(name);
      throw new BadRequestError(`The CloudEvent is missing its required ${field} attribute.`, field);
    }
  }
  if (attributes.specversion !== '1.0') {
    const field = fieldOf('specversion');
    const got = attributes.specversion;
    throw new BadRequestError(`The CloudEvent ${field} ${got} is not supported; send 1.0.`, field);
  }
  // The SDK quietly replaces an unparseable time with "now", so check it first.
  if (attributes.time !== undefined && !RFC3339.test(attributes.time)) {
    const field = fieldOf('time');
    throw new BadRequestError(`The CloudEvent ${field} must be an RFC 3339 timestamp.`, field);
  }
  try {
    const headers = toBinaryHeaders({ attributes });
    (HTTP.toEvent({ headers, body: undefined }) as CloudEvent<unknown>).validate();
  } catch (err) {
    if (err instanceof DdoError) throw err;
    const first = (err as { errors?: Array<{ instancePath?: string; message?: string }> }).errors?.[0];
    const name = first?.instancePath?.slice(1);
    if (name) throw new BadRequestError(`The CloudEvent ${fieldOf(name)} ${first?.message}.`, fieldOf(name));
    throw new BadRequestError(`The CloudEvent is invalid: ${(err as Error).message.split('\n')[0]}.`);
  }
}

/** The binary-mode headers of an event; the W3C trace context also travels as plain headers. */
export function toBinaryHeaders(event: BrokerEvent): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.attributes)) {
    if (name === 'datacontenttype') headers['content-type'] = value;
    else headers[`ce-${name}`] = encodeHeaderValue(value);
  }
  for (const name of ['traceparent', 'tracestate']) {
    if (event.attributes[name]) headers[name] = encodeHeaderValue(event.attributes[name]);
  }
  return headers;
}

/** Whether a response carries a CloudEvent (binary or structured), as Knative decides for replies. */
function isEventResponse(headers: HeaderBag): boolean {
  const contentType = String(headers['content-type'] ?? '');
  return headers['ce-specversion'] !== undefined || /^application\/cloudevents\+json/i.test(contentType);
}

/**
 * CloudEvents HTTP binding 3.1.3.2: space, `"`, `%` and anything outside printable ASCII are
 * percent-encoded as UTF-8 in header values.
 */
function encodeHeaderValue(value: string): string {
  return value.replace(/[^\x21-\x7e]|["%]/gu, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

function decodeHeaderValue(raw: string | string[] | undefined): string {
  const value = singleHeader(raw) ?? '';
  // Node reads header bytes as latin1; a sender that skipped percent-encoding likely sent UTF-8.
  const text = /[^\x00-\x7f]/.test(value) ? Buffer.from(value, 'latin1').toString('utf8') : value;
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // a literal % from a sender that does not percent-encode
  }
}

function withoutDeliveryExtensions(event: BrokerEvent): BrokerEvent {
  const attributes = { ...event.attributes };
  for (const name of [...ERROR_ATTRIBUTES, ARRIVAL_ATTRIBUTE]) delete attributes[name];
  return { ...event, attributes };
}

function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // malformed escapes match no route and end as a 404
  }
}

function singleHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

function allow(req: http.IncomingMessage, methods: string[]): void {
  if (!methods.includes(req.method ?? '')) throw new MethodNotAllowedError(req.method ?? '?', methods);
}

async function readBody(req: http.IncomingMessage, limitBytes: number): Promise<Buffer> {
  if (Number(req.headers['content-length'] ?? 0) > limitBytes) throw new PayloadTooLargeError(limitBytes);

  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw new PayloadTooLargeError(limitBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function sendProblem(req: http.IncomingMessage, res: http.ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const problem = toProblem(err);
  const headers: Record<string, string> = { 'content-type': PROBLEM_CONTENT_TYPE };
  if (err instanceof MethodNotAllowedError) headers.allow = err.allow.join(', ');
  if (!req.complete) {
    // The rest of the body is unwanted (too large): drain it and do not reuse the connection.
    headers.connection = 'close';
    req.resume();
  }
  res.writeHead(problem.status, headers).end(JSON.stringify(problem));
}

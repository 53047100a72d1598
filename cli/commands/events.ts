/**
 * `ddo events send`: posts one CloudEvent in HTTP binary mode to a broker ingress, as another
 * system in the mesh would. Data for a catalogue type is checked against its JSON Schema first
 * (the receiver would refuse it anyway, into the dead-letter sink); `--no-validate` sends it
 * regardless, which is how to see a dead letter on purpose.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { CloudEvent, HTTP } from 'cloudevents';
import { definitionOf } from '../../shared/events/catalogue';
import { describeError, validatorFor } from '../../shared/schema';
import { expectOk, send } from '../client';
import type { CommandContext } from '../context';
import { EXIT, UsageError } from '../errors';

/** Options of `ddo events send`. */
export interface SendEventOptions {
  type: string;
  /** JSON text, or `@path` to read it from a file. */
  data: string;
  source: string;
  id?: string;
  ext: string[];
  validate: boolean;
}

/** Sends the event; resolves with the exit code. */
export async function sendEventCommand(
  opts: SendEventOptions,
  ctx: CommandContext,
): Promise<number> {
  const data = parseData(opts.data);
  const definition = definitionOf(opts.type);
  if (definition && opts.validate) {
    const validate = validatorFor(definition.schema);
    if (!validate(data)) {
      const { message } = describeError(validate.errors, 'data');
      const hint = '(see docs/events.md); --no-validate sends it anyway';
      throw new UsageError(`${message} for ${opts.type} ${hint}.`);
    }
  }
  if (!definition) {
    ctx.err(`note: ${opts.type} is not in DDO's event catalogue, so no DDO trigger routes it.\n`);
  }

  let event: CloudEvent<unknown>;
  try {
    event = new CloudEvent({
      specversion: '1.0',
      type: opts.type,
      source: opts.source,
      id: opts.id ?? randomUUID(),
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      data,
      ...parseExtensions(opts.ext),
    });
  } catch (err) {
    throw new UsageError(`The CloudEvent is invalid: ${(err as Error).message}`);
  }
  const message = HTTP.binary(event);
  const url = ctx.settings.brokerUrl;
  const res = await send('the broker', url, {
    method: 'POST',
    headers: message.headers as Record<string, string>,
    body: message.body as string,
    signal: AbortSignal.timeout(15_000),
  });
  await expectOk(res);
  ctx.out(`sent ${event.type} (id ${event.id}) to ${url}: HTTP ${res.status}\n`);
  return EXIT.ok;
}

function parseData(raw: string): unknown {
  let text = raw;
  if (raw.startsWith('@')) {
    try {
      text = fs.readFileSync(raw.slice(1), 'utf8');
    } catch (err) {
      throw new UsageError(`Cannot read --data file ${raw.slice(1)}: ${(err as Error).message}`);
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new UsageError(`--data is not valid JSON: ${(err as Error).message}`);
  }
}

function parseExtensions(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const name = pair.slice(0, at);
    // CloudEvents extension names are lower-case letters and digits only (spec 1.0, naming).
    if (at <= 0 || !/^[a-z0-9]{1,20}$/.test(name)) {
      const want = 'name=value with a lower-case alphanumeric name';
      throw new UsageError(`--ext takes ${want}, not ${JSON.stringify(pair)}.`);
    }
    out[name] = pair.slice(at + 1);
  }
  return out;
}

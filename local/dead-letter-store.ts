/**
 * The local `ddo-dead-letters` sink's store, kept beside the broker that writes to it: events
 * that could not be delivered, with Knative's error extensions, listed and replayed on request.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../shared/log';
import type { BrokerEvent, DeadLetterView } from './broker';

/** A dead letter as stored: the event's attributes and data, and its replay mark. */
export interface StoredDeadLetter {
  id: string;
  broker: string;
  receivedAt: string;
  replayedAt: string | null;
  attributes: Record<string, string>;
  /** base64 */
  data?: string;
}

/**
 * The `ddo-dead-letters` sink: an append-only JSON-lines file, folded into memory at start.
 * Lines are `{"op":"stored",...}` or `{"op":"replayed","id","at"}`, so a crash loses at most
 * the line being written.
 */
export class DeadLetterStore {
  private readonly entries = new Map<string, StoredDeadLetter>();
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: string,
    private readonly log: Logger,
  ) {
    if (!fs.existsSync(file)) return;
    fs.readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, index) => {
        if (line.trim() === '') return;
        try {
          const { op, at, ...entry } = JSON.parse(line) as { op: string; at?: string } & StoredDeadLetter;
          if (op === 'stored') this.entries.set(entry.id, entry);
          const stored = this.entries.get(entry.id);
          if (op === 'replayed' && stored) stored.replayedAt = at ?? null;
        } catch {
          log.warn({ file, line: index + 1 }, 'skipping an unreadable dead-letter line');
        }
      });
  }

  async add(event: BrokerEvent, broker: string): Promise<StoredDeadLetter> {
    const entry: StoredDeadLetter = {
      id: randomUUID(),
      broker,
      receivedAt: new Date().toISOString(),
      replayedAt: null,
      attributes: event.attributes,
      ...(event.data && { data: event.data.toString('base64') }),
    };
    this.entries.set(entry.id, entry);
    await this.append({ op: 'stored', ...entry });
    return entry;
  }

  get(id: string): StoredDeadLetter | undefined {
    return this.entries.get(id);
  }

  eventOf(entry: StoredDeadLetter): BrokerEvent {
    return { attributes: entry.attributes, ...(entry.data && { data: Buffer.from(entry.data, 'base64') }) };
  }

  async markReplayed(id: string): Promise<string> {
    const at = new Date().toISOString();
    const entry = this.entries.get(id);
    if (entry) entry.replayedAt = at;
    await this.append({ op: 'replayed', id, at });
    return at;
  }

  list(): DeadLetterView[] {
    return [...this.entries.values()].map((e) => {
      const { knativeerrorcode: code, knativeerrordest: dest, knativeerrordata: data } = e.attributes;
      return {
        id: e.id,
        eventId: e.attributes.id,
        type: e.attributes.type,
        source: e.attributes.source,
        broker: e.broker,
        errorCode: code === undefined || code === '' ? null : Number(code),
        errorDest: dest ?? null,
        errorData: data === undefined ? null : Buffer.from(data, 'base64').toString('utf8'),
        receivedAt: e.receivedAt,
        replayedAt: e.replayedAt,
      };
    });
  }

  flush(): Promise<void> {
    return this.writes;
  }

  /** Appends one line; writes are chained so lines never interleave and keep their order. */
  private append(record: object): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    const write = this.writes.then(async () => {
      await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
      await fs.promises.appendFile(this.file, line);
    });
    this.writes = write.catch((err: unknown) => {
      this.log.error({ err, file: this.file }, 'dead-letter write failed');
    });
    return write;
  }
}

/**
 * Span ids the platform decides itself. A run's span and its phase spans outlive any one
 * process, so their ids are derived from the run id: every service can name them as a parent
 * before they are recorded, and the orchestrator records them when the run or phase ends.
 */
import { createHash } from 'node:crypto';

/** Where the ids that are not preset come from: OpenTelemetry's own random generator. */
export interface IdSource {
  generateTraceId(): string;
  generateSpanId(): string;
}

// Set only for the synchronous span start inside `withPresetSpanId`, so no other span sees it.
let presetSpanId: string | undefined;

// A run names the same few derived ids on every event it sends and again when its phases end,
// so recent ones are kept rather than hashed again; cleared whole once it reaches the bound.
const recentDerived = new Map<string, string>();
const MAX_RECENT_DERIVED = 1_024;

/** A 16-hex-digit span id derived from `parts`; never the invalid all-zero id. */
export function derivedSpanId(...parts: (string | number)[]): string {
  const key = parts.join('\u0000');
  const known = recentDerived.get(key);
  if (known) return known;

  const hex = createHash('sha256').update(key).digest('hex').slice(0, 16);
  const id = hex === '0000000000000000' ? '0000000000000001' : hex;
  if (recentDerived.size >= MAX_RECENT_DERIVED) recentDerived.clear();
  recentDerived.set(key, id);
  return id;
}

/**
 * Runs `fn`, which must start its span synchronously, so that the first span the SDK creates
 * inside it gets `spanId`; spans created after that, or after `fn` returns, get random ids.
 */
export function withPresetSpanId<T>(spanId: string, fn: () => T): T {
  presetSpanId = spanId;
  try {
    return fn();
  } finally {
    presetSpanId = undefined;
  }
}

/**
 * The SDK's id generator: the random ids of `random`, except for the one span started inside
 * `withPresetSpanId`. Random ids come from OpenTelemetry's generator (Math.random into a shared
 * buffer) because a crypto call per span costs far more than the span itself.
 */
export class PresetIdGenerator {
  constructor(private readonly random: IdSource) {}

  generateTraceId(): string {
    return this.random.generateTraceId();
  }

  generateSpanId(): string {
    const id = presetSpanId;
    if (id === undefined) return this.random.generateSpanId();

    presetSpanId = undefined;
    return id;
  }
}

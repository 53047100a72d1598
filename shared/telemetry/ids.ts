/**
 * Span ids the platform decides itself. A run's span and its phase spans outlive any one
 * process, so their ids are derived from the run id: every service can name them as a parent
 * before they are recorded, and the orchestrator records them when the run or phase ends.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomBytes } from 'node:crypto';

const preset = new AsyncLocalStorage<string>();

/** A 16-hex-digit span id derived from `parts`; never the invalid all-zero id. */
export function derivedSpanId(...parts: (string | number)[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16);
  return hex === '0000000000000000' ? '0000000000000001' : hex;
}

/** Runs `fn` so that the next span the SDK creates inside it gets `spanId`. */
export function withPresetSpanId<T>(spanId: string, fn: () => T): T {
  return preset.run(spanId, fn);
}

/**
 * The SDK's id generator: random ids, except inside `withPresetSpanId`, where the span id is the
 * preset one (used once: nested spans get random ids again).
 */
export class PresetIdGenerator {
  generateTraceId(): string {
    return randomBytes(16).toString('hex');
  }

  generateSpanId(): string {
    const id = preset.getStore();
    if (id) {
      preset.enterWith('');
      return id;
    }
    return randomBytes(8).toString('hex');
  }
}

/**
 * Span ids: random ones come from the injected source, a preset one goes to exactly the one span
 * started inside `withPresetSpanId`, and derived ones are stable for the same parts.
 */
import { createHash } from 'node:crypto';
import {
  derivedSpanId,
  PresetIdGenerator,
  withPresetSpanId,
  type IdSource,
} from '../../../../shared/telemetry/ids';

function countingSource(): IdSource & { spanIds: number } {
  const source = {
    spanIds: 0,
    generateTraceId: () => 'a'.repeat(32),
    generateSpanId: () => `${++source.spanIds}`.padStart(16, '0'),
  };
  return source;
}

describe('PresetIdGenerator', () => {
  it('takes trace and span ids from its source outside withPresetSpanId', () => {
    const source = countingSource();
    const ids = new PresetIdGenerator(source);

    const traceId = ids.generateTraceId();
    const spanId = ids.generateSpanId();

    expect(traceId).toBe('a'.repeat(32));
    expect(spanId).toBe('0000000000000001');
  });

  it('gives the preset id to the first span only, then random ids again', () => {
    const source = countingSource();
    const ids = new PresetIdGenerator(source);

    const inside = withPresetSpanId('00000000000000ff', () => [ids.generateSpanId(), ids.generateSpanId()]);
    const after = ids.generateSpanId();

    expect(inside).toEqual(['00000000000000ff', '0000000000000001']);
    expect(after).toBe('0000000000000002');
  });

  it('drops an unused preset id once the function returns or throws', () => {
    const ids = new PresetIdGenerator(countingSource());

    const throwing = () => {
      throw new Error('no span');
    };

    withPresetSpanId('00000000000000aa', () => undefined);
    expect(() => withPresetSpanId('00000000000000bb', throwing)).toThrow('no span');

    expect(ids.generateSpanId()).toBe('0000000000000001');
  });
});

describe('derivedSpanId', () => {
  it('derives the same 16-hex-digit id from the same parts, and another from other parts', () => {
    const first = derivedSpanId('run_1', 1, 'plan');

    const again = derivedSpanId('run_1', 1, 'plan');
    const other = derivedSpanId('run_1', 1, 'act');

    expect(first).toMatch(/^[0-9a-f]{16}$/);
    expect(again).toBe(first);
    expect(other).not.toBe(first);
  });

  it('is the first 64 bits of the SHA-256 of the parts joined by NUL', () => {
    const id = derivedSpanId('run_1', 'run');

    expect(id).toBe(createHash('sha256').update('run_1\u0000run').digest('hex').slice(0, 16));
  });
});

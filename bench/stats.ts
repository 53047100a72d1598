/**
 * Summary statistics for benchmark samples. Percentiles use the nearest-rank method, so every
 * reported figure is a value that was actually measured (no interpolation between samples).
 */

/** What every measured series is reduced to. */
export interface Summary {
  n: number;
  median: number;
  p99: number;
  min: number;
  max: number;
  mean: number;
}

/** The nearest-rank percentile `p` (0–100) of `samples`; NaN for an empty list. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  if (p < 0 || p > 100) throw new RangeError(`A percentile must be within 0..100, not ${p}.`);

  const sorted = [...samples].sort((a, b) => a - b);
  // Nearest rank: the smallest value with at least p% of the samples at or below it.
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/** The median; for an even count, the mean of the two middle values. */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;

  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Reduces `samples` to a Summary; every field is NaN when there are none. */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) {
    const nan = Number.NaN;
    return { n: 0, median: nan, p99: nan, min: nan, max: nan, mean: nan };
  }
  const total = samples.reduce((sum, x) => sum + x, 0);
  return {
    n: samples.length,
    median: median(samples),
    p99: percentile(samples, 99),
    min: Math.min(...samples),
    max: Math.max(...samples),
    mean: total / samples.length,
  };
}

/** subject / baseline, or NaN when the baseline is zero or missing. */
export function ratio(subject: number, baseline: number): number {
  if (!Number.isFinite(subject) || !Number.isFinite(baseline) || baseline === 0) return Number.NaN;
  return subject / baseline;
}

/** A number with `digits` significant figures for tables (1234 → "1234", 0.01234 → "0.0123"). */
export function formatNumber(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return '–';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 10 ** digits) return String(Math.round(value));
  return String(Number(value.toPrecision(digits)));
}

/** "median (p99 x)" or "median (min–max)" for a table cell, with the unit after the median. */
export function formatSummary(s: Summary, unit: string, spread: 'p99' | 'range' = 'p99'): string {
  if (s.n === 0) return '–';
  const tail = spread === 'p99'
    ? `p99 ${formatNumber(s.p99)}`
    : `${formatNumber(s.min)}–${formatNumber(s.max)}`;
  return `${formatNumber(s.median)} ${unit} (${tail})`;
}

/** Runs every step once per round, rotating which goes first; each step gets the round index. */
export async function interleave(
  rounds: number,
  steps: ReadonlyArray<(round: number) => Promise<void>>,
): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    // Rotating the start removes any systematic first-mover advantage (caches, CPU frequency).
    for (let k = 0; k < steps.length; k++) await steps[(round + k) % steps.length](round);
  }
}

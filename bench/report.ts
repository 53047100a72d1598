/**
 * The benchmark's results: rows of subject vs baseline measured in the same run, targets with
 * PASS or GAP, and the markdown table printed to the terminal and written to results.md.
 */
import os from 'node:os';
import { formatNumber, formatSummary, ratio, type Summary } from './stats';

/** A target on a ratio; `isMet` is decided when the row is made. */
export interface Target {
  text: string;
  isMet: boolean;
}

/** One line of the results table. */
export interface Row {
  /** The item number, 1–8. */
  item: number;
  measure: string;
  unit: string;
  subject: Summary;
  baselineLabel?: string;
  baseline?: Summary;
  /** Subject over baseline, on medians unless the section says otherwise. */
  ratio?: number;
  spread?: 'p99' | 'range';
  target?: Target;
  note?: string;
}

/** The machine the figures come from, and how busy it was. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGib: number;
  node: string;
  kernel: string;
  loadAverageStart: number[];
  loadAverageEnd?: number[];
}

/** Everything a run of the harness produces (results.json). */
export interface BenchResults {
  mode: 'quick' | 'full';
  startedAt: string;
  finishedAt?: string;
  durationSeconds?: number;
  machine: MachineInfo;
  rows: Row[];
  notes: string[];
  /** Section-specific detail: growth curves, hop components, the profile summary. */
  details: Record<string, unknown>;
}

/** At most `limit`× the baseline (smaller is better). */
export function atMost(value: number, limit: number, unit = '×'): Target {
  return { text: `≤ ${limit}${unit}`, isMet: Number.isFinite(value) && value <= limit };
}

/** At least `limit`× the baseline (larger is better). */
export function atLeast(value: number, limit: number, unit = '×'): Target {
  return { text: `≥ ${limit}${unit}`, isMet: Number.isFinite(value) && value >= limit };
}

/** A row comparing two summaries on their medians. */
export function compare(fields: Omit<Row, 'ratio'> & { ratio?: number }): Row {
  const onMedians = fields.baseline ? ratio(fields.subject.median, fields.baseline.median) : undefined;
  const r = fields.ratio ?? onMedians;
  return { ...fields, ratio: r };
}

/** The machine description, read at the start of a run. */
export function describeMachine(): MachineInfo {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGib: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
    loadAverageStart: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
}

/** The results table in markdown, one row per figure. */
export function renderTable(rows: readonly Row[]): string {
  const lines = [
    '| # | measure | DDO | baseline | ratio | target |',
    '|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    const subject = formatSummary(row.subject, row.unit, row.spread);
    const baseline = row.baseline
      ? `${row.baselineLabel ?? 'baseline'}: ${formatSummary(row.baseline, row.unit, row.spread)}`
      : row.baselineLabel ?? '–';
    const r = row.ratio === undefined ? '–' : `${formatNumber(row.ratio)}×`;
    const target = row.target ? `${row.target.text} **${row.target.isMet ? 'PASS' : 'GAP'}**` : '–';
    const measure = row.note ? `${row.measure} (${row.note})` : row.measure;
    lines.push(`| ${row.item} | ${measure} | ${subject} | ${baseline} | ${r} | ${target} |`);
  }
  return lines.join('\n');
}

/** The whole results.md: machine, table, targets summary and notes. */
export function renderMarkdown(results: BenchResults): string {
  const m = results.machine;
  const targets = results.rows.filter((r) => r.target);
  const met = targets.filter((r) => r.target?.isMet).length;
  return [
    `# DDO benchmark (${results.mode}), ${results.startedAt}`,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGib} GiB, ${m.kernel}, Node ${m.node}; ` +
      `load average ${m.loadAverageStart.join(' / ')} at start` +
      (m.loadAverageEnd ? `, ${m.loadAverageEnd.join(' / ')} at end` : '') +
      (results.durationSeconds ? `; ${results.durationSeconds} s in all.` : '.'),
    '',
    'Every figure is a median with its p99 (or min–max) beside it; every ratio divides two ' +
      'medians measured in the same run, with subject and baseline interleaved.',
    '',
    renderTable(results.rows),
    '',
    `Targets met: ${met} of ${targets.length}.`,
    '',
    ...results.notes.map((n) => `- ${n}`),
    '',
  ].join('\n');
}

/** What each section gets: the mode, where rows and details go, and a progress line printer. */
export interface BenchContext {
  isQuick: boolean;
  results: BenchResults;
  log(line: string): void;
}

/**
 * Terminal output: optional colour, durations and aligned columns. Colour is used only on a
 * terminal, never when NO_COLOR is set (https://no-color.org) or TERM is `dumb`, so piped output
 * and logs stay plain text.
 */

/** Text styles; each is the identity when colour is off. */
export interface Styles {
  bold(s: string): string;
  dim(s: string): string;
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

/** Whether to colour output written to `stream`. */
export function isColorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/** Builds the styles for `isEnabled`. */
export function stylesFor(isEnabled: boolean): Styles {
  const sgr = (open: number, close: number) => (s: string) =>
    isEnabled ? `\u001b[${open}m${s}\u001b[${close}m` : s;
  return {
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    green: sgr(32, 39),
    red: sgr(31, 39),
    yellow: sgr(33, 39),
    cyan: sgr(36, 39),
  };
}

/** A run or step status, green when it went well, red when not, yellow while running. */
export function styleStatus(status: string, s: Styles): string {
  if (status === 'completed' || status === 'succeeded') return s.green(status);
  if (status === 'failed') return s.red(status);
  return status === 'running' ? s.yellow(status) : status;
}

/** `850 ms`, `1.25 s`, `2 m 5 s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} m ${Math.round((ms - minutes * 60_000) / 1_000)} s`;
}

/** Milliseconds between two ISO timestamps, or undefined when either is missing. */
export function between(from: unknown, to: unknown): number | undefined {
  if (typeof from !== 'string' || typeof to !== 'string') return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Left-aligned columns separated by two spaces; the header row is styled by `header`. */
export function table(rows: string[][], header: (s: string) => string = (s) => s): string {
  const width = (col: number) => Math.max(...rows.map((r) => visibleLength(r[col] ?? '')));
  const pad = (cell: string, col: number) => cell + ' '.repeat(width(col) - visibleLength(cell));
  return rows
    .map((row, i) => {
      // The last column is not padded, so lines carry no trailing spaces.
      const cells = row.map((cell, col) => (col < row.length - 1 ? pad(cell, col) : cell));
      const line = cells.join('  ');
      return i === 0 ? header(line) : line;
    })
    .join('\n');
}

/** A value as compact one-line JSON, cut to `max` characters. */
export function compactJson(value: unknown, max = 120): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function visibleLength(s: string): number {
  // eslint-disable-next-line no-control-regex -- strips the SGR sequences stylesFor adds
  return s.replace(/\u001b\[\d+m/g, '').length;
}

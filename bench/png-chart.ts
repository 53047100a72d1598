/**
 * Line charts as PNG files, drawn pixel by pixel with pngjs and the built-in bitmap font: a
 * title, both axes with ticks and labels, grid lines, one coloured line per series and a legend.
 * Small on purpose: enough for a reader to see the shape of a curve at a glance.
 */
import { PNG } from 'pngjs';
import { drawText, GLYPH_HEIGHT, textWidth } from './bitmap-font';

/** One line of a chart: points in x order. */
export interface ChartSeries {
  label: string;
  points: ReadonlyArray<{ x: number; y: number }>;
}

/** What a chart shows. */
export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly ChartSeries[];
  /** A log-scale x axis, for x values spanning decades (1, 10, 100, 1000). */
  isLogX?: boolean;
  width?: number;
  height?: number;
}

type Rgb = readonly [number, number, number];

const COLORS: readonly Rgb[] = [[31, 119, 180], [214, 39, 40], [44, 160, 44], [148, 103, 189]];
const AXIS: Rgb = [40, 40, 40];
const GRID: Rgb = [225, 225, 225];
const MARGIN = { left: 64, right: 16, top: 28, bottom: 44 };

/** Draws the chart and returns the PNG file's bytes. */
export function renderLineChart(spec: ChartSpec): Buffer {
  const width = spec.width ?? 640;
  const height = spec.height ?? 360;
  const png = new PNG({ width, height });
  png.data.fill(255);
  const set = (x: number, y: number, [r, g, b]: Rgb) => {
    const px = Math.round(x);
    const py = Math.round(y);
    if (px < 0 || py < 0 || px >= width || py >= height) return;
    const i = (py * width + px) * 4;
    png.data[i] = r;
    png.data[i + 1] = g;
    png.data[i + 2] = b;
    png.data[i + 3] = 255;
  };
  const text = (x: number, y: number, s: string, color: Rgb = AXIS, isVertical = false) =>
    drawText((px, py) => set(px, py, color), x, y, s, 1, isVertical);

  const plot = { x0: MARGIN.left, y0: height - MARGIN.bottom, x1: width - MARGIN.right, y1: MARGIN.top };
  const points = spec.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.y));
  const xs = points.map((p) => p.x);
  const fx = spec.isLogX ? (x: number) => Math.log10(Math.max(x, 1e-9)) : (x: number) => x;
  const xMin = Math.min(...xs.map(fx));
  const xMax = Math.max(...xs.map(fx));
  const yTicks = niceTicks(0, Math.max(...points.map((p) => p.y), 1e-9));
  const yMax = yTicks[yTicks.length - 1];
  const toX = (x: number) => plot.x0 + ((fx(x) - xMin) / (xMax - xMin || 1)) * (plot.x1 - plot.x0);
  const toY = (y: number) => plot.y0 - (y / yMax) * (plot.y0 - plot.y1);

  // Grid and y ticks first, so the data lines are drawn over them.
  for (const t of yTicks) {
    const y = toY(t);
    line(set, plot.x0, y, plot.x1, y, GRID);
    const label = formatTick(t);
    text(plot.x0 - 6 - textWidth(label), y - 3, label);
  }
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    const px = toX(x);
    line(set, px, plot.y0, px, plot.y0 + 4, AXIS);
    const label = formatTick(x);
    text(px - textWidth(label) / 2, plot.y0 + 8, label);
  }
  line(set, plot.x0, plot.y0, plot.x1, plot.y0, AXIS);
  line(set, plot.x0, plot.y0, plot.x0, plot.y1, AXIS);
  text((width - textWidth(spec.title)) / 2, 8, spec.title);
  text((plot.x0 + plot.x1 - textWidth(spec.xLabel)) / 2, height - 14, spec.xLabel);
  text(8, (plot.y0 + plot.y1 + textWidth(spec.yLabel)) / 2, spec.yLabel, AXIS, true);

  spec.series.forEach((series, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = series.points
      .filter((p) => Number.isFinite(p.y))
      .map((p) => ({ x: toX(p.x), y: toY(p.y) }));
    pts.slice(1).forEach((p, k) => thickLine(set, pts[k].x, pts[k].y, p.x, p.y, color));
    for (const p of pts) square(set, p.x, p.y, 2, color);
    // Legend, top-left inside the plot area.
    const ly = plot.y1 + 6 + i * (GLYPH_HEIGHT + 5);
    square(set, plot.x0 + 12, ly + 3, 3, color);
    text(plot.x0 + 20, ly, series.label, color);
  });
  return PNG.sync.write(png);
}

/** Tick values from `min` to at least `max` at a step of 1, 2 or 5 × 10^k, about five ticks. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  const span = Math.max(max - min, 1e-9);
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let t = Math.floor(min / step) * step; t < max + step - 1e-12; t += step) {
    ticks.push(Number(t.toPrecision(12)));
    if (t >= max) break;
  }
  return ticks;
}

function formatTick(value: number): string {
  if (value >= 1_000_000) return `${Number((value / 1_000_000).toPrecision(3))}M`;
  if (value >= 10_000) return `${Number((value / 1_000).toPrecision(3))}K`;
  return String(Number(value.toPrecision(3)));
}

type SetFn = (x: number, y: number, color: Rgb) => void;

/** Bresenham between two points (rounded to pixels). */
function line(set: SetFn, xa: number, ya: number, xb: number, yb: number, color: Rgb): void {
  let x = Math.round(xa);
  let y = Math.round(ya);
  const x2 = Math.round(xb);
  const y2 = Math.round(yb);
  const dx = Math.abs(x2 - x);
  const dy = -Math.abs(y2 - y);
  const sx = x < x2 ? 1 : -1;
  const sy = y < y2 ? 1 : -1;
  let err = dx + dy;
  for (;;) {
    set(x, y, color);
    if (x === x2 && y === y2) return;
    const e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y += sy;
    }
  }
}

function thickLine(set: SetFn, xa: number, ya: number, xb: number, yb: number, color: Rgb): void {
  line(set, xa, ya, xb, yb, color);
  line(set, xa + 1, ya, xb + 1, yb, color);
  line(set, xa, ya + 1, xb, yb + 1, color);
}

function square(set: SetFn, cx: number, cy: number, half: number, color: Rgb): void {
  for (let dy = -half; dy <= half; dy++) {
    for (let dx = -half; dx <= half; dx++) set(cx + dx, cy + dy, color);
  }
}

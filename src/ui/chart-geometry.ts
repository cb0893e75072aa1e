import { scaleLinear, type ScaleLinear } from 'd3-scale';
import type { XY } from './downsample.ts';

/** Space around the plot for the axes' ticks and label, in pixels. */
export interface Margin {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

export interface Tick {
  value: number;
  /** Pixel position along its axis. */
  at: number;
}

export interface ChartGeometry {
  x: ScaleLinear<number, number>;
  y: ScaleLinear<number, number>;
  xTicks: Tick[];
  yTicks: Tick[];
  /** The plot's box inside the drawing. */
  plot: { left: number; top: number; right: number; bottom: number };
}

const TICKS = 5;

/**
 * A domain that draws: the data's extent, widened around a single value (a run's one validation
 * point, a constant learning rate) so the scale never divides by zero.
 */
function extent(values: readonly number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === Infinity) return [0, 1];
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.05;
    return [lo - pad, hi + pad];
  }
  return [lo, hi];
}

/**
 * Scales and ticks of a line chart over numeric x and y: x spans exactly the data (steps, tokens or
 * FLOPs start where the data does), y is widened to round tick values so the curves sit inside the
 * grid lines.
 */
export function chartGeometry(lines: readonly { points: readonly XY[] }[], width: number, height: number, margin: Margin): ChartGeometry {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const l of lines) for (const p of l.points) xs.push(p.x), ys.push(p.y);
  const plot = { left: margin.left, top: margin.top, right: Math.max(margin.left + 1, width - margin.right), bottom: Math.max(margin.top + 1, height - margin.bottom) };
  const x = scaleLinear().domain(extent(xs)).range([plot.left, plot.right]);
  const y = scaleLinear().domain(extent(ys)).nice(TICKS).range([plot.bottom, plot.top]);
  const ticks = (s: ScaleLinear<number, number>) => s.ticks(TICKS).map((value) => ({ value, at: s(value) }));
  return { x, y, xTicks: ticks(x), yTicks: ticks(y), plot };
}

/** An SVG path through the points in order, rounded to a tenth of a pixel (shorter to build and diff). */
export function linePath(points: readonly XY[], g: Pick<ChartGeometry, 'x' | 'y'>): string {
  let d = '';
  for (let i = 0; i < points.length; i++) {
    d += `${i === 0 ? 'M' : 'L'}${Math.round(g.x(points[i].x) * 10) / 10},${Math.round(g.y(points[i].y) * 10) / 10}`;
  }
  return d;
}

/** The point whose x is nearest `x` among points sorted by x, or null for none. */
export function nearestPoint(points: readonly XY[], x: number): XY | null {
  if (points.length === 0) return null;
  let lo = 0;
  let hi = points.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (points[mid].x <= x) lo = mid;
    else hi = mid;
  }
  return Math.abs(points[lo].x - x) <= Math.abs(points[hi].x - x) ? points[lo] : points[hi];
}

import { runCost } from '../state/cost.ts';
import type { Run } from '../state/run.ts';
import type { XAxisKind } from '../state/view.ts';
import { finitePoints, lttb, type XY } from './downsample.ts';

/** Points per drawn loss series: enough for a smooth curve, few enough that ten runs redraw quickly. */
export const MAX_POINTS = 500;
/** The small learning-rate and throughput charts need fewer. */
export const MAX_SMALL_POINTS = 200;

export interface RunSeries {
  train: XY[];
  validation: XY[];
  lr: XY[];
  tokensPerSec: XY[];
}

export const AXIS_LABEL: Record<XAxisKind, string> = { step: 'step', flops: 'forward FLOPs', time: 'wall time (s)' };

/** Maps "steps completed" to the chosen x-axis for one run. */
export function xOf(run: Run, axis: XAxisKind): (step: number) => number {
  const cost = runCost(run);
  if (axis === 'flops') return cost.flopsAt;
  if (axis === 'time') return (s) => cost.wallMsAt(s) / 1000;
  return (s) => s;
}

const cache = new WeakMap<Run, Partial<Record<XAxisKind, RunSeries>>>();

/** Downsampled chart series of a run; cached per run snapshot, so only runs that changed are redone. */
export function runSeries(run: Run, axis: XAxisKind): RunSeries {
  let byAxis = cache.get(run);
  if (!byAxis) {
    byAxis = {};
    cache.set(run, byAxis);
  }
  const hit = byAxis[axis];
  if (hit) return hit;
  const x = xOf(run, axis);
  const pick = (f: (m: Run['steps'][number]) => number, max: number) => lttb(finitePoints(run.steps.map((m) => ({ x: x(m.step), y: f(m) }))), max);
  const series: RunSeries = {
    train: pick((m) => m.loss, MAX_POINTS),
    validation: finitePoints(run.validation.map((p) => ({ x: x(p.step), y: p.loss }))),
    lr: pick((m) => m.lr, MAX_SMALL_POINTS),
    tokensPerSec: pick((m) => (m.wallMs > 0 ? m.tokens / (m.wallMs / 1000) : NaN), MAX_SMALL_POINTS),
  };
  byAxis[axis] = series;
  return series;
}

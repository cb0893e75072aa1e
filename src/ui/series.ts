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

/** What the chosen axis maps steps through: a growth moves the wall-time axis, not the step axis. */
function axisInputs(run: Run, axis: XAxisKind): unknown[] {
  return axis === 'time' ? [run.cumWallMs, run.growth] : axis === 'flops' ? [run.plan] : [];
}

interface Cached {
  mapping: unknown[];
  validation: Run['validation'];
  series: RunSeries;
}

/** Keyed on the run's steps: new steps make new series; a run's other changes (status, checkpoint) do not. */
const cache = new WeakMap<Run['steps'], Partial<Record<XAxisKind, Cached>>>();

/**
 * Downsampled chart series of a run, cached on what each is made of: the same arrays come back
 * until new points arrive, so the charts (memoised on them) skip the redraw, and a validation
 * point redraws the loss chart only.
 */
export function runSeries(run: Run, axis: XAxisKind): RunSeries {
  let byAxis = cache.get(run.steps);
  if (!byAxis) {
    byAxis = {};
    cache.set(run.steps, byAxis);
  }
  const mapping = axisInputs(run, axis);
  const hit = byAxis[axis];
  const sameMapping = hit !== undefined && hit.mapping.every((v, i) => v === mapping[i]);
  if (sameMapping && hit.validation === run.validation) return hit.series;
  const x = xOf(run, axis);
  const pick = (f: (m: Run['steps'][number]) => number, max: number) => lttb(finitePoints(run.steps.map((m) => ({ x: x(m.step), y: f(m) }))), max);
  const validation = finitePoints(run.validation.map((p) => ({ x: x(p.step), y: p.loss })));
  const series: RunSeries = sameMapping
    ? { ...hit.series, validation }
    : {
        train: pick((m) => m.loss, MAX_POINTS),
        validation,
        lr: pick((m) => m.lr, MAX_SMALL_POINTS),
        tokensPerSec: pick((m) => (m.wallMs > 0 ? m.tokens / (m.wallMs / 1000) : NaN), MAX_SMALL_POINTS),
      };
  byAxis[axis] = { mapping, validation: run.validation, series };
  return series;
}

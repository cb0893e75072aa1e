import { cumulativeAt, growthMsBefore, piecewiseCost, type CostedRun } from './reach.ts';
import type { Run } from './run.ts';

const cache = new WeakMap<Run, CostedRun>();

/** A run's cumulative FLOPs (from its plan, per stage) and wall time (its steps' and its growths', as recorded) at any step. */
export function runCost(run: Run): CostedRun {
  let c = cache.get(run);
  if (!c) {
    const stages = run.plan.stages.map((s) => ({ steps: s.steps, perStep: s.forwardFlopsPerStep }));
    const { cumWallMs: cum, growth } = run;
    c = {
      validation: run.validation,
      flopsAt: (step) => piecewiseCost(stages, step),
      wallMsAt: (step) => cumulativeAt(cum, step) + growthMsBefore(growth, step),
    };
    cache.set(run, c);
  }
  return c;
}

/** The run the comparison measures against: the first whose preset is the baseline. */
export function baselineRun(runs: readonly Run[]): Run | null {
  return runs.find((r) => r.preset === 'baseline' && r.status !== 'queued') ?? null;
}

import { cumulativeAt, growthMsBefore, piecewiseCost, type CostedRun } from './reach.ts';
import type { Run } from './run.ts';

const cache = new WeakMap<Run, CostedRun>();

/**
 * A run's cumulative FLOPs (from its plan, per stage, with the growth that makes each stage) and wall
 * time (its steps' and its growths', as recorded) at any step.
 */
export function runCost(run: Run): CostedRun {
  let c = cache.get(run);
  if (!c) {
    const stages = run.plan.stages.map((s) => ({ steps: s.steps, perStep: s.forwardFlopsPerStep }));
    // LiGO's operator training happens in the growth at a stage's start, so it counts as soon as the
    // stage has begun, as a growth's wall time does (growthMsBefore); plans stored before LiGO lack it.
    let start = 0;
    const growths = run.plan.stages.map((s) => {
      const g = { step: start, flops: s.growthForwardFlops ?? 0 };
      start += s.steps;
      return g;
    });
    const growthFlopsBefore = (step: number) => growths.reduce((sum, g) => (g.step < step ? sum + g.flops : sum), 0);
    const { cumWallMs: cum, growth } = run;
    c = {
      validation: run.validation,
      flopsAt: (step) => piecewiseCost(stages, step) + growthFlopsBefore(step),
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

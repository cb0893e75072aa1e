/** A held-out evaluation: steps completed and the loss there. */
export interface LossPoint {
  step: number;
  loss: number;
}

/**
 * Linear interpolation in a per-step cumulative series: cum[s] is the total after s steps
 * (cum[0] = 0), so a fractional step lands between two recorded totals. Steps past the end
 * read the last total.
 */
export function cumulativeAt(cum: ArrayLike<number>, step: number): number {
  if (cum.length === 0) return 0;
  const last = cum.length - 1;
  if (step <= 0) return cum[0];
  if (step >= last) return cum[last];
  const lo = Math.floor(step);
  return cum[lo] + (step - lo) * (cum[lo + 1] - cum[lo]);
}

/** Cumulative cost after `step` steps of a schedule whose stages cost `perStep` each step. */
export function piecewiseCost(stages: readonly { steps: number; perStep: number }[], step: number): number {
  let total = 0;
  let left = Math.max(0, step);
  for (const s of stages) {
    const take = Math.min(left, s.steps);
    total += take * s.perStep;
    left -= take;
    if (left <= 0) break;
  }
  return total;
}

/**
 * Wall time spent growing before `step`: a growth after step s (its check and the next stage
 * come after step s's validation) counts from any point past s. Older records have no time.
 */
export function growthMsBefore(growth: readonly { step: number; wallMs?: number }[], step: number): number {
  return growth.reduce((sum, g) => (g.step < step ? sum + (g.wallMs ?? 0) : sum), 0);
}

/**
 * The (fractional) step at which the validation loss first gets down to `target`, interpolating
 * linearly between the two evaluations around the crossing; null when it never does. Before the
 * first evaluation nothing is known, so a first point already below target counts at its own step.
 */
export function stepToReach(validation: readonly LossPoint[], target: number): number | null {
  let prev: LossPoint | null = null;
  for (const p of validation) {
    if (!Number.isFinite(p.loss)) continue;
    if (p.loss <= target) {
      if (!prev) return p.step;
      return prev.step + ((prev.loss - target) / (prev.loss - p.loss)) * (p.step - prev.step);
    }
    prev = p;
  }
  return null;
}

export interface CostedRun {
  validation: readonly LossPoint[];
  flopsAt(step: number): number;
  wallMsAt(step: number): number;
}

export interface ReachSpeedup {
  /** Validation loss to reach: the baseline's final one. */
  target: number;
  /** baseline cost / this run's cost to reach the target; null when this run never reaches it. */
  flops: number | null;
  wall: number | null;
}

/**
 * Speed-up of `run` over `baseline` to reach the baseline's final validation loss, in FLOPs and
 * in wall time; null when the baseline has no finite final validation loss yet.
 */
export function speedupToReach(baseline: CostedRun, run: CostedRun): ReachSpeedup | null {
  const finite = baseline.validation.filter((p) => Number.isFinite(p.loss));
  if (finite.length === 0) return null;
  const target = finite[finite.length - 1].loss;
  const baseStep = stepToReach(finite, target);
  const runStep = stepToReach(run.validation, target);
  if (baseStep === null) return null;
  if (runStep === null) return { target, flops: null, wall: null };
  const ratio = (b: number, r: number) => (r > 0 ? b / r : null);
  return {
    target,
    flops: ratio(baseline.flopsAt(baseStep), run.flopsAt(runStep)),
    wall: ratio(baseline.wallMsAt(baseStep), run.wallMsAt(runStep)),
  };
}

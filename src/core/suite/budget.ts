import { ConfigError } from '../errors.ts';
import type { ModelConfig } from '../model/config.ts';
import { allocateSteps } from '../schedule/presets.ts';
import { scheduleFlops, type ScheduleBatch } from '../schedule/flops.ts';
import { stageLabel, type ScheduleSpec, type StageShape } from '../schedule/spec.ts';

/** A schedule re-timed to another schedule's forward-FLOPs budget. */
export interface MatchedBudget {
  schedule: ScheduleSpec;
  /** Forward FLOPs of the matched schedule and of the reference (the paper's convention). */
  forwardFlops: number;
  referenceForwardFlops: number;
  /** (forwardFlops − referenceForwardFlops) / referenceForwardFlops. */
  gap: number;
  /** Forward FLOPs of one step of the costliest low-cost stage: the matching's resolution. */
  stepFlops: number;
}

function sameShape(a: StageShape, b: StageShape): boolean {
  return stageLabel(a) === stageLabel(b) && a.poolReduce === b.poolReduce;
}

/**
 * Figure 1's "comparable cost" made exact from the FLOPs accounting: `arm` keeps its stages and
 * the proportions among its low-cost (all but the last) stages, trains its last (full-model) stage
 * for as many steps as the reference's last stage, and gets the low-cost step total whose forward
 * FLOPs come closest to the reference's. Totals near the continuous solution are all tried,
 * because largest-remainder rounding does not add FLOPs monotonically as the total grows.
 */
export function matchBudget(reference: ScheduleSpec, arm: ScheduleSpec, target: ModelConfig, batch: ScheduleBatch): MatchedBudget {
  const refLast = reference.stages[reference.stages.length - 1];
  const armLast = arm.stages[arm.stages.length - 1];
  if (!refLast || !armLast) throw new ConfigError('schedule', 'both schedules need at least one stage');
  if (!sameShape(refLast.shape, armLast.shape)) {
    throw new ConfigError('schedule', `the last stages differ (${stageLabel(armLast.shape)} vs the reference's ${stageLabel(refLast.shape)}); matching needs the same model after growth`);
  }
  const low = arm.stages.slice(0, -1);
  if (low.length === 0) throw new ConfigError('schedule', `"${arm.preset}" has no low-cost stage whose steps could be matched`);

  const referenceForwardFlops = scheduleFlops(reference, target, batch).forwardFlops;
  const unit = scheduleFlops({ ...arm, stages: arm.stages.map((s) => ({ ...s, steps: 1 })) }, target, batch).stages;
  const perStep = unit.map((s) => s.forwardFlopsPerStep);
  // Growth costs (LiGO's operator training) do not depend on the stages' steps: a fixed part of the budget.
  const growth = unit.reduce((s, st) => s + st.growthForwardFlops, 0);
  const lowCost = perStep.slice(0, -1);
  const lastSteps = refLast.steps;
  const budget = referenceForwardFlops - lastSteps * perStep[perStep.length - 1] - growth;
  const minimum = lowCost.reduce((a, b) => a + b, 0);
  if (budget < minimum) {
    throw new ConfigError('steps', `the reference's low-cost stages cost ${budget.toExponential(3)} FLOPs, less than one step of each of "${arm.preset}"'s low-cost stages (${minimum.toExponential(3)}); use more steps`);
  }

  const weights = low.map((s) => s.steps);
  const wSum = weights.reduce((a, b) => a + b, 0);
  const meanCost = weights.reduce((s, w, i) => s + w * lowCost[i], 0) / wSum;
  const center = budget / meanCost;
  const span = 2 * low.length + 2;
  let best: { steps: number[]; flops: number } | null = null;
  for (let n = Math.max(low.length, Math.floor(center) - span); n <= Math.ceil(center) + span; n++) {
    const steps = allocateSteps(weights, n);
    const flops = steps.reduce((s, k, i) => s + k * lowCost[i], 0);
    if (!best || Math.abs(flops - budget) < Math.abs(best.flops - budget)) best = { steps, flops };
  }
  const chosen = best as { steps: number[]; flops: number };
  const schedule: ScheduleSpec = {
    ...arm,
    stages: [...low.map((s, i) => ({ ...s, steps: chosen.steps[i] })), { ...armLast, steps: lastSteps }],
  };
  const forwardFlops = chosen.flops + lastSteps * perStep[perStep.length - 1] + growth;
  return {
    schedule,
    forwardFlops,
    referenceForwardFlops,
    gap: (forwardFlops - referenceForwardFlops) / referenceForwardFlops,
    stepFlops: Math.max(...lowCost),
  };
}

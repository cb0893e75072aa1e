import { ConfigError } from '../errors.ts';

/**
 * What the learning rate does at a stage boundary.
 * - reset: the paper's policy: every stage warms up again from ~0 to the peak, then decays
 *   linearly to 0 at the stage's end.
 * - rewind: every stage starts at the peak without warm-up and decays linearly over the stage.
 * - continue: one warm-up + linear-decay schedule over the whole run; stage boundaries are ignored.
 */
export type LrPolicy = 'reset' | 'continue' | 'rewind';
export const LR_POLICIES: readonly LrPolicy[] = ['reset', 'continue', 'rewind'];

/**
 * A warm-up longer than this fraction of its schedule is shortened to it, so a short stage still
 * spends most of its steps decaying instead of climbing.
 */
export const MAX_WARMUP_FRACTION = 0.25;

export interface LrQuery {
  peak: number;
  warmupSteps: number;
  policy: LrPolicy;
  /** 0-based index of the step within its stage. */
  stepInStage: number;
  stageSteps: number;
  /** 0-based index of the step within the run. */
  globalStep: number;
  totalSteps: number;
}

/**
 * Steps are 0-based: the rate for step s of an S-step schedule with warm-up W (W' = max(1, W),
 * capped at MAX_WARMUP_FRACTION·S) is peak·min((s+1)/W', (S−s)/(S−W'+1)). So the first step runs
 * at peak/W' (never 0), step W'−1 at the peak, and the last step at peak/(S−W'+1), reaching 0 only
 * one step after the schedule ends. warmupSteps 0 and 1 both mean "start at the peak".
 */
export function learningRate(p: LrQuery): number {
  if (!(p.peak > 0) || !Number.isFinite(p.peak)) throw new ConfigError('lr', `peak learning rate must be a positive number, got ${p.peak}`);
  if (!Number.isInteger(p.warmupSteps) || p.warmupSteps < 0) {
    throw new ConfigError('warmupSteps', `must be a non-negative integer, got ${p.warmupSteps}`);
  }
  checkIndex('stepInStage', p.stepInStage, 'stageSteps', p.stageSteps);
  checkIndex('globalStep', p.globalStep, 'totalSteps', p.totalSteps);
  switch (p.policy) {
    case 'reset':
      return triangle(p.peak, p.warmupSteps, p.stageSteps, p.stepInStage);
    case 'rewind':
      return triangle(p.peak, 0, p.stageSteps, p.stepInStage);
    case 'continue':
      return triangle(p.peak, p.warmupSteps, p.totalSteps, p.globalStep);
    default:
      throw new ConfigError('lrPolicy', `must be one of ${LR_POLICIES.join(', ')}, got ${String(p.policy)}`);
  }
}

/** The per-step rate function a StageTrainer takes, for one stage of a run. */
export function stageLrFn(
  q: Pick<LrQuery, 'peak' | 'warmupSteps' | 'policy' | 'stageSteps' | 'totalSteps'>,
): (stepInStage: number, globalStep: number) => number {
  return (stepInStage, globalStep) => learningRate({ ...q, stepInStage, globalStep });
}

function triangle(peak: number, warmup: number, steps: number, s: number): number {
  const w = Math.max(1, Math.min(warmup, Math.floor(MAX_WARMUP_FRACTION * steps)));
  return peak * Math.min((s + 1) / w, (steps - s) / (steps - w + 1));
}

function checkIndex(field: string, i: number, countField: string, count: number): void {
  if (!Number.isInteger(count) || count < 1) throw new ConfigError(countField, `must be a positive integer, got ${count}`);
  if (!Number.isInteger(i) || i < 0 || i >= count) {
    throw new ConfigError(field, `must be an integer in [0, ${count - 1}] (${countField} = ${count}), got ${i}`);
  }
}

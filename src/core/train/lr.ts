import { ConfigError } from '../errors.ts';

/**
 * What the learning rate does at a stage boundary. Every policy is a linear warm-up ramp (W' steps,
 * see learningRate; none for rewind) and a linear decay; they differ in which steps each counts.
 * - paper: grow_bert's schedule, the default. grow_bert builds a fresh optimizer per stage, and the
 *   Keras schedule reads that optimizer's own step counter, so every stage warms up again from ~0
 *   to the peak and then follows the run-long decay line (decay_steps = the whole run) from the
 *   stage's own first step: each stage restarts at the peak and decays only by S/T inside the stage
 *   — a grown run never reaches 0, while a one-stage run decays to 0 exactly as "continue" does.
 *   (Reading the decay at the global step instead would start every later stage below the peak,
 *   which grow_bert does not do.)
 * - reset: NOT the paper's policy: every stage warms up again and then decays linearly to 0 at the
 *   stage's own end, so each stage is a full warm-up/anneal cycle.
 * - rewind: every stage starts at the peak without warm-up and decays linearly to 0 over the stage.
 * - continue: one warm-up + linear-decay schedule over the whole run; stage boundaries are ignored.
 */
export type LrPolicy = 'paper' | 'reset' | 'continue' | 'rewind';
export const LR_POLICIES: readonly LrPolicy[] = ['paper', 'reset', 'continue', 'rewind'];
/** What presets and the lab give every stage unless told otherwise: the schedule the paper's code runs. */
export const DEFAULT_LR_POLICY: LrPolicy = 'paper';

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
 *
 * reset uses it with s = stepInStage over S = stageSteps; rewind the same with W' = 1; continue
 * with s = globalStep over S = totalSteps. paper ramps within the stage and decays over the run,
 * both counted from the stage's first step (s = stepInStage, T = totalSteps, W' capped by the
 * stage's length as in reset):
 *   rate = peak·min((s+1)/W', (T−s)/(T−W'+1)).
 * This is Model Garden's PolynomialWarmUp over PolynomialDecay(decay_steps = T) at a fresh
 * optimizer's step counter, in the lab's one-step convention (the peak exactly at step W'−1). For
 * a single stage (S = T) it equals reset and continue; since s < S ≤ T it never reaches 0.
 */
export function learningRate(p: LrQuery): number {
  if (!(p.peak > 0) || !Number.isFinite(p.peak)) throw new ConfigError('lr', `peak learning rate must be a positive number, got ${p.peak}`);
  if (!Number.isInteger(p.warmupSteps) || p.warmupSteps < 0) {
    throw new ConfigError('warmupSteps', `must be a non-negative integer, got ${p.warmupSteps}`);
  }
  checkIndex('stepInStage', p.stepInStage, 'stageSteps', p.stageSteps);
  checkIndex('globalStep', p.globalStep, 'totalSteps', p.totalSteps);
  switch (p.policy) {
    case 'paper':
      return paper(p.peak, p.warmupSteps, p.stageSteps, p.totalSteps, p.stepInStage);
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

/** The warm-up actually used on a schedule of `steps` steps (see learningRate). */
function cappedWarmup(warmup: number, steps: number): number {
  return Math.max(1, Math.min(warmup, Math.floor(MAX_WARMUP_FRACTION * steps)));
}

function triangle(peak: number, warmup: number, steps: number, s: number): number {
  const w = cappedWarmup(warmup, steps);
  return peak * Math.min((s + 1) / w, (steps - s) / (steps - w + 1));
}

function paper(peak: number, warmup: number, stageSteps: number, totalSteps: number, s: number): number {
  if (stageSteps > totalSteps) throw new ConfigError('stageSteps', `a stage cannot be longer than its run (${totalSteps} steps), got ${stageSteps}`);
  const w = cappedWarmup(warmup, stageSteps);
  return peak * Math.min((s + 1) / w, (totalSteps - s) / (totalSteps - w + 1));
}

function checkIndex(field: string, i: number, countField: string, count: number): void {
  if (!Number.isInteger(count) || count < 1) throw new ConfigError(countField, `must be a positive integer, got ${count}`);
  if (!Number.isInteger(i) || i < 0 || i >= count) {
    throw new ConfigError(field, `must be an integer in [0, ${count - 1}] (${countField} = ${count}), got ${i}`);
  }
}

import { ConfigError } from '../errors.ts';
import { SIZES, type TrainConfig } from '../model/config.ts';
import { validateExperiment, type ExperimentConfig } from '../run/config.ts';
import { scheduleFlops } from '../schedule/flops.ts';
import { ARM_NAMES, DESIGNS, DESIGN_NAMES, designArms, type ArmName, type Comparison, type DesignName } from './designs.ts';
import type { GenreBudget, GenreMode, GenreTask } from '../eval/genre.ts';

export { ARM_NAMES, DESIGNS, DESIGN_NAMES, type ArmName, type Comparison, type DesignName };

/*
 * The experiment suite: a design's arms (src/core/suite/designs.ts) trained once per seed.
 *
 * Budgets (wasm, 2 idle cores; a tiny step ~25-50 ms, a small full-model step ~1 s fused):
 * - tiny, lab design: 200 steps per full-cost arm, 13 arms of which about half run at compound's
 *   cost: per seed ≈ 9 full-run equivalents ≈ 9 × 200 × 0.04 s ≈ 70 s plus validation and genre
 *   evaluation, a few minutes for --seeds 2.
 * - small: 140 steps per arm, ≈ 9 × 140 × 1 s ≈ 21 min of training per seed plus genre (≈ 27 s per
 *   run): about an hour for 3 seeds.
 */

export type SuiteSize = 'tiny' | 'small' | 'deep' | 'lab';
export const SUITE_SIZES: readonly SuiteSize[] = ['tiny', 'small', 'deep', 'lab'];

/**
 * Default steps per arm (the full-cost arms; matched arms get their reference's FLOPs). deep and
 * lab take their size's own run length: they are the sizes for a GPU (docs/findings.md gives each
 * design's FLOPs per seed).
 */
export const SUITE_STEPS: Record<SuiteSize, number> = { tiny: 200, small: 140, deep: 1000, lab: 5000 };

/**
 * Genre budgets: fewer passages and fine-tuning steps than genreDefaults, whose evaluation alone
 * (~30 s per run at tiny on loaded cores, minutes at small) would outweigh the pre-training runs.
 * Passages per document: train/test; the probe trains its linear head on frozen features.
 */
const SUITE_GENRE_BUDGET: Record<SuiteSize, Record<GenreMode, Partial<GenreBudget>>> = {
  // 60 steps at 3e-3: at genreDefaults' 1e-3, 40-80 steps still predicted the majority class for every passage.
  tiny: { finetune: { steps: 60, lr: 3e-3, trainPerDoc: 4, testPerDoc: 10 }, probe: { trainPerDoc: 4, testPerDoc: 10 } },
  // Measured on the untrained encoder: 40 steps at 1.5e-3 reach 55% on genre4 against the majority class's 42%.
  small: { finetune: { steps: 40, lr: 1.5e-3, trainPerDoc: 1, testPerDoc: 2 }, probe: { trainPerDoc: 1, testPerDoc: 2 } },
  // Not tuned: small's budget with genreDefaults' passages, affordable where these sizes are meant to run.
  deep: { finetune: { steps: 40, lr: 1.5e-3 }, probe: {} },
  lab: { finetune: { steps: 40, lr: 1.5e-3 }, probe: {} },
};
/** Validation points per run: enough for a curve, few enough to stay cheap. */
const EVAL_POINTS = 10;

export type { GenreMode, GenreTask };

/**
 * Downstream evaluation after every run: genre4 (Brown's four coarse groups) fine-tuned and probed.
 * genre15 is left out: it would double the evaluation time, which the budgets below cannot take.
 */
export interface SuiteGenre {
  tasks: GenreTask[];
  modes: GenreMode[];
  /** Per mode, overrides of genreDefaults (src/core/eval/genre.ts) sized to the suite's budget. */
  budget: Record<GenreMode, Partial<GenreBudget>>;
}

export interface SuiteArm {
  name: ArmName;
  /** What the arm is, in one line (the report's arms table). */
  about: string;
  /** The arm's run with seed 0; runs set their own seed (armConfig). */
  config: ExperimentConfig;
  forwardFlops: number;
  /** Relative forward-FLOPs gap to the arm it was matched to, else null. */
  flopsGap: number | null;
}

export interface SuitePlan {
  size: SuiteSize;
  design: DesignName;
  steps: number;
  arms: SuiteArm[];
  comparisons: readonly Comparison[];
  /** Downstream evaluations after every run (and on the random-init control once per seed). */
  genre: SuiteGenre;
}

/** The train settings of an arm of `steps` steps: validation at the same number of points in every arm. */
export function trainFor(size: SuiteSize, steps: number, evalBatches: number = SIZES[size].train.evalBatches): TrainConfig {
  const base = SIZES[size].train;
  return {
    ...base,
    steps,
    evalBatches,
    evalEvery: Math.max(1, Math.floor(steps / EVAL_POINTS)),
    warmupSteps: Math.min(base.warmupSteps, Math.max(1, Math.floor(steps / 10))),
  };
}

/**
 * Every arm's config of a design; throws ConfigError('size'|'steps'|'design', …) on values it cannot
 * plan. `evalBatches` defaults to the size's full validation set.
 */
export function planSuite(size: SuiteSize, steps?: number, design: DesignName = 'lab', evalBatches?: number): SuitePlan {
  if (!SUITE_SIZES.includes(size)) throw new ConfigError('size', `must be one of ${SUITE_SIZES.join(', ')}, got ${JSON.stringify(size)}`);
  if (!DESIGN_NAMES.includes(design)) throw new ConfigError('design', `must be one of ${DESIGN_NAMES.join(', ')}, got ${JSON.stringify(design)}`);
  steps ??= SUITE_STEPS[size];
  evalBatches ??= SIZES[size].train.evalBatches;
  // Below ~20 steps compound's stages get a handful of steps each and matching has nothing to re-time.
  if (!Number.isInteger(steps) || steps < 20) throw new ConfigError('steps', `must be a whole number of at least 20, got ${steps}`);
  const model = SIZES[size].model;
  const arms = designArms(design, model, steps, trainFor(size, steps, evalBatches)).map((a): SuiteArm => {
    const total = a.schedule.stages.reduce((s, st) => s + st.steps, 0);
    const train = trainFor(size, total, evalBatches);
    const config: ExperimentConfig = { size: a.model ? 'custom' : size, model: a.model ?? model, train, schedule: a.schedule, seed: 0 };
    validateExperiment(config);
    return { name: a.name, about: a.about, config, forwardFlops: scheduleFlops(a.schedule, config.model, train).forwardFlops, flopsGap: a.flopsGap };
  });
  return { size, design, steps, arms, comparisons: DESIGNS[design].comparisons, genre: { tasks: ['genre4'], modes: ['finetune', 'probe'], budget: SUITE_GENRE_BUDGET[size] } };
}

/** The config one (arm, seed) run trains: same data order for every arm of a seed. */
export function armConfig(plan: SuitePlan, arm: ArmName, seed: number): ExperimentConfig {
  const a = plan.arms.find((x) => x.name === arm);
  if (!a) throw new ConfigError('arm', `unknown arm ${JSON.stringify(arm)} (this design has: ${plan.arms.map((x) => x.name).join(', ')})`);
  return { ...a.config, seed };
}

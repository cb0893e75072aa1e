import { ConfigError } from '../errors.ts';
import { SIZES, type TrainConfig } from '../model/config.ts';
import { buildPreset } from '../schedule/presets.ts';
import { scheduleFlops } from '../schedule/flops.ts';
import type { PresetName } from '../schedule/spec.ts';
import { validateExperiment, type ExperimentConfig } from '../run/experiment.ts';
import { matchBudget } from './budget.ts';
import type { GenreBudget, GenreMode, GenreTask } from '../eval/genre.ts';

/*
 * The experiment suite: eight arms and the paper's four comparisons between them.
 *
 * Budgets (the lead's targets; wasm, 2 idle cores):
 * - tiny: 200 steps per arm. A tiny step takes ~23 ms on wasm (measured idle, ~2x with two busy
 *   cores), so 8 arms x 2 seeds ≈ 16 x 200 x 0.023-0.05 s ≈ 75-160 s of training, plus genre
 *   evaluations on the tiny encoder (a few seconds each): about 2-3 minutes for --seeds 2.
 *   Measured: 136 s for `--size tiny --seeds 2` without genre evaluation, on 2 cores shared
 *   with other jobs (load average ~3.7).
 * - small: 140 steps per arm. At ~0.7 s per full-model step, baseline ≈ 98 s; compound and the
 *   five arms matched to its FLOPs cost 0.56x of it in FLOPs (≈ 55 s, more in wall time since
 *   small stages use the hardware less well, say 68 s); stack 0.64x ≈ 68 s. Per seed
 *   98 + 7 x 68 ≈ 575 s, 3 seeds ≈ 29 min. Genre evaluation (SUITE_GENRE_BUDGET): fine-tuning
 *   40 steps of 16 passages ≈ 40 x 0.6 s ≈ 24 s, the probe encodes ~500 passages ≈ 3 s, so
 *   ≈ 27 s x (24 runs + 3 random-init controls) ≈ 12 min. Total ≈ 41 min. (The genre timings were
 *   measured on cores shared with other jobs — 143 s and 11 s at load ~11 — and scaled down.)
 */

export type SuiteSize = 'tiny' | 'small';
export const SUITE_SIZES: readonly SuiteSize[] = ['tiny', 'small'];

export type ArmName = 'baseline' | 'stack' | 'compound' | 'depth' | 'width-share' | 'width-factorize' | 'length-pool' | 'length-truncate';
/** Run order within a seed: the reference arms first, so a partial suite already has Table 2's. */
export const ARM_NAMES: readonly ArmName[] = ['baseline', 'stack', 'compound', 'depth', 'width-share', 'width-factorize', 'length-pool', 'length-truncate'];
/** Arms re-timed to compound's forward FLOPs (Figure 1's "comparable cost"). */
export const MATCHED_ARMS: readonly ArmName[] = ['depth', 'width-share', 'width-factorize', 'length-pool', 'length-truncate'];

export type ComparisonId = 'compound-vs-single' | 'pool-vs-truncate' | 'share-vs-factorize' | 'speedup';

export interface Comparison {
  id: ComparisonId;
  title: string;
  /** Where the paper makes the comparison. */
  paper: string;
  arms: ArmName[];
  /** Every other arm is compared against this one. */
  reference: ArmName;
}

export const COMPARISONS: readonly Comparison[] = [
  { id: 'compound-vs-single', title: 'Compound vs single-dimension growth at equal FLOPs', paper: 'Figure 1', arms: ['compound', 'depth', 'width-share', 'length-pool'], reference: 'compound' },
  { id: 'pool-vs-truncate', title: 'Length: embedding pooling vs truncation at equal FLOPs', paper: 'Table 1', arms: ['length-pool', 'length-truncate'], reference: 'length-pool' },
  { id: 'share-vs-factorize', title: 'Width: parameter sharing vs factorization at equal FLOPs', paper: 'Table 1', arms: ['width-share', 'width-factorize'], reference: 'width-share' },
  { id: 'speedup', title: 'Baseline vs stacking vs CompoundGrow: FLOPs, wall time and quality', paper: 'Table 2', arms: ['baseline', 'stack', 'compound'], reference: 'baseline' },
];

/** Default steps per arm (baseline, stack and compound; matched arms get compound's FLOPs). */
export const SUITE_STEPS: Record<SuiteSize, number> = { tiny: 200, small: 140 };

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
  /** The arm's run with seed 0; runs set their own seed (armConfig). */
  config: ExperimentConfig;
  forwardFlops: number;
  /** Relative forward-FLOPs gap to compound for matched arms, else null. */
  flopsGap: number | null;
}

export interface SuitePlan {
  size: SuiteSize;
  steps: number;
  arms: SuiteArm[];
  /** Downstream evaluations after every run (and on the random-init control once per seed). */
  genre: SuiteGenre;
}

function trainFor(size: SuiteSize, steps: number): TrainConfig {
  const base = SIZES[size].train;
  return {
    ...base,
    steps,
    evalEvery: Math.max(1, Math.floor(steps / EVAL_POINTS)),
    warmupSteps: Math.min(base.warmupSteps, Math.max(1, Math.floor(steps / 10))),
  };
}

/** Every arm's config for a size; throws ConfigError('size'|'steps', …) on values it cannot plan. */
export function planSuite(size: SuiteSize, steps: number = SUITE_STEPS[size]): SuitePlan {
  if (!SUITE_SIZES.includes(size)) throw new ConfigError('size', `must be one of ${SUITE_SIZES.join(', ')}, got ${JSON.stringify(size)}`);
  // Below ~20 steps compound's stages get a handful of steps each and matching has nothing to re-time.
  if (!Number.isInteger(steps) || steps < 20) throw new ConfigError('steps', `must be a whole number of at least 20, got ${steps}`);
  const model = SIZES[size].model;
  const train = trainFor(size, steps);
  const configOf = (preset: PresetName): ExperimentConfig => ({ size, model, train, schedule: buildPreset(preset, steps, model), seed: 0 });
  const compound = configOf('compound');
  const arms = ARM_NAMES.map((name): SuiteArm => {
    if (!MATCHED_ARMS.includes(name)) {
      const config = configOf(name as PresetName);
      return { name, config, forwardFlops: scheduleFlops(config.schedule, model, train).forwardFlops, flopsGap: null };
    }
    const m = matchBudget(compound.schedule, buildPreset(name as PresetName, steps, model), model, train);
    const total = m.schedule.stages.reduce((s, st) => s + st.steps, 0);
    const config: ExperimentConfig = { size, model, train: trainFor(size, total), schedule: m.schedule, seed: 0 };
    return { name, config, forwardFlops: m.forwardFlops, flopsGap: m.gap };
  });
  for (const a of arms) validateExperiment(a.config);
  return { size, steps, arms, genre: { tasks: ['genre4'], modes: ['finetune', 'probe'], budget: SUITE_GENRE_BUDGET[size] } };
}

/** The config one (arm, seed) run trains: same data order for every arm of a seed. */
export function armConfig(plan: SuitePlan, arm: ArmName, seed: number): ExperimentConfig {
  const a = plan.arms.find((x) => x.name === arm);
  if (!a) throw new ConfigError('arm', `unknown arm ${JSON.stringify(arm)} (allowed: ${ARM_NAMES.join(', ')})`);
  return { ...a.config, seed };
}

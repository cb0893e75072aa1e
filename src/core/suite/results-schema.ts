import { z } from 'zod';
import { SPLITS } from '../data/corpus.ts';
import { GENRE_TASKS } from '../eval/genre-data.ts';
import type { GenreMode } from '../eval/genre.ts';
import { count, fraction, nonNegative, positiveInt } from '../schema/numbers.ts';
import { onceValid } from '../schema/parse.ts';
import { runSummarySchema } from '../train/record.ts';
import { ARM_NAMES, DESIGN_NAMES, SUITE_SIZES } from './plan.ts';

/*
 * results.json of `growlab suite`: what the report, the statistics, the plots and the lab's suite
 * view read. Every number they compute with is finite here; a file this schema accepts renders.
 */

export const SUITE_FORMAT = 'growlab-suite';
/** Version 2 added the design, the declared margins and the control arms; version 1 files read as the lab design. */
export const SUITE_VERSION = 2;

/** Defaults of the settings version 1 files lack. */
export const DEFAULT_GATE_MARGIN = 0.02;
const V1_SETTINGS = { design: 'lab', margin: null, gateMargin: DEFAULT_GATE_MARGIN, evalBatches: 8 } as const;

const GENRE_MODES = ['finetune', 'probe'] as const satisfies readonly GenreMode[];

/** A validation point with where the run was in cost when it was taken. */
export const suiteCurvePointSchema = z.object({
  step: count,
  loss: nonNegative,
  accuracy: fraction,
  /** Forward FLOPs spent up to this step. */
  flops: nonNegative,
  /** Training wall time up to this step (steps only: evaluation is not training cost). */
  wallMs: nonNegative,
  /** Standard error of the validation loss (the validation set's sampling error), when recorded. */
  stderr: nonNegative.optional(),
});
export type SuiteCurvePoint = z.infer<typeof suiteCurvePointSchema>;

export const downstreamResultSchema = z.object({
  task: z.enum(GENRE_TASKS),
  mode: z.enum(GENRE_MODES),
  accuracy: fraction,
  macroF1: fraction,
});
export type DownstreamResult = z.infer<typeof downstreamResultSchema>;

export const suiteRunSchema = z.object({
  arm: z.enum(ARM_NAMES),
  seed: count,
  summary: runSummarySchema,
  validation: z.array(suiteCurvePointSchema),
  stages: z.array(z.object({ label: z.string(), startStep: count, endStep: count, flops: nonNegative, wallMs: nonNegative })),
  /** Forward FLOPs of the whole run (the paper's convention). */
  forwardFlops: z.number().gt(0),
  /** Training wall time, growth included. */
  wallTimeMs: nonNegative,
  downstream: z.array(downstreamResultSchema),
  /** Step at which the loss stopped being finite; the run's numbers are from before it. */
  divergedAt: count.optional(),
  /**
   * Width-share arms: how far the FFN copies had moved apart when first measured after the share
   * growth (the least separated pair, minimum over layers; growth/separation.ts). 0: exact copies.
   */
  copySeparation: nonNegative.optional(),
});
export type SuiteRun = z.infer<typeof suiteRunSchema>;

/** Once per seed and task: what a classifier gets without pre-training. */
export const suiteControlSchema = z.object({
  seed: count,
  task: z.enum(GENRE_TASKS),
  majority: z.object({ accuracy: fraction, macroF1: fraction }),
  /** The full-size encoder at its random initialisation, fine-tuned/probed like the runs. */
  randomInit: z.array(downstreamResultSchema),
});
export type SuiteControl = z.infer<typeof suiteControlSchema>;

/** What must be equal for --resume to add runs to an existing suite. */
export const suiteSettingsSchema = z.object({
  size: z.enum(SUITE_SIZES),
  seeds: positiveInt,
  steps: positiveInt,
  backend: z.string(),
  /** Whether every run is followed by the genre evaluation (off: --no-genre). */
  downstream: z.boolean(),
  design: z.enum(DESIGN_NAMES),
  /** Non-inferiority margin in nats declared before the run; null: from the baseline budget sweep. */
  margin: z.number().gt(0).nullable(),
  /** How much lower (nats) the baseline's loss must be than the smallest stage model's for any verdict. */
  gateMargin: nonNegative,
  /** Batches in the validation set (version 1 files: 8 batches drawn per seed). */
  evalBatches: positiveInt,
});
export type SuiteSettings = z.infer<typeof suiteSettingsSchema>;

const suiteResultsObject = z.object({
  format: z.literal(SUITE_FORMAT),
  version: z.union([z.literal(1), z.literal(SUITE_VERSION)]),
  settings: suiteSettingsSchema,
  /** Every invocation that wrote into this file, in order. */
  commands: z.array(z.string()),
  machine: z.object({ platform: z.string(), arch: z.string(), cpus: count, cpuModel: z.string(), runtime: z.string(), backend: z.string() }),
  /** Each arm's planned schedule (stage labels and steps) and forward FLOPs. */
  arms: z.array(z.object({
    name: z.enum(ARM_NAMES),
    about: z.string().optional(),
    stages: z.array(z.object({ label: z.string(), steps: positiveInt })),
    forwardFlops: z.number().gt(0),
    flopsGap: z.number().nullable(),
  })).superRefine((arms, ctx) => {
    const twice = arms.findIndex((a, i) => arms.findIndex((b) => b.name === a.name) !== i);
    if (twice >= 0) ctx.addIssue({ code: 'custom', path: [twice, 'name'], message: `arm ${JSON.stringify(arms[twice].name)} is listed twice` });
  }, onceValid),
  /** The downstream evaluation's tasks and modes; its budgets are only shown. */
  genre: z.object({ tasks: z.array(z.enum(GENRE_TASKS)), modes: z.array(z.enum(GENRE_MODES)), budget: z.record(z.string(), z.unknown()) }).optional(),
  /** Validation loss and accuracy of token frequencies alone (src/core/data/frequency.ts): the level a run reaches before it learns from context. */
  frequency: z.object({ loss: nonNegative, accuracy: fraction, split: z.enum(SPLITS), vocabSize: positiveInt }).optional(),
  runs: z.array(suiteRunSchema),
  controls: z.array(suiteControlSchema),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** A version 1 file reads as a version 2 file of the lab design, with the settings it lacks at their defaults. */
export const suiteResultsSchema = z.preprocess((x) => {
  const file = x as { version?: unknown; settings?: unknown } | null;
  if (file?.version !== 1 || typeof file.settings !== 'object' || file.settings === null) return x;
  return { ...file, settings: { ...file.settings, ...V1_SETTINGS } };
}, suiteResultsObject);
export type SuiteResults = z.infer<typeof suiteResultsObject>;

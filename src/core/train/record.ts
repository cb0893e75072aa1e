import { z } from 'zod';
import { SIZE_NAMES, modelConfigSchema, poolSettingSchema, trainConfigSchema } from '../model/config.ts';
import { count, fraction, measured, nonNegative, positiveInt } from '../schema/numbers.ts';
import { onceValid } from '../schema/parse.ts';
import { scheduleSpecSchema } from '../schedule/spec.ts';

/*
 * A run record: what `growlab train --out` writes, checkpoints carry and the lab shows. Losses and
 * other measurements may be NaN (a diverged run; null in the file); everything else is finite.
 */

export const RUN_FORMAT = 'growlab-run';
export const RUN_VERSION = 1;

/** One optimizer step as read back from the device. */
export const stepMetricsSchema = z.object({
  /** Steps completed in the run including this one (1-based): the x-axis of loss curves. */
  step: positiveInt,
  /** Training MLM loss of this step's batch (NaN when training diverged). */
  loss: measured,
  lr: nonNegative,
  /** Global gradient norm before clipping. */
  gradNorm: measured,
  /** Non-pad tokens in this step's batch. */
  tokens: count,
  /** Wall time of the step; the awaited metrics read is shared evenly by the steps it covers. */
  wallMs: nonNegative,
});
export type StepMetrics = z.infer<typeof stepMetricsSchema>;

export const validationPointSchema = z.object({
  /** Steps completed when the held-out set was evaluated. */
  step: count,
  loss: measured,
  accuracy: fraction,
  /** Standard error of `loss` (std of per-prediction losses / sqrt(predictions)); absent in older records. */
  stderr: measured.optional(),
  /** Predictions in the validation set; absent in older records. */
  predictions: count.optional(),
});
export type ValidationPoint = z.infer<typeof validationPointSchema>;

export const stageShapeRecordSchema = z.object({
  model: modelConfigSchema,
  seqLen: positiveInt,
  pool: poolSettingSchema.nullable(),
});
export type StageShape = z.infer<typeof stageShapeRecordSchema>;

export const stageRecordSchema = z.object({
  index: count,
  label: z.string(),
  /** Steps completed before the stage: its steps are startStep+1 .. endStep. */
  startStep: count,
  endStep: count,
  shape: stageShapeRecordSchema.optional(),
  /** Forward-pass FLOPs of the whole stage (the paper's convention), the growth that made it included (LiGO). */
  flops: nonNegative.optional(),
  wallMs: nonNegative,
}).superRefine((s, ctx) => {
  if (s.endStep < s.startStep) ctx.addIssue({ code: 'custom', path: ['endStep'], message: `expected at least startStep ${s.startStep}, got ${s.endStep}` });
}, onceValid);
export type StageRecord = z.infer<typeof stageRecordSchema>;

/** See growth/separation.ts: relative differences between the copies W1 share growth made, per layer. */
export const copySeparationSchema = z.object({
  /** Steps completed when measured: the first validation after the growth, or the next growth if that comes first. */
  step: count,
  /** The relative difference of each layer's least separated pair of copies. */
  perLayer: z.array(measured),
  maxRelDiff: measured,
  minRelDiff: measured,
});
export type CopySeparation = z.infer<typeof copySeparationSchema>;

export const growthEventRecordSchema = z.object({
  /** Steps completed when the model grew. */
  step: count,
  fromLabel: z.string(),
  toLabel: z.string(),
  /** Human-readable growth operators applied, in order (e.g. "depth:stack"). */
  ops: z.array(z.string()),
  /** Held-out MLM loss just before and just after growing, on the same batches. */
  lossBefore: measured,
  lossAfter: measured,
  /** Largest |logit difference| between the model before and after growing, on the same batch. */
  maxAbsLogitDiff: measured,
  /** Whether the operators claim to preserve the function. */
  preserving: z.boolean().optional(),
  /** Wall time of the growth itself (operators applied, weights computed), counted in the run's wall time; absent in older records. */
  wallMs: nonNegative.optional(),
  /**
   * LiGO only: forward FLOPs of the growth (its operator's training, schedule/flops.ts growthForwardFlops,
   * also in the new stage's `flops`), and the operator's training loss at its first and last step.
   */
  forwardFlops: nonNegative.optional(),
  ligoLoss: z.object({ first: measured, last: measured }).optional(),
  /** Width share only: how far the FFN copies had moved apart when next measured (absent in older records). */
  copySeparation: copySeparationSchema.optional(),
});
export type GrowthEventRecord = z.infer<typeof growthEventRecordSchema>;

/** What the CLI prints and the lab shows for a finished run. */
export const runSummarySchema = z.object({
  /** Steps completed. */
  steps: count,
  /** Mean training loss over the first SUMMARY_WINDOW steps (single steps are too noisy); null with no steps or a diverged window. */
  firstLoss: nonNegative.nullable(),
  /** Mean training loss over the last SUMMARY_WINDOW steps; null with no steps or a diverged window. */
  finalLoss: nonNegative.nullable(),
  /** Last held-out evaluation; null when none ran. */
  valLoss: nonNegative.nullable(),
  valAcc: fraction.nullable(),
  /** tokensSeen / wall time; null when no time was recorded. */
  tokensPerSec: nonNegative.nullable(),
  backend: z.string(),
});
export type RunSummary = z.infer<typeof runSummarySchema>;

export const runRecordSchema = z.object({
  format: z.literal(RUN_FORMAT),
  version: z.literal(RUN_VERSION),
  /** ISO 8601. */
  createdAt: z.string(),
  config: z.object({
    size: z.enum(SIZE_NAMES).optional(),
    model: modelConfigSchema,
    train: trainConfigSchema,
    seed: count,
    backend: z.string(),
    /** Absent in records written before schedules were recorded. */
    schedule: scheduleSpecSchema.optional(),
  }),
  steps: z.array(stepMetricsSchema),
  validation: z.array(validationPointSchema),
  stages: z.array(stageRecordSchema),
  growthEvents: z.array(growthEventRecordSchema),
  wallTimeMs: nonNegative,
  tokensSeen: count,
  summary: runSummarySchema,
  /** The CLI's final checkpoint of this run, relative to the run file (set by `growlab train --out`). */
  checkpoint: z.string().optional(),
}).superRefine((r, ctx) => {
  // The curve's x-axis and the lab's per-step lookups assume each step once, in order.
  const back = r.steps.findIndex((s, i) => i > 0 && s.step <= r.steps[i - 1].step);
  if (back >= 0) ctx.addIssue({ code: 'custom', path: ['steps', back, 'step'], message: `expected a step after ${r.steps[back - 1].step}, got ${r.steps[back].step}` });
  const misplaced = r.stages.findIndex((s, i) => s.index !== i);
  if (misplaced >= 0) ctx.addIssue({ code: 'custom', path: ['stages', misplaced, 'index'], message: `expected ${misplaced}, got ${r.stages[misplaced].index}` });
  const last = r.steps.length ? r.steps[r.steps.length - 1].step : 0;
  if (r.summary.steps !== last) ctx.addIssue({ code: 'custom', path: ['summary', 'steps'], message: `expected the last step's number ${last}, got ${r.summary.steps}` });
}, onceValid);
export type RunRecord = z.infer<typeof runRecordSchema>;

/** Steps averaged for firstLoss and finalLoss (windows overlap when a run is shorter than two). */
export const SUMMARY_WINDOW = 10;

export function summarize(record: Omit<RunRecord, 'summary'>): RunSummary {
  const { steps, validation } = record;
  const lastVal = validation.length ? validation[validation.length - 1] : null;
  return {
    steps: steps.length ? steps[steps.length - 1].step : 0,
    firstLoss: meanLoss(steps.slice(0, SUMMARY_WINDOW)),
    finalLoss: meanLoss(steps.slice(-SUMMARY_WINDOW)),
    valLoss: lastVal ? lastVal.loss : null,
    valAcc: lastVal ? lastVal.accuracy : null,
    tokensPerSec: record.wallTimeMs > 0 ? record.tokensSeen / (record.wallTimeMs / 1000) : null,
    backend: record.config.backend,
  };
}

function meanLoss(window: StepMetrics[]): number | null {
  if (window.length === 0) return null;
  return window.reduce((s, m) => s + m.loss, 0) / window.length;
}

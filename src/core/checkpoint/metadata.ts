import { z } from 'zod';
import { batcherCursorSchema } from '../data/batcher.ts';
import { modelConfigSchema } from '../model/config.ts';
import { experimentConfigSchema } from '../run/config.ts';
import { count, nonNegative, rngState } from '../schema/numbers.ts';
import { onceValid } from '../schema/parse.ts';
import { runRecordSchema } from '../train/record.ts';
import { consistency } from './consistency.ts';

/*
 * A checkpoint's "__metadata__": strings, some of them JSON (safetensors metadata holds only
 * strings). One schema reads them all; consistency.ts checks that they describe one moment of one
 * run, so that resuming or evaluating it cannot fail halfway on a value the engine cannot use.
 */

export const CHECKPOINT_FORMAT = 'growlab-checkpoint';
/**
 * 2: the corpus is tokenized at the model's vocabulary size (src/core/data/vocab-cap.ts). A format
 * 1 checkpoint was trained on the old fixed tokenization, whose ids stand for other pieces now.
 */
export const CHECKPOINT_VERSION = 2;

/** Where a run is, beyond weights and moments: what a checkpoint needs to continue it exactly. */
export const resumeStateSchema = z.object({
  /** Steps completed before the current stage. */
  stageStart: count,
  stepsInStage: count,
  growthRng: rngState,
  /** Training data cursors, one per sequence length the run has used (keyed by seqLen). */
  cursors: z.record(z.string(), batcherCursorSchema),
  stageWallMs: nonNegative,
  trainWallMs: nonNegative,
  tokensSeen: count,
});
export type ResumeState = z.infer<typeof resumeStateSchema>;

/** A whole number written in digits, as the metadata stores step counts. */
const numeral = z.string().regex(/^(0|[1-9]\d{0,15})$/, { error: 'a whole number written in digits' }).transform(Number).pipe(count);

/** A metadata string holding JSON that `schema` reads. */
function json<S extends z.ZodType>(schema: S) {
  return z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'is not valid JSON: the file is damaged' });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

export const checkpointMetadataSchema = z
  .object({
    format: z.literal(CHECKPOINT_FORMAT),
    version: z.literal(String(CHECKPOINT_VERSION)),
    /** Optimizer steps completed when it was taken. */
    step: numeral,
    /** The schedule stage the weights belong to. */
    stageIndex: numeral,
    /** Adam's own step counter (it restarts when a stage drops the moments). */
    adamStep: numeral,
    backend: z.string().default('unknown'),
    config: json(experimentConfigSchema),
    /** The model the tensors are: the config's model in that stage's shape. */
    model: json(modelConfigSchema),
    record: json(runRecordSchema),
    /** Resume details owned by the Experiment (data cursors, RNG, position in the stage). */
    state: json(resumeStateSchema),
  })
  .superRefine((m, ctx) => {
    const problem = consistency(m);
    if (problem) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
  }, onceValid);
export type CheckpointMetadata = z.infer<typeof checkpointMetadataSchema>;

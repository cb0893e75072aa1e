import { z } from 'zod';
import { ConfigError, collectErrors, stopAtFirst, type Checks } from '../errors.ts';
import { SIZE_NAMES, modelConfigSchema, trainConfigSchema, validateModelConfig, validateTrainConfig } from '../model/config.ts';
import { MAX_TRAINING_BYTES, MAX_VALIDATION_TOKENS, estimateTrainingBytes, formatBytes } from '../model/memory.ts';
import { count } from '../schema/numbers.ts';
import { scheduleFlops, type ScheduleFlops } from '../schedule/flops.ts';
import { scheduleSpecSchema } from '../schedule/spec.ts';
import { validateSchedule } from '../schedule/validate.ts';

/* What defines a run and its checks: pure, so the page can validate and cost a config without tfjs. */

/**
 * Everything that defines a run; the builder edits it, share links, run records and checkpoints
 * carry it. Each field's own range; validateExperiment checks how they fit together.
 */
export const experimentConfigSchema = z.object({
  size: z.enum([...SIZE_NAMES, 'custom']),
  /** The full-size (final-stage) model. */
  model: modelConfigSchema,
  /** train.steps is the whole schedule's step count; stage steps must add up to it. */
  train: trainConfigSchema,
  schedule: scheduleSpecSchema,
  seed: count,
});
export type ExperimentConfig = z.infer<typeof experimentConfigSchema>;

/** Model, training settings and seed: everything but the schedule. True when all checks passed. */
export function validateSettings(cfg: Omit<ExperimentConfig, 'schedule'>, checks: Checks = stopAtFirst): boolean {
  return [
    validateModelConfig(cfg.model, 'model', checks),
    validateTrainConfig(cfg.train, cfg.model, 'train', checks),
    checks.run(() => {
      if (!Number.isSafeInteger(cfg.seed) || cfg.seed < 0) throw new ConfigError('seed', `must be a non-negative integer, got ${cfg.seed}`);
    }),
    checks.run(() => checkCeilings(cfg)),
  ].every(Boolean);
}

/** What no backend can hold, refused before anything is allocated (model/memory.ts's estimate). */
function checkCeilings({ model, train }: Omit<ExperimentConfig, 'schedule'>): void {
  const need = estimateTrainingBytes(model, train);
  if (need > MAX_TRAINING_BYTES) {
    throw new ConfigError('model', `a training step of this model and batch needs an estimated ${formatBytes(need)}, over the ${formatBytes(MAX_TRAINING_BYTES)} any backend can hold; use a smaller model, batch or sequence length`);
  }
  const { batchSize, seqLen, evalBatches } = train;
  if (evalBatches * batchSize * seqLen > MAX_VALIDATION_TOKENS) {
    throw new ConfigError('train.evalBatches', `${evalBatches} batches of ${batchSize} × ${seqLen} tokens make a validation set over the ${MAX_VALIDATION_TOKENS} tokens the engine holds in memory; use fewer validation batches`);
  }
}

/**
 * Checks how a config fits together: throws ConfigError naming the first invalid field, or with
 * collecting `checks` notes every one (experimentErrors). True when all checks passed.
 */
export function validateExperiment(cfg: ExperimentConfig, checks: Checks = stopAtFirst): boolean {
  const settings = validateSettings(cfg, checks);
  return validateSchedule(cfg.schedule, cfg.model, cfg.train, checks) && settings;
}

/** Every problem of a config at once, in check order (the builder shows each beside its field). */
export function experimentErrors(cfg: ExperimentConfig): ConfigError[] {
  return collectErrors((checks) => validateExperiment(cfg, checks));
}

/** The FLOPs plan of a config: what the builder shows before anything runs. */
export function experimentFlops(cfg: ExperimentConfig): ScheduleFlops {
  return scheduleFlops(cfg.schedule, cfg.model, cfg.train);
}

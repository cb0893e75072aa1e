import { ConfigError } from '../errors.ts';
import { validateModelConfig, validateTrainConfig, type ModelConfig, type SizeName, type TrainConfig } from '../model/config.ts';
import { scheduleFlops, type ScheduleFlops } from '../schedule/flops.ts';
import type { ScheduleSpec } from '../schedule/spec.ts';
import { validateSchedule } from '../schedule/validate.ts';

/* What defines a run and its checks: pure, so the page can validate and cost a config without tfjs. */

/** Everything that defines a run; the builder edits it, share links and run records carry it. */
export interface ExperimentConfig {
  size: SizeName | 'custom';
  /** The full-size (final-stage) model. */
  model: ModelConfig;
  /** train.steps is the whole schedule's step count; stage steps must add up to it. */
  train: TrainConfig;
  schedule: ScheduleSpec;
  seed: number;
}

export function validateExperiment(cfg: ExperimentConfig): void {
  validateModelConfig(cfg.model);
  validateTrainConfig(cfg.train, cfg.model);
  validateSchedule(cfg.schedule, cfg.model, cfg.train);
  if (!Number.isSafeInteger(cfg.seed) || cfg.seed < 0) throw new ConfigError('seed', `must be a non-negative integer, got ${cfg.seed}`);
}

/** The FLOPs plan of a config: what the builder shows before anything runs. */
export function experimentFlops(cfg: ExperimentConfig): ScheduleFlops {
  return scheduleFlops(cfg.schedule, cfg.model, cfg.train);
}

import { ConfigError } from '../core/errors.ts';
import { SIZES } from '../core/model/config.ts';
import { experimentFlops, validateExperiment, type ExperimentConfig } from '../core/run/config.ts';
import type { ScheduleFlops } from '../core/schedule/flops.ts';
import { buildPreset } from '../core/schedule/presets.ts';
import type { PresetName, ScheduleSpec } from '../core/schedule/spec.ts';
import type { BuilderState } from './builder.ts';
import { opsOf, scheduleFromDims } from './dims.ts';
import { firstIssue, issueOf, type FieldIssue } from './issue.ts';

export interface BuiltExperiment {
  /** The stages the builder stands for (null when they cannot be made, e.g. 0 steps). */
  schedule: ScheduleSpec | null;
  /** The whole config, valid or not. */
  config: ExperimentConfig | null;
  /** The FLOPs plan; only for a valid config. */
  plan: ScheduleFlops | null;
  /** The first problem, naming the field it is about; null when the config can run. */
  issue: FieldIssue | null;
}

function baseConfig(s: BuilderState) {
  const { model, train } = SIZES[s.size];
  return {
    model: { ...model, norm: s.norm },
    train: { ...train, steps: s.totalSteps, lr: s.lr, evalEvery: s.evalEvery, evalBatches: s.evalBatches },
  };
}

/** The builder's stages: hand-edited, derived from the toggles, or a preset with the chosen operators. */
export function builderSchedule(s: BuilderState): ScheduleSpec {
  const { model } = baseConfig(s);
  if (s.source === 'hand') return { preset: 'custom', stages: s.handStages, ops: s.handOps };
  if (s.source === 'dims') return scheduleFromDims(s.dims, s.totalSteps, model, s.policies);
  const ops = opsOf(s.dims);
  return buildPreset(s.preset, s.totalSteps, model, { ...s.policies, depth: ops.depth, width: ops.width, widthNoise: ops.widthNoise, poolReduce: s.dims.length.reduce });
}

/** buildPreset names its step count "steps"; the builder's input for it is train.steps. */
function scheduleIssue(e: unknown): FieldIssue {
  const issue = issueOf(e);
  return e instanceof ConfigError && e.field === 'steps' ? { ...issue, field: 'train.steps' } : issue;
}

/** Everything the builder shows and Start needs, from the builder's inputs. */
export function buildExperiment(s: BuilderState): BuiltExperiment {
  let schedule: ScheduleSpec;
  try {
    schedule = builderSchedule(s);
  } catch (e) {
    return { schedule: null, config: null, plan: null, issue: scheduleIssue(e) };
  }
  const config: ExperimentConfig = { size: s.size, ...baseConfig(s), schedule, seed: s.seed };
  const issue = firstIssue(() => validateExperiment(config));
  return { schedule, config, plan: issue ? null : experimentFlops(config), issue };
}

/** The same experiment with a preset's schedule instead (for the queue: same size, steps, seed, operators). */
export function presetVariant(s: BuilderState, preset: PresetName): BuiltExperiment {
  return buildExperiment({ ...s, source: 'preset', preset });
}

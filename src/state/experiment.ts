import { ConfigError, collectErrors } from '../core/errors.ts';
import { SIZES } from '../core/model/config.ts';
import { experimentErrors, experimentFlops, validateSettings, type ExperimentConfig } from '../core/run/config.ts';
import type { ScheduleFlops } from '../core/schedule/flops.ts';
import { buildPreset } from '../core/schedule/presets.ts';
import { DEFAULT_HIDDEN_OP, type PresetName, type ScheduleSpec } from '../core/schedule/spec.ts';
import type { BuilderState } from './builder.ts';
import { opsOf, presetDims, scheduleFromDims } from './dims.ts';
import { issueOf, type FieldIssue } from './issue.ts';

export interface BuiltExperiment {
  /** The stages the builder stands for (null when they cannot be made, e.g. 0 steps). */
  schedule: ScheduleSpec | null;
  /** The whole config, valid or not. */
  config: ExperimentConfig | null;
  /** The FLOPs plan; only for a valid config. */
  plan: ScheduleFlops | null;
  /** Every problem, each naming the field it is about, in check order; empty when the config can run. */
  issues: FieldIssue[];
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
  return buildPreset(s.preset, s.totalSteps, model, {
    ...s.policies, depth: ops.depth, width: ops.width, widthNoise: ops.widthNoise, poolReduce: s.dims.length.reduce,
    // The toggles decide, for the msg, ligo and bert2bert presets too: no masks or LiGO when those are
    // off, the chosen hidden operator instead of AKI. It is named for presets that grow no d as well,
    // so that their stages edited by hand ("custom") keep it.
    msgRamp: ops.msgRamp ?? null,
    ligoSteps: ops.ligoSteps ?? null,
    hidden: ops.hidden ?? DEFAULT_HIDDEN_OP,
  });
}

/** buildPreset names its step count "steps"; the builder's input for it is train.steps. */
function scheduleIssue(e: unknown): FieldIssue {
  const issue = issueOf(e);
  return e instanceof ConfigError && e.field === 'steps' ? { ...issue, field: 'train.steps' } : issue;
}

/** Everything the builder shows and Start needs, from the builder's inputs. */
export function buildExperiment(s: BuilderState): BuiltExperiment {
  const base = { size: s.size, ...baseConfig(s), seed: s.seed };
  let schedule: ScheduleSpec;
  try {
    schedule = builderSchedule(s);
  } catch (e) {
    // No stages to check, but the other settings can still each say what is wrong with them.
    const rest = collectErrors((checks) => validateSettings(base, checks));
    return { schedule: null, config: null, plan: null, issues: withoutRepeats([scheduleIssue(e), ...rest.map(issueOf)]) };
  }
  const config: ExperimentConfig = { ...base, schedule };
  const issues = experimentErrors(config).map(issueOf);
  return { schedule, config, plan: issues.length ? null : experimentFlops(config), issues };
}

/** One issue per field and message: buildPreset and the validators can both object to the step count. */
function withoutRepeats(issues: FieldIssue[]): FieldIssue[] {
  return issues.filter((a, i) => issues.findIndex((b) => b.field === a.field && b.message === a.message) === i);
}

/** The same experiment with a preset's schedule instead (for the queue: same size, steps, seed, operators). */
export function presetVariant(s: BuilderState, preset: PresetName): BuiltExperiment {
  // The msg preset is its masks, the ligo preset its learned operator and the bert2bert preset its
  // AKI: queued from a builder with the toggle off (or another hidden operator), each brings its own,
  // as choosing it does; msg and ligo turn the other off (they cannot be combined).
  const own = presetDims(preset, SIZES[s.size].model, s.totalSteps);
  const dims =
    preset === 'msg' ? { ...s.dims, msg: s.dims.msg.on ? s.dims.msg : own.msg, ligo: { ...s.dims.ligo, on: false } }
    : preset === 'ligo' ? { ...s.dims, ligo: s.dims.ligo.on ? s.dims.ligo : own.ligo, msg: { ...s.dims.msg, on: false } }
    : preset === 'bert2bert' ? { ...s.dims, hidden: { ...s.dims.hidden, op: own.hidden.op } }
    : s.dims;
  return buildExperiment({ ...s, source: 'preset', preset, dims });
}

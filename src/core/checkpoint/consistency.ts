import { ConfigError } from '../errors.ts';
import { validateExperiment, type ExperimentConfig } from '../run/config.ts';
import { parsePath, show } from '../schema/show.ts';
import { stageModelConfig, stagePool, stageSeqLen } from '../schedule/spec.ts';
import type { CheckpointMetadata } from './metadata.ts';

/* What makes a checkpoint's metadata one moment of one run, beyond each field's own range. */

export interface Problem {
  path: (string | number)[];
  message: string;
}

/** The config as the engine will run it: its own rules, memory ceilings included. */
function runnable(config: ExperimentConfig): Problem | null {
  try {
    validateExperiment(config);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    // validateSchedule names its fields from the schedule down ("stages[1].shape.ffnDiv").
    const path = parsePath(e.field);
    const inSchedule = ['preset', 'ops', 'stages'].includes(String(path[0]));
    const prefix = `${e.field}: `;
    return { path: ['config', ...(inSchedule ? ['schedule'] : []), ...path], message: e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message };
  }
  return null;
}

/** The first way the parsed metadata fails to describe one moment of one run, if any. */
export function consistency(m: Omit<CheckpointMetadata, 'format' | 'version' | 'backend'>): Problem | null {
  const { config, model, state, step, stageIndex, adamStep } = m;
  const configProblem = runnable(config);
  if (configProblem) return configProblem;
  const stages = config.schedule.stages;
  if (stageIndex >= stages.length) return { path: ['stageIndex'], message: `expected a stage of the config's schedule (0..${stages.length - 1}), got ${stageIndex}` };
  const expected = stageModelConfig(config.model, stages[stageIndex].shape);
  const keys = Object.keys(expected) as (keyof typeof expected)[];
  const differs = keys.find((k) => expected[k] !== model[k]);
  if (differs) {
    return { path: ['model', differs], message: `the weights' model is not stage ${stageIndex + 1} of its config, which has ${differs} ${show(expected[differs])}; got ${show(model[differs])}` };
  }
  const starts = stages.map((_, i) => stages.slice(0, i).reduce((sum, s) => sum + s.steps, 0));
  const stageSteps = stages[stageIndex].steps;
  if (state.stageStart !== starts[stageIndex]) {
    return { path: ['state', 'stageStart'], message: `expected ${starts[stageIndex]} (the steps of the stages before stage ${stageIndex + 1}), got ${state.stageStart}` };
  }
  // A finished stage grows into the next within the same step, so only the last one is ever caught complete.
  const most = stageIndex === stages.length - 1 ? stageSteps : stageSteps - 1;
  if (state.stepsInStage > most) return { path: ['state', 'stepsInStage'], message: `expected at most ${most} (stage ${stageIndex + 1} has ${stageSteps} steps), got ${state.stepsInStage}` };
  if (step !== state.stageStart + state.stepsInStage) {
    return { path: ['step'], message: `expected stageStart + stepsInStage = ${state.stageStart + state.stepsInStage}, got ${step}` };
  }
  if (adamStep > step) return { path: ['adamStep'], message: `expected at most the run's ${step} steps, got ${adamStep}` };
  const seqLens = new Set(stages.slice(0, stageIndex + 1).map((s) => String(stageSeqLen(config.train.seqLen, s.shape))));
  const stray = Object.keys(state.cursors).find((k) => !seqLens.has(k));
  if (stray !== undefined) return { path: ['state', 'cursors', stray], message: `expected cursors only for the sequence lengths the run has used (${[...seqLens].join(', ')})` };
  const missing = [...seqLens].find((k) => !Object.hasOwn(state.cursors, k));
  if (missing !== undefined) return { path: ['state', 'cursors'], message: `has no cursor for sequence length ${missing}, which stage ${stageIndex + 1} or an earlier one trains on` };
  return recordProblem(m, starts);
}

/** Where two JSON values first differ (a path into them), or null when they are equal. */
function firstDifference(a: unknown, b: unknown, path: (string | number)[] = []): (string | number)[] | null {
  if (a === b) return null;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return path;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const key = Array.isArray(a) ? Number(k) : k;
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], [...path, key]);
    if (d) return d;
  }
  return null;
}

/** The run record must be the record of the run up to this step. */
function recordProblem({ config, record, step, stageIndex }: Pick<CheckpointMetadata, 'config' | 'record' | 'step' | 'stageIndex'>, starts: number[]): Problem | null {
  const stages = config.schedule.stages;
  const { model, train, seed, schedule } = record.config;
  const differs = firstDifference({ model, train, seed, ...(schedule ? { schedule } : {}) }, { model: config.model, train: config.train, seed: config.seed, ...(schedule ? { schedule: config.schedule } : {}) });
  if (differs) return { path: ['record', 'config', ...differs], message: 'expected the run\'s config, as the checkpoint\'s config has it' };
  // The checkpoint reads every pending metric back before it is taken: one entry per step so far.
  if (record.steps.length !== step) return { path: ['record', 'steps'], message: `expected one entry per step taken (${step}), got ${record.steps.length}` };
  const gap = record.steps.findIndex((s, i) => s.step !== i + 1);
  if (gap >= 0) return { path: ['record', 'steps', gap, 'step'], message: `expected ${gap + 1} (steps are numbered from 1 without gaps), got ${record.steps[gap].step}` };
  const diverged = record.steps.findIndex((s) => !Number.isFinite(s.loss));
  if (diverged >= 0) return { path: ['record', 'steps', diverged, 'loss'], message: `the run had diverged by step ${diverged + 1}: no checkpoint is taken after that` };
  if (record.stages.length !== stageIndex + 1) return { path: ['record', 'stages'], message: `expected one entry per stage begun (${stageIndex + 1}), got ${record.stages.length}` };
  for (const [i, s] of record.stages.entries()) {
    if (s.index !== i) return { path: ['record', 'stages', i, 'index'], message: `expected ${i}, got ${s.index}` };
    if (s.startStep !== starts[i]) return { path: ['record', 'stages', i, 'startStep'], message: `expected ${starts[i]}, got ${s.startStep}` };
    if (s.endStep > starts[i] + stages[i].steps) return { path: ['record', 'stages', i, 'endStep'], message: `expected at most ${starts[i] + stages[i].steps} (the stage's planned end), got ${s.endStep}` };
    const shape = s.shape && firstDifference(
      s.shape,
      { model: stageModelConfig(config.model, stages[i].shape), seqLen: stageSeqLen(config.train.seqLen, stages[i].shape), pool: stagePool(stages[i].shape) },
    );
    if (shape) return { path: ['record', 'stages', i, 'shape', ...shape], message: `expected stage ${i + 1} of the config` };
  }
  if (record.growthEvents.length !== stageIndex) return { path: ['record', 'growthEvents'], message: `expected one entry per growth so far (${stageIndex}), got ${record.growthEvents.length}` };
  for (const [i, g] of record.growthEvents.entries()) {
    if (g.step !== starts[i + 1]) return { path: ['record', 'growthEvents', i, 'step'], message: `expected ${starts[i + 1]} (where stage ${i + 2} begins), got ${g.step}` };
  }
  const late = record.validation.findIndex((p) => p.step > step);
  if (late >= 0) return { path: ['record', 'validation', late, 'step'], message: `expected at most the checkpoint's step ${step}, got ${record.validation[late].step}` };
  return null;
}

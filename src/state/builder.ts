import { create } from 'zustand';
import { SIZES, defaultLr, labEvalBatches, type NormPlacement, type SizeName } from '../core/model/config.ts';
import type { GrowthOps, PresetName, StageSpec } from '../core/schedule/spec.ts';
import { allocateSteps, ligoPresetSteps, msgPresetRamp } from '../core/schedule/presets.ts';
import { DEFAULT_LR_POLICY } from '../core/train/lr.ts';
import { opsOf, presetDims, shapeKey, withOpsOf, type Dims, type StagePolicies } from './dims.ts';
import type { BackendRequest } from './session.ts';

/**
 * Where the schedule comes from: a named preset (buildPreset), the dimension toggles
 * (scheduleFromDims), or stages edited by hand (preset "custom").
 */
export type ScheduleSource = 'preset' | 'dims' | 'hand';

export interface BuilderState {
  size: SizeName;
  norm: NormPlacement;
  seed: number;
  backend: BackendRequest;
  totalSteps: number;
  lr: number;
  evalEvery: number;
  /** Validation set size in batches; the lab starts with a quick set (labEvalBatches), the CLI uses the size's full one. */
  evalBatches: number;
  /** Policies given to generated stages. */
  policies: StagePolicies;
  dims: Dims;
  source: ScheduleSource;
  preset: PresetName;
  handStages: StageSpec[];
  handOps: GrowthOps;
}

/** About five validation points per run, so the speed-up interpolation has points to work with. */
export function defaultEvalEvery(totalSteps: number, size: SizeName): number {
  const cap = SIZES[size].train.evalEvery;
  return Number.isInteger(totalSteps) && totalSteps > 0 ? Math.max(1, Math.min(cap, Math.round(totalSteps / 5))) : cap;
}

export function initialBuilder(): BuilderState {
  const size: SizeName = 'tiny';
  const { model, train } = SIZES[size];
  const dims = presetDims('compound', model, train.steps);
  return {
    size,
    norm: model.norm,
    seed: 1,
    backend: 'auto',
    totalSteps: train.steps,
    lr: defaultLr(size, model.norm),
    evalEvery: defaultEvalEvery(train.steps, size),
    evalBatches: labEvalBatches(size),
    policies: { lrPolicy: DEFAULT_LR_POLICY, optPolicy: 'fresh' },
    dims,
    source: 'preset',
    preset: 'compound',
    handStages: [],
    handOps: opsOf(dims),
  };
}

interface BuilderActions {
  set(patch: Partial<Pick<BuilderState, 'seed' | 'backend' | 'lr' | 'evalEvery' | 'evalBatches'>>): void;
  /** Also resets the learning rate to the placement's tested one (post-LN needs its own). */
  setNorm(norm: NormPlacement): void;
  /** Policies of generated stages; hand-edited stages all take them too. */
  setPolicies(policies: StagePolicies): void;
  setSize(size: SizeName): void;
  setTotalSteps(steps: number): void;
  /** "custom" keeps the shown stages as hand-edited ones. */
  choosePreset(name: PresetName | 'custom', shown: StageSpec[], ops: GrowthOps): void;
  setDims(dims: Dims): void;
  /** Any stage edit: the shown stages become hand-edited ones. */
  editStages(stages: StageSpec[], ops: GrowthOps): void;
}

export const useBuilder = create<BuilderState & BuilderActions>((set) => ({
  ...initialBuilder(),
  set: (patch) => set(patch),
  setNorm: (norm) => set((s) => ({ norm, lr: defaultLr(s.size, norm) })),
  setPolicies: (policies) => set((s) => ({ policies, handStages: s.handStages.map((st) => ({ ...st, ...policies })) })),
  setSize: (size) =>
    set((s) => ({
      size,
      lr: defaultLr(size, s.norm),
      evalEvery: defaultEvalEvery(s.totalSteps, size),
      evalBatches: labEvalBatches(size),
      // A preset's factors can depend on the model (the factorize rank).
      dims: s.source === 'preset' ? withOpsOf(presetDims(s.preset, SIZES[size].model, s.totalSteps), s.dims) : s.dims,
    })),
  setTotalSteps: (totalSteps) =>
    set((s) => {
      // The msg preset's ramp and the ligo preset's operator steps are shares of the run.
      const rescaled = s.source === 'preset' && Number.isInteger(totalSteps) && totalSteps > 0;
      const dims =
        rescaled && s.preset === 'msg' ? { ...s.dims, msg: { ...s.dims.msg, ramp: msgPresetRamp(totalSteps) } }
        : rescaled && s.preset === 'ligo' ? { ...s.dims, ligo: { ...s.dims.ligo, steps: ligoPresetSteps(totalSteps) } }
        : null;
      const patch = { totalSteps, evalEvery: defaultEvalEvery(totalSteps, s.size), ...(dims ? { dims } : {}) };
      if (s.source !== 'hand' || !Number.isInteger(totalSteps) || totalSteps < s.handStages.length) return patch;
      // Hand-edited stages keep their proportions.
      const steps = allocateSteps(s.handStages.map((st) => (Number.isInteger(st.steps) && st.steps > 0 ? st.steps : 1)), totalSteps);
      return { ...patch, handStages: s.handStages.map((st, i) => ({ ...st, steps: steps[i] })) };
    }),
  choosePreset: (name, shown, ops) =>
    set((s) =>
      name === 'custom'
        ? { source: 'hand', handStages: shown, handOps: ops }
        : { source: 'preset', preset: name, dims: withOpsOf(presetDims(name, SIZES[s.size].model, s.totalSteps), s.dims) },
    ),
  setDims: (dims) =>
    set((s) => {
      // Changing only an operator keeps a preset (as its options) or hand-edited stages (their ops).
      if (shapeKey(dims) === shapeKey(s.dims) && s.source !== 'dims') return { dims, handOps: opsOf(dims) };
      return { dims, source: 'dims' };
    }),
  editStages: (stages, ops) =>
    set(() => {
      const sum = stages.reduce((a, st) => a + st.steps, 0);
      return { source: 'hand', handStages: stages, handOps: ops, ...(Number.isInteger(sum) && sum > 0 ? { totalSteps: sum } : {}) };
    }),
}));

import { ConfigError } from '../core/errors.ts';
import type { ModelConfig } from '../core/model/config.ts';
import { allocateSteps, factorizeRank } from '../core/schedule/presets.ts';
import { DEFAULT_WIDTH_NOISE, type DepthOp, type GrowthOps, type LrPolicy, type OptPolicy, type PoolReduce, type PresetName, type ScheduleSpec, type StageShape } from '../core/schedule/spec.ts';

/** Depth grows by `factor` per stage: L/factor², L/factor, then L. */
export interface DepthDim {
  on: boolean;
  op: DepthOp;
  factor: number;
}

/** share k / random k: F/k then F; factorize h: rank-h FFN, then dense. */
export interface WidthDim {
  on: boolean;
  mode: 'share' | 'factorize' | 'random';
  factor: number;
  /** Symmetric split ε of shared copies. */
  noise: number;
}

/** truncate k: n/k then n; pool k: queries pooled in windows of k, then full. */
export interface LengthDim {
  on: boolean;
  mode: 'truncate' | 'pool';
  factor: number;
  reduce: PoolReduce;
}

export interface Dims {
  depth: DepthDim;
  width: WidthDim;
  length: LengthDim;
}

export interface StagePolicies {
  lrPolicy: LrPolicy;
  optPolicy: OptPolicy;
}

/** The treatments a preset applies, at its own factors (2, or the cost-matched rank for factorize). */
export function presetDims(name: PresetName, target: ModelConfig): Dims {
  const depth: DepthDim = { on: name === 'stack' || name === 'depth' || name === 'compound', op: 'stack', factor: 2 };
  const factorize = name === 'width-factorize';
  const width: WidthDim = {
    on: name === 'width-share' || factorize || name === 'compound',
    mode: factorize ? 'factorize' : 'share',
    factor: factorize ? factorizeRank(target) : 2,
    noise: DEFAULT_WIDTH_NOISE,
  };
  const length: LengthDim = {
    on: name === 'length-truncate' || name === 'length-pool' || name === 'compound',
    mode: name === 'length-truncate' ? 'truncate' : 'pool',
    factor: 2,
    reduce: 'mean',
  };
  return { depth, width, length };
}

/** What the growth operators are, as opposed to which stages exist: changing only these keeps a preset. */
export function opsOf(d: Dims): GrowthOps {
  return { depth: d.depth.op, width: d.width.mode === 'random' ? 'random' : 'share', widthNoise: d.width.noise };
}

/**
 * Everything in the dims that decides which stages exist and how big they are; the operators
 * (depth op, share vs random, noise, pool reduction) are options on top, as in buildPreset.
 */
export function shapeKey(d: Dims): string {
  const w = d.width.on ? `${d.width.mode === 'factorize' ? 'h' : 'k'}${d.width.factor}` : '-';
  const l = d.length.on ? `${d.length.mode}${d.length.factor}` : '-';
  return `${d.depth.on ? d.depth.factor : '-'}|${w}|${l}`;
}

/** `d` with the operator choices of `prev` (a preset's toggles adopt the user's operators). */
export function withOpsOf(d: Dims, prev: Dims): Dims {
  return {
    depth: { ...d.depth, op: prev.depth.op },
    width: { ...d.width, noise: prev.width.noise, mode: d.width.mode === 'share' && prev.width.mode === 'random' ? 'random' : d.width.mode },
    length: { ...d.length, reduce: prev.length.reduce },
  };
}

/** The preset whose stages these dims produce (stack has its own timing, so never), else custom. */
export function matchingPreset(d: Dims, target: ModelConfig): PresetName | 'custom' {
  const key = shapeKey(d);
  const names: PresetName[] = ['baseline', 'depth', 'width-share', 'width-factorize', 'length-truncate', 'length-pool', 'compound'];
  return names.find((n) => shapeKey(presetDims(n, target)) === key) ?? 'custom';
}

function factorAtLeast(field: string, v: number, min: number, what: string): void {
  if (!Number.isInteger(v) || v < min) throw new ConfigError(field, `${what} must be a whole number of at least ${min}, got ${v}`);
}

/** The toggles' own numbers; what they do to the model is validateSchedule's job. */
export function validateDims(d: Dims): void {
  if (d.depth.on) factorAtLeast('dims.depth.factor', d.depth.factor, 2, 'the depth growth factor');
  if (d.width.on) {
    if (d.width.mode === 'factorize') factorAtLeast('dims.width.factor', d.width.factor, 1, 'the factorization rank h');
    else factorAtLeast('dims.width.factor', d.width.factor, 2, 'the FFN growth factor k');
  }
  if (d.length.on) factorAtLeast('dims.length.factor', d.length.factor, 2, `the ${d.length.mode === 'pool' ? 'pooling window' : 'truncation factor'} k`);
}

/**
 * A schedule from per-dimension toggles, on CompoundGrow's timing (20% / 20% / 30% / 30%): depth
 * at L/f², L/f, L, L; width and length treated in the first three stages; the last stage is the
 * full model. Consecutive identical stages merge (a boundary without growth would only restart the
 * learning rate).
 */
export function scheduleFromDims(d: Dims, totalSteps: number, target: ModelConfig, policies: StagePolicies): ScheduleSpec {
  validateDims(d);
  const L = target.layers;
  const f = d.depth.factor;
  const layersAt = [Math.round(L / (f * f)), Math.round(L / f), L, L].map((l) => (d.depth.on ? Math.max(1, l) : L));
  const full: StageShape = { layers: L, ffnDiv: 1, ffnRank: target.ffnRank, length: 'full', lengthFactor: 1, poolReduce: d.length.reduce };
  const treated: StageShape = {
    ...full,
    ...(d.width.on ? (d.width.mode === 'factorize' ? { ffnRank: d.width.factor } : { ffnDiv: d.width.factor }) : {}),
    ...(d.length.on ? { length: d.length.mode, lengthFactor: d.length.factor } : {}),
  };
  const merged: { weight: number; shape: StageShape }[] = [];
  [20, 20, 30, 30].forEach((weight, i) => {
    const shape = { ...(i < 3 ? treated : full), layers: layersAt[i] };
    const prev = merged[merged.length - 1];
    if (prev && JSON.stringify(prev.shape) === JSON.stringify(shape)) prev.weight += weight;
    else merged.push({ weight, shape });
  });
  if (!Number.isInteger(totalSteps) || totalSteps < merged.length) {
    throw new ConfigError('train.steps', `this schedule has ${merged.length} stages, so it needs a whole number of steps of at least ${merged.length}, got ${totalSteps}`);
  }
  const steps = allocateSteps(merged.map((m) => m.weight), totalSteps);
  return {
    preset: matchingPreset(d, target),
    stages: merged.map((m, i) => ({ shape: m.shape, steps: steps[i], ...policies })),
    ops: opsOf(d),
  };
}

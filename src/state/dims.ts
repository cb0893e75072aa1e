import { ConfigError } from '../core/errors.ts';
import { GROWTH_OPERATORS, type GrowthOperator } from '../core/growth/registry.ts';
import type { ModelConfig } from '../core/model/config.ts';
import { SIZES } from '../core/model/config.ts';
import { allocateSteps, evenHeadDim, factorizeRank, ligoPresetSteps, msgPresetRamp } from '../core/schedule/presets.ts';
import {
  DEFAULT_HIDDEN_OP,
  DEFAULT_WIDTH_NOISE,
  HIDDEN_OP_NAMES,
  type DepthOp,
  type GrowthOps,
  type HiddenGrowthOp,
  type LrPolicy,
  type OptPolicy,
  type PoolReduce,
  type PresetName,
  type ScheduleSpec,
  type StageShape,
} from '../core/schedule/spec.ts';

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

/**
 * hidden k, heads m: the grown-from stages train at d/k with H/m heads (hiddenDiv k, headsDiv m),
 * then the full d and H. The head dimension grows by k/m (the hidden.* operator), the
 * heads by m (heads.add, which grows d with them): k = m grows only the heads, m = 1 only the
 * head dimension (d at fixed heads).
 */
export interface HiddenDim {
  on: boolean;
  /** How the head dimension grows (ops.hidden); the heads always grow by heads.add. */
  op: HiddenGrowthOp;
  factor: number;
  heads: number;
}

/**
 * Masked structural growth (growth/msg.ts): an operator option, not a dimension. On, every growth
 * masks what it adds, the mask ramping over `ramp` steps (ops.msgRamp).
 */
export interface MsgDim {
  on: boolean;
  ramp: number;
}

/**
 * Learned growth (growth/ligo.ts): an operator option like MSG. On, every growth that changes weights
 * is made by a linear operator trained for `steps` steps on the grown model's loss (ops.ligoSteps).
 */
export interface LigoDim {
  on: boolean;
  steps: number;
}

export interface Dims {
  depth: DepthDim;
  width: WidthDim;
  length: LengthDim;
  hidden: HiddenDim;
  msg: MsgDim;
  ligo: LigoDim;
}

export interface StagePolicies {
  lrPolicy: LrPolicy;
  optPolicy: OptPolicy;
}

/**
 * The treatments a preset applies, at its own factors (2, or the cost-matched rank for factorize).
 * `totalSteps` scales the msg preset's ramp and the ligo preset's operator steps (what a toggle
 * switched on starts with, too).
 */
export function presetDims(name: PresetName, target: ModelConfig, totalSteps: number = SIZES.tiny.train.steps): Dims {
  const grown = name === 'msg' || name === 'ligo';
  const depth: DepthDim = { on: name === 'stack' || name === 'depth' || name === 'compound' || grown, op: 'stack', factor: 2 };
  const factorize = name === 'width-factorize';
  const width: WidthDim = {
    on: name === 'width-share' || factorize || name === 'compound' || grown || name === 'bert2bert',
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
  // msg and ligo grow d with the heads (heads.add), bert2bert at fixed heads (its AKI grows the head
  // dimension); any other starts the toggle off, at d/2 with every head. As buildPreset does, ligo keeps
  // every head when they are odd (its d/2 then doubles the head dimension) and grows no d when d is
  // odd, and bert2bert grows no d when the head dimension is odd.
  const hidden: HiddenDim =
    name === 'msg' ? { on: true, op: DEFAULT_HIDDEN_OP, factor: 2, heads: 2 }
    : name === 'ligo' ? { on: target.hidden % 2 === 0, op: DEFAULT_HIDDEN_OP, factor: 2, heads: target.heads % 2 === 0 ? 2 : 1 }
    : name === 'bert2bert' ? { on: evenHeadDim(target), op: 'aki', factor: 2, heads: 1 }
    : { on: false, op: DEFAULT_HIDDEN_OP, factor: 2, heads: 1 };
  const steps = Number.isInteger(totalSteps) && totalSteps > 0;
  const msg: MsgDim = { on: name === 'msg', ramp: steps ? msgPresetRamp(totalSteps) : 1 };
  const ligo: LigoDim = { on: name === 'ligo', steps: steps ? ligoPresetSteps(totalSteps) : 1 };
  return { depth, width, length, hidden, msg, ligo };
}

/** A hidden-size operator a schedule can name: its ops.hidden value and the registry's entry. */
export interface HiddenOperator {
  op: HiddenGrowthOp;
  operator: GrowthOperator;
}

/**
 * The hidden.* operators of the growth registry, in its order, that a schedule's ops.hidden
 * accepts: an operator added to both appears in the lab without a change here.
 */
export function hiddenOperators(): HiddenOperator[] {
  const names: readonly string[] = HIDDEN_OP_NAMES;
  return GROWTH_OPERATORS.flatMap((operator) => {
    const op = operator.id.slice('hidden.'.length);
    return operator.dimension === 'hidden' && operator.id.startsWith('hidden.') && names.includes(op) ? [{ op: op as HiddenGrowthOp, operator }] : [];
  });
}

/** The heads operators of the growth registry (heads.add): the heads grow by them whatever ops say. */
export function headsOperators(): GrowthOperator[] {
  return GROWTH_OPERATORS.filter((o) => o.dimension === 'heads' && !o.msg);
}

/**
 * What the growth operators are, as opposed to which stages exist: changing only these keeps a
 * preset. The hidden operator is named only when it is not the default, so ops without d growth
 * stay as they were before d could grow (an absent ops.hidden is the default).
 */
export function opsOf(d: Dims): GrowthOps {
  return {
    depth: d.depth.op,
    width: d.width.mode === 'random' ? 'random' : 'share',
    widthNoise: d.width.noise,
    ...(d.hidden.op === DEFAULT_HIDDEN_OP ? {} : { hidden: d.hidden.op }),
    ...(d.msg.on ? { msgRamp: d.msg.ramp } : {}),
    ...(d.ligo.on ? { ligoSteps: d.ligo.steps } : {}),
  };
}

/**
 * Everything in the dims that decides which stages exist and how big they are; the operators
 * (depth op, share vs random, noise, pool reduction) are options on top, as in buildPreset.
 */
export function shapeKey(d: Dims): string {
  const w = d.width.on ? `${d.width.mode === 'factorize' ? 'h' : 'k'}${d.width.factor}` : '-';
  const l = d.length.on ? `${d.length.mode}${d.length.factor}` : '-';
  const h = d.hidden.on ? `d${d.hidden.factor}h${d.hidden.heads}` : '-';
  return `${d.depth.on ? d.depth.factor : '-'}|${w}|${l}|${h}`;
}

/** `d` with the operator choices of `prev` (a preset's toggles adopt the user's operators). */
export function withOpsOf(d: Dims, prev: Dims): Dims {
  return {
    depth: { ...d.depth, op: prev.depth.op },
    width: { ...d.width, noise: prev.width.noise, mode: d.width.mode === 'share' && prev.width.mode === 'random' ? 'random' : d.width.mode },
    length: { ...d.length, reduce: prev.length.reduce },
    // The bert2bert preset brings its AKI, as msg and ligo bring theirs below; any other keeps the user's operator.
    hidden: { ...d.hidden, op: d.hidden.op === DEFAULT_HIDDEN_OP ? prev.hidden.op : d.hidden.op },
    // The msg preset brings MSG on and the ligo preset LiGO; any other keeps the user's choice. The two
    // cannot be combined (validateSchedule), so a preset bringing one turns the other off.
    msg: d.msg.on ? d.msg : d.ligo.on ? { ...prev.msg, on: false } : prev.msg,
    ligo: d.ligo.on ? d.ligo : d.msg.on ? { ...prev.ligo, on: false } : prev.ligo,
  };
}

/** The preset whose stages these dims produce (stack, msg, ligo and bert2bert have their own timing, so never), else custom. */
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
  if (d.hidden.on) {
    factorAtLeast('dims.hidden.factor', d.hidden.factor, 2, 'the hidden growth factor k');
    factorAtLeast('dims.hidden.heads', d.hidden.heads, 1, 'the heads growth factor m');
  }
  // The ramp's own bounds (and that it fits each stage) are validateSchedule's, on ops.msgRamp; so are
  // LiGO's steps and its clash with MSG, on ops.ligoSteps.
}

/**
 * A schedule from per-dimension toggles, on CompoundGrow's timing (20% / 20% / 30% / 30%): depth
 * at L/f², L/f, L, L; width, length, hidden size and heads treated in the first three stages;
 * the last stage is the full model. Consecutive identical stages merge (a boundary without growth
 * would only restart the learning rate).
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
    // Both divisors or neither, as the stage fields write them: a link carries the two together.
    ...(d.hidden.on ? { hiddenDiv: d.hidden.factor, headsDiv: d.hidden.heads } : {}),
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

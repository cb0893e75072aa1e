import { ConfigError } from '../errors.ts';
import type { ModelConfig } from '../model/config.ts';
import { DEFAULT_LR_POLICY } from '../train/lr.ts';
import {
  DEFAULT_HIDDEN_OP,
  DEFAULT_WIDTH_NOISE,
  PRESET_NAMES,
  type DepthOp,
  type HiddenGrowthOp,
  type LrPolicy,
  type OptPolicy,
  type PoolReduce,
  type PresetName,
  type ScheduleSpec,
  type StageShape,
  type WidthOp,
} from './spec.ts';

export interface PresetOptions {
  /** Default "paper" (grow_bert: every stage warms up again, then follows the run-long decay line). */
  lrPolicy?: LrPolicy;
  /** Default "fresh" (the public code drops Adam moments at each growth). */
  optPolicy?: OptPolicy;
  /** Default "stack" (Gong et al.; CompoundGrow's depth operator). */
  depth?: DepthOp;
  /** Default "share" (CompoundGrow's width operator). */
  width?: WidthOp;
  /** Default DEFAULT_WIDTH_NOISE: exact copies (0) would never separate; see spec.ts. */
  widthNoise?: number;
  /** Default "mean" (CompoundGrow's pooling). */
  poolReduce?: PoolReduce;
  /** MSG's ramp in steps (ops.msgRamp), null for none; default none, except the msg preset's own (msgPresetRamp). */
  msgRamp?: number | null;
  /** LiGO's operator steps (ops.ligoSteps), null for none; default none, except the ligo preset's own (ligoPresetSteps). */
  ligoSteps?: number | null;
  /** How d grows at fixed heads (ops.hidden); default tile, except the bert2bert preset's AKI. */
  hidden?: HiddenGrowthOp;
}

/** A stage before steps are assigned: its share of the run, as an integer weight. */
interface Draft {
  weight: number;
  shape: StageShape;
}

/** Growth factor of every single-dimension treatment, as in CompoundGrow (pool 2, FFN share 2). */
const K = 2;

/**
 * The msg preset's ramp, as a percentage of the run. The released MSG BERT script's schedule grows at
 * steps 10, 20, 30, 40 and 50 with a ramp ("grow_time") of 5 in a 100-step run; the preset reads those
 * numbers as shares of the run.
 */
const MSG_RAMP_PERCENT = 5;

/** The msg preset's ramp for a run of `totalSteps`: 5% of it, at least 1 step. */
export function msgPresetRamp(totalSteps: number): number {
  return Math.max(1, Math.round((totalSteps * MSG_RAMP_PERCENT) / 100));
}

/**
 * The ligo preset's operator training, ops.ligoSteps: the paper's 100 steps, which is small against its
 * runs (about 0.05% of BERT-Base pre-training), capped at 5% of a lab run so that a tiny run is
 * not mostly operator training; at least 1.
 */
export function ligoPresetSteps(totalSteps: number): number {
  return Math.max(1, Math.min(LIGO_PAPER_STEPS, Math.round((totalSteps * LIGO_STEPS_PERCENT) / 100)));
}
const LIGO_PAPER_STEPS = 100;
const LIGO_STEPS_PERCENT = 5;

/** Keeps weight·steps (weights are percentages) exact in double precision. */
const MAX_STEPS = 1e12;

/**
 * Rank of width-factorize: the h at which a factorized FFN, 2·h·(d+F) multiply-adds per token per
 * matrix pair, costs what width-share's F/2 dense FFN (d·F) costs, h = d·F / (2(d+F)) (0.4·d for
 * F = 4d). The paper compared its two width operators at matched cost the same way (share k=4 vs
 * h = 0.2·d). Always below min(d, F)/2, so a valid rank.
 */
export function factorizeRank(target: ModelConfig): number {
  return Math.max(1, Math.round((target.hidden * target.ffn) / (2 * (target.hidden + target.ffn))));
}

/**
 * Whether d can halve at fixed heads: the head dimension d/H must be even. Where it is odd, d/2 would
 * need fewer heads, which heads.add grows instead of the hidden operator.
 */
export function evenHeadDim(target: ModelConfig): boolean {
  return (target.hidden / target.heads) % K === 0;
}

function sameShape(a: StageShape, b: StageShape): boolean {
  return (
    a.layers === b.layers &&
    a.ffnDiv === b.ffnDiv &&
    a.ffnRank === b.ffnRank &&
    a.length === b.length &&
    a.lengthFactor === b.lengthFactor &&
    a.poolReduce === b.poolReduce &&
    (a.hiddenDiv ?? 1) === (b.hiddenDiv ?? 1) &&
    (a.headsDiv ?? 1) === (b.headsDiv ?? 1)
  );
}

/**
 * Integer steps in proportion to the weights, summing exactly to `total`: floors, then the largest
 * remainders (earlier stage first on ties), then every stage given at least one step by taking
 * from the longest.
 */
export function allocateSteps(weights: readonly number[], total: number): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const steps = weights.map((w) => Math.floor((w * total) / sum));
  const order = weights.map((w, i) => ({ i, rem: (w * total) % sum })).sort((a, b) => b.rem - a.rem || a.i - b.i);
  let left = total - steps.reduce((a, b) => a + b, 0);
  for (const { i } of order) {
    if (left === 0) break;
    steps[i]++;
    left--;
  }
  for (let i = 0; i < steps.length; i++) {
    if (steps[i] > 0) continue;
    const longest = steps.indexOf(Math.max(...steps));
    steps[longest]--;
    steps[i]++;
  }
  return steps;
}

/**
 * Stage drafts of each preset, as percentages of the run. CompoundGrow (paper §4) trains 20% at L/4
 * and 20% at L/2 with every treatment (mean pooling k=2, FFN share k=2), 30% at L still pooled and
 * narrow, and 30% on the full model. The single-dimension presets (depth, width-*, length-*) apply
 * their one treatment in exactly the stages where compound applies it — the same stage boundaries —
 * so compound vs one dimension compares the same timing with one treatment against all of them;
 * compound is then also the cheapest of them. "stack" is instead the paper's comparison method as
 * it ran it (Gong et al.): 30% at L/4, 40% at L/2, 30% at L. Layer counts are rounded, at least 1.
 */
function drafts(name: PresetName, target: ModelConfig, reduce: PoolReduce): Draft[] {
  const L = target.layers;
  const depthAt = (frac: number) => Math.max(1, Math.round(L * frac));
  const full: StageShape = { layers: L, ffnDiv: 1, ffnRank: target.ffnRank, length: 'full', lengthFactor: 1, poolReduce: reduce };
  const narrow: Partial<StageShape> = { ffnDiv: K };
  const pooled: Partial<StageShape> = { length: 'pool', lengthFactor: K };
  const at = (weight: number, ...changes: Partial<StageShape>[]): Draft => ({
    weight,
    shape: changes.reduce<StageShape>((s, c) => ({ ...s, ...c }), full),
  });
  // Compound's timing: which dimensions are treated in each of its four stages.
  const compoundTiming = (depth: boolean, treat: Partial<StageShape>): Draft[] => [
    at(20, depth ? { layers: depthAt(1 / 4) } : {}, treat),
    at(20, depth ? { layers: depthAt(1 / 2) } : {}, treat),
    at(30, depth ? {} : treat),
    at(30),
  ];
  switch (name) {
    case 'baseline':
      return [at(100)];
    case 'stack':
      return [at(30, { layers: depthAt(1 / 4) }), at(40, { layers: depthAt(1 / 2) }), at(30)];
    case 'depth':
      return compoundTiming(true, {});
    case 'width-share':
      return compoundTiming(false, narrow);
    case 'width-factorize':
      if (target.ffnRank !== 0) throw new ConfigError('model.ffnRank', `width-factorize grows a factorized FFN into a dense one, so the target must be dense (0), got ${target.ffnRank}`);
      return compoundTiming(false, { ffnRank: factorizeRank(target) });
    case 'length-truncate':
      return compoundTiming(false, { length: 'truncate', lengthFactor: K });
    case 'length-pool':
      return compoundTiming(false, pooled);
    case 'compound':
      return [
        at(20, { layers: depthAt(1 / 4) }, narrow, pooled),
        at(20, { layers: depthAt(1 / 2) }, narrow, pooled),
        at(30, narrow, pooled),
        at(30),
      ];
    case 'ligo': {
      // LiGO's BERT experiment (Wang et al. 2023) grows BERT-Small (L6, d512, 8 heads) into BERT-Base
      // (L12, d768, 12 heads). Scaled: half the depth, half of d at the same head dimension (half the
      // heads, as the paper keeps d_h = 64; tile doubles d_h instead when the heads are odd) and half
      // the FFN, so F = 4d holds in both. The paper starts from a separately pretrained small model;
      // here it is the first stage, given 30% of the run.
      const small: Partial<StageShape> = target.hidden % K === 0 ? (target.heads % K === 0 ? { hiddenDiv: K, headsDiv: K } : { hiddenDiv: K }) : {};
      return [at(30, { layers: depthAt(1 / 2) }, narrow, small), at(70)];
    }
    case 'bert2bert':
      // bert2BERT's BERT experiment (Chen et al. 2022) grows width only: BERT-Small (L12, d512) into
      // BERT-Base (L12, d768), by AKI. The paper adds heads at a fixed head dimension (8 → 12 of 64), but
      // here AKI is a hidden operator (ops.hidden), which grows d at fixed heads; d grown with the heads
      // would go through heads.add, which has no AKI form. So the small stage keeps every head at d/2,
      // the factor the other presets' treatments share, and where the head dimension is odd, d stays
      // and only the FFN grows. F = 4d in the paper's models, so F halves with d. The paper starts from
      // a separately pretrained small model; here it is the first stage, at the ligo preset's 30%, so
      // the two compare at the same timing.
      return [at(30, narrow, evenHeadDim(target) ? { hiddenDiv: K } : {}), at(70)];
    case 'msg': {
      // MSG's BERT schedule (Yao et al. 2023; the released script, read as shares of the run): FFN width
      // grows at 10%, depth L/4 → L/2 at 20%, d at 30%, heads at 40%, depth to L at 50%. Here d grows with
      // the heads by heads.add, at the 30% boundary: more heads at a fixed d (the paper's 40% step after
      // d) would shrink the head dimension, which has no preserving form (growth/heads.ts), and growing
      // the head dimension first (hidden.*+msg) would need a smaller start than the d/2 the other
      // presets' treatments share. The starting sizes halve F, d and H and quarter L, as they do.
      const small: Partial<StageShape> = target.heads % K === 0 && target.hidden % K === 0 ? { hiddenDiv: K, headsDiv: K } : {};
      return [
        at(10, { layers: depthAt(1 / 4) }, narrow, small),
        at(10, { layers: depthAt(1 / 4) }, small),
        at(10, { layers: depthAt(1 / 2) }, small),
        at(20, { layers: depthAt(1 / 2) }),
        at(50),
      ];
    }
  }
}

/**
 * A preset schedule scaled to `target` and `totalSteps`: the papers' proportions, integer steps
 * summing exactly to totalSteps. Consecutive stages that rounding (or a preset's timing) makes
 * identical are merged — a boundary without growth would only restart the learning rate — so at
 * L = 2, for instance, compound's L/4 and L/2 stages become one 40% stage at L1. Validate the
 * result with validateSchedule (whether n/2 is allowed depends on the sequence length).
 */
export function buildPreset(name: PresetName, totalSteps: number, target: ModelConfig, opts: PresetOptions = {}): ScheduleSpec {
  if (!PRESET_NAMES.includes(name)) throw new ConfigError('preset', `must be one of ${PRESET_NAMES.join(', ')}, got ${JSON.stringify(name)}`);
  const merged: Draft[] = [];
  for (const d of drafts(name, target, opts.poolReduce ?? 'mean')) {
    const prev = merged[merged.length - 1];
    if (prev && sameShape(prev.shape, d.shape)) prev.weight += d.weight;
    else merged.push({ ...d });
  }
  if (!Number.isInteger(totalSteps) || totalSteps < merged.length || totalSteps > MAX_STEPS) {
    throw new ConfigError('steps', `the "${name}" preset needs a whole number of steps from ${merged.length} (one per stage) to ${MAX_STEPS}, got ${totalSteps}`);
  }
  const steps = allocateSteps(merged.map((d) => d.weight), totalSteps);
  // The ramp runs inside the stage a growth starts: never longer than the shortest of them.
  const rampCap = Math.min(...steps.slice(1), totalSteps);
  const msgRamp = opts.msgRamp === undefined ? (name === 'msg' ? Math.min(msgPresetRamp(totalSteps), rampCap) : undefined) : opts.msgRamp ?? undefined;
  const ligoSteps = opts.ligoSteps === undefined ? (name === 'ligo' ? ligoPresetSteps(totalSteps) : undefined) : opts.ligoSteps ?? undefined;
  const hidden = opts.hidden ?? (name === 'bert2bert' ? 'aki' : DEFAULT_HIDDEN_OP);
  return {
    preset: name,
    stages: merged.map((d, i) => ({
      shape: d.shape,
      steps: steps[i],
      lrPolicy: opts.lrPolicy ?? DEFAULT_LR_POLICY,
      optPolicy: opts.optPolicy ?? 'fresh',
    })),
    ops: {
      depth: opts.depth ?? 'stack',
      width: opts.width ?? 'share',
      widthNoise: opts.widthNoise ?? DEFAULT_WIDTH_NOISE,
      // Named only when not the default, as an absent ops.hidden means it.
      ...(hidden === DEFAULT_HIDDEN_OP ? {} : { hidden }),
      ...(msgRamp === undefined ? {} : { msgRamp }),
      ...(ligoSteps === undefined ? {} : { ligoSteps }),
    },
  };
}

/**
 * `baseline` (one full-size stage) cut at the stage boundaries of `like` (e.g. compound), each
 * piece keeping the full shape and taking the learning-rate and optimizer policies of `like`'s
 * stage at that position. With "paper" every piece warms up again and Adam moments are dropped at
 * every boundary ("fresh"), as in the grown run, so comparing it with `like` separates growth
 * from the restarts that come with it. A boundary between identical shapes grows nothing (the
 * weights are copied unchanged); validateSchedule allows it. Preset "custom": buildPreset would
 * merge the pieces back into one stage.
 */
export function withRestartsOf(baseline: ScheduleSpec, like: ScheduleSpec): ScheduleSpec {
  if (baseline.stages.length !== 1) {
    throw new ConfigError('schedule.stages', `the restart control splits a single full-size stage, got ${baseline.stages.length} stages`);
  }
  const total = baseline.stages[0].steps;
  const likeTotal = like.stages.reduce((s, st) => s + st.steps, 0);
  if (likeTotal !== total) {
    throw new ConfigError('steps', `the restart control needs both schedules to run the same steps, got ${total} and ${likeTotal}`);
  }
  return {
    preset: 'custom',
    stages: like.stages.map((st) => ({ shape: { ...baseline.stages[0].shape }, steps: st.steps, lrPolicy: st.lrPolicy, optPolicy: st.optPolicy })),
    ops: { ...baseline.ops },
  };
}

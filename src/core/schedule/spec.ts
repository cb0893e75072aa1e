import { z } from 'zod';
import { POOL_REDUCES, type ModelConfig, type PoolReduce, type PoolSetting } from '../model/config.ts';
import { count, positiveInt } from '../schema/numbers.ts';
import { LR_POLICIES, type LrPolicy } from '../train/lr.ts';

export type { LrPolicy, PoolReduce };
export { POOL_REDUCES };

/** How new layers are made when depth grows (see growth/depth.ts). */
export const DEPTH_OP_NAMES = ['stack', 'interleave', 'identity', 'random'] as const;
export type DepthOp = (typeof DEPTH_OP_NAMES)[number];
/**
 * How a dense FFN grows from F/k to F units. A factorized stage (ffnRank > 0) becoming dense always
 * grows by the product W := A·B, whatever this says.
 */
export const WIDTH_OP_NAMES = ['share', 'random'] as const;
export type WidthOp = (typeof WIDTH_OP_NAMES)[number];
/** How d grows at fixed heads (growth/hidden.ts, bert2bert.ts); absent in GrowthOps: tile. */
export const HIDDEN_OP_NAMES = ['tile', 'fpi', 'aki', 'random'] as const;
export type HiddenGrowthOp = (typeof HIDDEN_OP_NAMES)[number];
/** What an absent ops.hidden means. */
export const DEFAULT_HIDDEN_OP: HiddenGrowthOp = 'tile';
export const LENGTH_MODES = ['full', 'truncate', 'pool'] as const;
export type LengthMode = (typeof LENGTH_MODES)[number];
export const OPT_POLICIES = ['fresh', 'carry'] as const;
export type OptPolicy = (typeof OPT_POLICIES)[number];

/**
 * The model and input one stage trains, relative to the target (final) model. Each field's own
 * range; what the target model and the neighbouring stages allow is validateSchedule's.
 */
export const stageShapeSchema = z.object({
  /** L of this stage. */
  layers: positiveInt,
  /** FFN inner size is F / ffnDiv (1 = full width). */
  ffnDiv: positiveInt,
  /** 0 = dense FFN; h > 0 = factorized W ≈ A·B with rank h. */
  ffnRank: count,
  length: z.enum(LENGTH_MODES),
  /** k for truncate (seqLen n/k) or pool (windows of k); 1 when length = 'full'. */
  lengthFactor: positiveInt,
  /** Window reduction when pooling; carried (and ignored) by the other length modes. */
  poolReduce: z.enum(POOL_REDUCES),
  /**
   * Hidden size is d / hiddenDiv. Optional rather than defaulted: absent means 1, so records,
   * checkpoints and links from before d could grow parse unchanged, and shapes built as literals
   * (the lab's toggles, the suite) need not name it. Read it through stageModelConfig.
   */
  hiddenDiv: positiveInt.optional(),
  /** Heads are H / headsDiv; absent means 1, as hiddenDiv. */
  headsDiv: positiveInt.optional(),
});
export type StageShape = z.infer<typeof stageShapeSchema>;

export const stageSpecSchema = z.object({
  shape: stageShapeSchema,
  steps: positiveInt,
  /** Learning-rate behaviour at the start of this stage (see train/lr.ts). */
  lrPolicy: z.enum(LR_POLICIES),
  /** Whether Adam moments are dropped or grown with the weights when this stage starts. */
  optPolicy: z.enum(OPT_POLICIES),
});
export type StageSpec = z.infer<typeof stageSpecSchema>;

export const growthOpsSchema = z.object({
  depth: z.enum(DEPTH_OP_NAMES),
  width: z.enum(WIDTH_OP_NAMES),
  /** Symmetric split ε for share (copies get (1 ± ε·z)/k); 0 = exact copies. */
  widthNoise: z.number().min(0).lt(1),
  /** How d grows at fixed heads (growth/hidden.ts); absent: tile. */
  hidden: z.enum(HIDDEN_OP_NAMES).optional(),
  /**
   * Masked structural growth (growth/msg.ts): present, every growth masks its new layers, FFN units
   * and heads, the mask ramping from 0 to 1 over this many steps of the new stage; absent, no mask.
   * Optional so that records, checkpoints and links from before MSG parse unchanged.
   */
  msgRamp: positiveInt.optional(),
  /**
   * LiGO mode (growth/ligo.ts): present, every growth event that changes weights is made by a learned
   * linear operator trained for this many steps on the grown model's loss, instead of the depth,
   * width, hidden and heads operators above; absent, no LiGO. Optional for the same reason as msgRamp.
   */
  ligoSteps: positiveInt.optional(),
});
export type GrowthOps = z.infer<typeof growthOpsSchema>;

/**
 * ε every default schedule uses (presets, the lab's toggles, growth-check). Why not 0: nothing sits
 * between W1 and W2 that differs per unit (dropout acts on the FFN's summed output), so exact
 * copies get identical gradients and stay bit-identical for the rest of training — the grown FFN
 * would keep the width it had before growing. Why this value: growth/width.ts puts the split on the
 * output side only, (1 + ε·z)/k and (1 − ε·z)/k on paired copies of W2 with W1 tiled unchanged,
 * so the scales of each element still sum to exactly 1 and the function is preserved for any
 * ε < 1: the jump at growth is float rounding whatever ε is (growth-check --op width.share:
 * max |Δlogit| 1.2e-7 at 0.05; 9.5e-7 at growth in the tiny run below, 4.8e-7 with ε = 0).
 * So the bound comes from elsewhere: every copy should keep the sign and roughly its 1/k share of
 * each old weight, and Adam's carried moments (derived for exact copies) are off by O(ε). The
 * largest of the ~1.4e7 draws one BERT-base growth makes (12 layers × 1536 × 768) is |z| ≈ 5.6, so
 * at 0.05 the worst element is within ±28% of its share and a typical one within ±5%.
 * Measured separation (growth/separation.ts; width-share, tiny, 200 steps, growth at 140, cpu) is
 * linear in ε: about 0.5·ε after the 60 steps at full width (ε = 1e-4, 1e-3, 1e-2, 0.1 gave min over
 * layers 5.4e-5, 5.4e-4, 5.4e-3, 4.6e-2; ε = 0 gave exactly 0), with the validation loss the same
 * to 1e-5. At 0.05 that is ~2e-2, two orders above the 1e-4 the lab asks of "separated" (with
 * the later defaults, pre-LN and the `paper` rate, the same run on wasm measured 4.4e-2 to 5.0e-2).
 */
export const DEFAULT_WIDTH_NOISE = 0.05;

export const PRESET_NAMES = [
  'baseline',
  'stack',
  'depth',
  'width-share',
  'width-factorize',
  'length-truncate',
  'length-pool',
  'compound',
  'msg',
  'ligo',
  'bert2bert',
] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export const scheduleSpecSchema = z.object({
  preset: z.enum([...PRESET_NAMES, 'custom']),
  stages: z.array(stageSpecSchema).min(1),
  ops: growthOpsSchema,
});
export type ScheduleSpec = z.infer<typeof scheduleSpecSchema>;

/** The model a stage trains: the target with this stage's depth, FFN width and rank, hidden size and heads. */
export function stageModelConfig(target: ModelConfig, shape: StageShape): ModelConfig {
  return {
    ...target,
    layers: shape.layers,
    ffn: target.ffn / shape.ffnDiv,
    ffnRank: shape.ffnRank,
    hidden: target.hidden / (shape.hiddenDiv ?? 1),
    heads: target.heads / (shape.headsDiv ?? 1),
  };
}

/** Sequence length a stage's batches have: n/k when truncating (validation makes k divide n). */
export function stageSeqLen(targetSeqLen: number, shape: StageShape): number {
  return shape.length === 'truncate' ? Math.floor(targetSeqLen / shape.lengthFactor) : targetSeqLen;
}

/** Embedding pooling of a stage's first-layer queries, or null when it does not pool. */
export function stagePool(shape: StageShape): PoolSetting | null {
  return shape.length === 'pool' ? { k: shape.lengthFactor, reduce: shape.poolReduce } : null;
}

/**
 * Short human label, e.g. "L3 · FFN/2 · pool 2", "L12", "L6 · FFN r16 · n/2". A stage below the
 * target's d or heads adds "d64 · H2" given the target, else the relative "d/2 · H/2"; stages at
 * the full d and heads say nothing, so labels of existing schedules stay as they were.
 */
export function stageLabel(shape: StageShape, target?: Pick<ModelConfig, 'hidden' | 'heads'>): string {
  const parts = [`L${shape.layers}`];
  const hiddenDiv = shape.hiddenDiv ?? 1;
  const headsDiv = shape.headsDiv ?? 1;
  if (target && (hiddenDiv > 1 || headsDiv > 1)) parts.push(`d${target.hidden / hiddenDiv}`, `H${target.heads / headsDiv}`);
  if (!target && hiddenDiv > 1) parts.push(`d/${hiddenDiv}`);
  if (!target && headsDiv > 1) parts.push(`H/${headsDiv}`);
  const div = shape.ffnDiv > 1 ? `/${shape.ffnDiv}` : '';
  const rank = shape.ffnRank > 0 ? ` r${shape.ffnRank}` : '';
  if (div || rank) parts.push(`FFN${div}${rank}`);
  if (shape.length === 'truncate') parts.push(`n/${shape.lengthFactor}`);
  if (shape.length === 'pool') parts.push(`${shape.poolReduce === 'max' ? 'max-pool' : 'pool'} ${shape.lengthFactor}`);
  return parts.join(' · ');
}

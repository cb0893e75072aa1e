import { POOL_REDUCES, type ModelConfig, type PoolReduce, type PoolSetting } from '../model/config.ts';
import type { LrPolicy } from '../train/lr.ts';

export type { LrPolicy, PoolReduce };
export { POOL_REDUCES };

/** How new layers are made when depth grows (see growth/depth.ts). */
export type DepthOp = 'stack' | 'interleave' | 'identity' | 'random';
/**
 * How a dense FFN grows from F/k to F units. A factorized stage (ffnRank > 0) becoming dense always
 * grows by the product W := A·B, whatever this says.
 */
export type WidthOp = 'share' | 'random';
export type LengthMode = 'full' | 'truncate' | 'pool';
export type OptPolicy = 'fresh' | 'carry';

export const DEPTH_OP_NAMES: readonly DepthOp[] = ['stack', 'interleave', 'identity', 'random'];
export const WIDTH_OP_NAMES: readonly WidthOp[] = ['share', 'random'];
export const LENGTH_MODES: readonly LengthMode[] = ['full', 'truncate', 'pool'];
export const OPT_POLICIES: readonly OptPolicy[] = ['fresh', 'carry'];

/** The model and input one stage trains, relative to the target (final) model. */
export interface StageShape {
  /** L of this stage. */
  layers: number;
  /** FFN inner size is F / ffnDiv (1 = full width). */
  ffnDiv: number;
  /** 0 = dense FFN; h > 0 = factorized W ≈ A·B with rank h. */
  ffnRank: number;
  length: LengthMode;
  /** k for truncate (seqLen n/k) or pool (windows of k); 1 when length = 'full'. */
  lengthFactor: number;
  /** Window reduction when pooling; carried (and ignored) by the other length modes. */
  poolReduce: PoolReduce;
}

export interface StageSpec {
  shape: StageShape;
  steps: number;
  /** Learning-rate behaviour at the start of this stage (see train/lr.ts). */
  lrPolicy: LrPolicy;
  /** Whether Adam moments are dropped or grown with the weights when this stage starts. */
  optPolicy: OptPolicy;
}

export interface GrowthOps {
  depth: DepthOp;
  width: WidthOp;
  /** Symmetric split ε for share (copies get (1 ± ε·z)/k); 0 = exact copies. */
  widthNoise: number;
}

export type PresetName =
  | 'baseline'
  | 'stack'
  | 'depth'
  | 'width-share'
  | 'width-factorize'
  | 'length-truncate'
  | 'length-pool'
  | 'compound';

export const PRESET_NAMES: readonly PresetName[] = [
  'baseline',
  'stack',
  'depth',
  'width-share',
  'width-factorize',
  'length-truncate',
  'length-pool',
  'compound',
];

export interface ScheduleSpec {
  preset: PresetName | 'custom';
  stages: StageSpec[];
  ops: GrowthOps;
}

/** The model a stage trains: the target with this stage's depth, FFN width and FFN rank. */
export function stageModelConfig(target: ModelConfig, shape: StageShape): ModelConfig {
  return { ...target, layers: shape.layers, ffn: target.ffn / shape.ffnDiv, ffnRank: shape.ffnRank };
}

/** Sequence length a stage's batches have: n/k when truncating (validation makes k divide n). */
export function stageSeqLen(targetSeqLen: number, shape: StageShape): number {
  return shape.length === 'truncate' ? Math.floor(targetSeqLen / shape.lengthFactor) : targetSeqLen;
}

/** Embedding pooling of a stage's first-layer queries, or null when it does not pool. */
export function stagePool(shape: StageShape): PoolSetting | null {
  return shape.length === 'pool' ? { k: shape.lengthFactor, reduce: shape.poolReduce } : null;
}

/** Short human label, e.g. "L3 · FFN/2 · pool 2", "L12", "L6 · FFN r16 · n/2". */
export function stageLabel(shape: StageShape): string {
  const parts = [`L${shape.layers}`];
  const div = shape.ffnDiv > 1 ? `/${shape.ffnDiv}` : '';
  const rank = shape.ffnRank > 0 ? ` r${shape.ffnRank}` : '';
  if (div || rank) parts.push(`FFN${div}${rank}`);
  if (shape.length === 'truncate') parts.push(`n/${shape.lengthFactor}`);
  if (shape.length === 'pool') parts.push(`${shape.poolReduce === 'max' ? 'max-pool' : 'pool'} ${shape.lengthFactor}`);
  return parts.join(' · ');
}

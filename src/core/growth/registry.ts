import { ConfigError } from '../errors.ts';
import type { ModelConfig } from '../model/config.ts';
import { ligoGrows } from './ligo-plan.ts';
import { DEFAULT_HIDDEN_OP, stageModelConfig, type GrowthOps, type StageShape } from '../schedule/spec.ts';

/** 'all': an operator that makes a whole growth event at once, whatever dimensions change (LiGO). */
export type GrowthDimension = 'depth' | 'width' | 'length' | 'hidden' | 'heads' | 'all';
/** Whether the grown model computes the same function: pre-ln-only holds for pre-LN blocks alone. */
export type Preservation = 'always' | 'pre-ln-only' | 'never';

export interface GrowthOperator {
  /** `dimension.op`, e.g. "depth.stack"; what the CLI's --op takes and run records list. */
  id: string;
  dimension: GrowthDimension;
  name: string;
  preserving: Preservation;
  description: string;
  /** An MSG variant (id `<plain id>+msg`, growth/msg.ts): the plain operator with its new structures masked. */
  msg?: true;
}

const PLAIN_OPERATORS: readonly GrowthOperator[] = [
  {
    id: 'depth.stack',
    dimension: 'depth',
    name: 'Stack',
    preserving: 'never',
    description:
      'New layer i copies old layer i mod L: the order is 0..L-1, 0..L-1, … (Gong et al.; a partial last round ' +
      'when the depth does not double). Copies carry their source layer\'s optimizer moments.',
  },
  {
    id: 'depth.interleave',
    dimension: 'depth',
    name: 'Interleave',
    preserving: 'never',
    description:
      'Each old layer is duplicated in place: 0,0,1,1,…; for non-multiples new layer j copies old layer ' +
      '⌊j·L_old/L_new⌋, so the earlier layers are the ones repeated. Copies carry their source\'s moments.',
  },
  {
    id: 'depth.identity',
    dimension: 'depth',
    name: 'Identity layers',
    preserving: 'pre-ln-only',
    description:
      'New layers go on top, freshly initialised but with the attention-output and FFN-output projections ' +
      'at zero, so each new block adds nothing to the residual stream. Exact with pre-LN; with post-LN the ' +
      'new block still re-normalises its input, so the function changes.',
  },
  {
    id: 'depth.random',
    dimension: 'depth',
    name: 'Random layers',
    preserving: 'never',
    description: 'New layers go on top with BERT initialisation N(0, 0.02) — the non-preserving control.',
  },
  {
    id: 'width.share',
    dimension: 'width',
    name: 'Share (tile FFN)',
    preserving: 'always',
    description:
      'FFN grows k-fold: W1 and b1 tiled k times, W2 tiled and divided by k, b2 unchanged (paper eq. 2). ' +
      'A symmetric split (on by default) scales paired copies of W2 by (1±ε·z)/k without changing their sum; ' +
      'with ε = 0 the copies get identical gradients and never separate.',
  },
  {
    id: 'width.random',
    dimension: 'width',
    name: 'Random widen',
    preserving: 'never',
    description: 'New FFN units get BERT-initialised input and output weights and zero input bias — the non-preserving control.',
  },
  {
    id: 'width.factorize',
    dimension: 'width',
    name: 'Factorized → dense',
    preserving: 'always',
    description:
      'A rank-h factorized FFN (W ≈ A·B) becomes dense with W := A·B; any FFN widening then follows. ' +
      'The dense kernels start with zero optimizer moments.',
  },
  {
    id: 'hidden.tile',
    dimension: 'hidden',
    name: 'Tile hidden units',
    preserving: 'always',
    description:
      'd grows k-fold at fixed heads (each head k times wider): every hidden unit is repeated k times in place, ' +
      'weights that read the repeated stream are divided by k, W_q also by √k (the wider heads would scale the ' +
      'scores by √k), and mlm.ln by k (the tied output reads the repeated embeddings). LayerNorm sees the same ' +
      'mean and variance, so pre-LN and post-LN both preserve. Moments carried (m, v scaled as derived in ' +
      'growth/hidden.ts). Dropout on the stream separates the copies; with dropout 0 they stay identical.',
  },
  {
    id: 'hidden.fpi',
    dimension: 'hidden',
    name: 'bert2BERT FPI',
    preserving: 'never',
    description:
      'bert2BERT\'s function-preserving initialisation (Chen et al. 2022) at fixed heads: old units keep their place, ' +
      'each new unit copies an old one drawn uniformly (seeded); weights that read the stream are divided by the ' +
      'number of copies of their source unit, weights that write it are copied, and each head\'s new units copy ' +
      'units of that head (W_q divided by their count and scaled by √(d_h\'/d_h), W_o\'s rows divided). Every linear ' +
      'map is exact, but the copy counts differ, so LayerNorm\'s mean and variance over the grown stream change and ' +
      'neither pre-LN nor post-LN is preserved exactly; growth-check reports the jump (equal counts would be ' +
      'hidden.tile, permuted). Moments carried, scaled by the counts as derived in growth/bert2bert.ts.',
  },
  {
    id: 'hidden.aki',
    dimension: 'hidden',
    name: 'bert2BERT AKI',
    preserving: 'never',
    description:
      'bert2BERT\'s advanced knowledge initialisation: as hidden.fpi, but in each layer the new output units ' +
      '(new stream columns, new head units) take their values from the layer above, expanded the same way (the top ' +
      'layer from itself; embeddings and the MLM head as FPI). Breaks the copies\' symmetry; not function-preserving. ' +
      'Moments carried from the entry\'s source layer with FPI\'s factors.',
  },
  {
    id: 'hidden.random',
    dimension: 'hidden',
    name: 'Random hidden units',
    preserving: 'never',
    description:
      'd grows at fixed heads: old units keep their values and their head; new units (embedding columns, weights, ' +
      'LayerNorm entries) are BERT-initialised. Nothing is rescaled — the non-preserving control. Old moments ' +
      'carried, new ones zero.',
  },
  {
    id: 'heads.add',
    dimension: 'heads',
    name: 'Add heads',
    preserving: 'always',
    description:
      'Heads grow m-fold at a fixed head dimension, so d grows m-fold too. The stream is repeated m times as in ' +
      'hidden.tile (zero new units would shift LayerNorm\'s mean and variance); the old heads keep their q/k/v ' +
      'weights, the new heads get fresh q/k/v weights and zero output-projection rows, so they add nothing yet. ' +
      'Fewer, wider heads at fixed d (heads.split) is left out: no split of a softmax over q·k into two ' +
      'softmaxes over its halves preserves the function.',
  },
  {
    id: 'length.truncate',
    dimension: 'length',
    name: 'Truncate → full length',
    preserving: 'always',
    description:
      'Training moves from sequences of length n/k to n. No weight changes, so the function is the same; ' +
      'positions past n/k have untrained embeddings, so the loss on long sequences can still jump.',
  },
  {
    id: 'length.pool',
    dimension: 'length',
    name: 'Embedding pooling → none',
    preserving: 'never',
    description:
      'Pooling of the unmasked tokens before the first layer\'s queries stops (or its window shrinks, or it ' +
      'starts as a truncated stage moves to full length). No weights change, but the layers see a different ' +
      'sequence, so the function changes.',
  },
];

/**
 * Plain operators without an MSG variant, and why. Everything else that adds units, heads or layers
 * has one (MSG_VARIANT_OF).
 */
export const MSG_LEFT_OUT: Readonly<Record<string, string>> = {
  'width.factorize': 'W := A·B adds no units (a widening that follows it is masked as width.share or width.random).',
  'length.*': 'No weights or units are added; the input changes, which no mask on the model can hide.',
};

const MSG_VARIANT_OF = [
  'depth.stack', 'depth.interleave', 'depth.identity', 'depth.random', 'width.share', 'width.random',
  'hidden.tile', 'hidden.fpi', 'hidden.aki', 'hidden.random', 'heads.add',
];

/** How each dimension's MSG variant masks, for the variants' descriptions. */
const MSG_HOW: Partial<Record<GrowthDimension, string>> = {
  depth: 'each new layer\'s output is x + m·(block(x) − x), so at m = 0 the whole block, LayerNorms included, is bypassed (pre- and post-LN)',
  width: 'new FFN units\' activations are multiplied by m before W2; old units keep W2 undivided (share\'s copies are split by (1 + ε·z))',
  heads: 'new heads get fresh W_o rows and their context is multiplied by m before W_o (the stream is repeated as in heads.add)',
  hidden:
    'the new head-dimension units (tile\'s extra copies, the units past the old d_h in each head otherwise) are weighed by m: ' +
    'every LayerNorm takes its mean and variance with weights m on them and multiplies their output by m, q\'s and the ' +
    'context\'s new units are multiplied by m, and the score scale is 1/√(d_h + m·(d_h\' − d_h)); no weight is rescaled ' +
    '(copies are not divided), so at m = 0 the old units compute the old model exactly (pre- and post-LN)',
};

function msgVariant(plain: GrowthOperator): GrowthOperator {
  const how = MSG_HOW[plain.dimension];
  if (!how) throw new Error(`registry: ${plain.id} has an MSG variant but MSG_HOW says nothing about ${plain.dimension}`);
  return {
    id: `${plain.id}+msg`,
    dimension: plain.dimension,
    name: `${plain.name} (MSG)`,
    preserving: 'always',
    description:
      `${plain.name} under masked structural growth (Yao et al. 2023): ${how}; m ramps from 0 to 1 over ` +
      'ops.msgRamp steps, then the mask leaves the model. Function-preserving at growth whatever the new weights are.',
    msg: true,
  };
}

/**
 * LiGO (growth/ligo.ts) replaces the depth, width, hidden and heads operators of a growth event.
 * Not preserving: its initial operator is depth.stack + width.share + hidden.tile (stack already
 * changes the function), and the trained operator is whatever lowered the grown model's loss.
 */
export const LIGO_OPERATOR: GrowthOperator = {
  id: 'ligo',
  dimension: 'all',
  name: 'LiGO (learned growth)',
  preserving: 'never',
  description:
    'Learning to grow (Wang et al. 2023): the grown weights are a learned linear map of the small model\'s — per space ' +
    '(the residual stream, each layer\'s attention and FFN) an input- and an output-side expansion, W\' = A·W·Bᵀ, and per ' +
    'parameter kind a mix of the small layers for each new layer. It starts as depth.stack + width.share + hidden.tile ' +
    '(new heads copy old ones and are not read by W_o), with a small symmetric split so copies can separate, and trains ' +
    'for ops.ligoSteps AdamW steps on the grown model\'s MLM loss; those steps\' FLOPs and time are counted. The grown ' +
    'model starts with fresh optimizer moments.',
};

export const GROWTH_OPERATORS: readonly GrowthOperator[] = [
  ...PLAIN_OPERATORS,
  ...MSG_VARIANT_OF.map((id) => msgVariant(PLAIN_OPERATORS.find((o) => o.id === id)!)),
  LIGO_OPERATOR,
];

/** The operator with this id; ConfigError listing the valid ids otherwise. */
export function growthOperator(id: string): GrowthOperator {
  const op = GROWTH_OPERATORS.find((o) => o.id === id);
  if (!op) throw new ConfigError('op', `unknown growth operator "${id}"; valid: ${GROWTH_OPERATORS.map((o) => o.id).join(', ')}`);
  return op;
}

/**
 * The operators one growth event from stage shape `from` to `to` applies, in the order growModel
 * applies them (factorized → dense, head dimension, heads, FFN width, depth), then the length
 * changes. Under LiGO (ops.ligoSteps) a growth that changes weights lists `ligo` alone before the length changes. `target` turns the shapes' d and heads divisors into sizes for hiddenOpsApplied.
 */
export function growthOpsApplied(from: StageShape, to: StageShape, ops: GrowthOps, target: ModelConfig): GrowthOperator[] {
  const ids: string[] = [];
  const msg = ops.msgRamp === undefined ? '' : '+msg';
  const weights = ligoGrows(stageModelConfig(target, from), stageModelConfig(target, to));
  if (ops.ligoSteps !== undefined && weights) {
    // One learned operator makes every weight change; the length changes below still apply.
    ids.push(LIGO_OPERATOR.id);
  } else {
    if (from.ffnRank > 0 && to.ffnRank === 0) ids.push('width.factorize');
    ids.push(...hiddenOpsApplied(stageModelConfig(target, from), stageModelConfig(target, to), ops).map((o) => o.id));
    if (to.ffnDiv < from.ffnDiv) ids.push(`width.${ops.width}${msg}`);
    if (to.layers > from.layers) ids.push(`depth.${ops.depth}${msg}`);
  }
  if (from.length === 'truncate' && (to.length !== 'truncate' || to.lengthFactor < from.lengthFactor)) ids.push('length.truncate');
  const pooled = (s: StageShape) => (s.length === 'pool' ? `${s.lengthFactor}:${s.poolReduce}` : null);
  if (pooled(from) !== pooled(to)) ids.push('length.pool');
  return ids.map(growthOperator);
}

/**
 * The d and head operators growModel applies between two model configs, in its order: the head
 * dimension (hidden.tile, .fpi, .aki or .random), then the heads (heads.add), each "+msg" under MSG.
 * growthOpsApplied puts them after width.factorize.
 */
export function hiddenOpsApplied(from: ModelConfig, to: ModelConfig, ops: GrowthOps): GrowthOperator[] {
  const ids: string[] = [];
  const msg = ops.msgRamp === undefined ? '' : '+msg';
  if (to.hidden / to.heads > from.hidden / from.heads) ids.push(`hidden.${ops.hidden ?? DEFAULT_HIDDEN_OP}${msg}`);
  if (to.heads > from.heads) ids.push(`heads.add${msg}`);
  return ids.map(growthOperator);
}

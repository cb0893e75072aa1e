import * as tf from '@tensorflow/tfjs-core';
import type { MlmBatch } from '../data/batch.ts';
import { deriveSeed } from '../data/rng.ts';
import { ConfigError } from '../errors.ts';
import type { ModelConfig } from './config.ts';
import { crossEntropy } from '../train/loss.ts';
import {
  attention, denseGelu, dropout, feedForward, gatherRows, keyBias, layerNorm, outputLogits, param, rampMask, residual,
  type AttentionShape, type HeadUnitMask, type StreamMask,
} from './layers.ts';
import type { GrowthMask } from './growth-mask.ts';
import type { Params } from './params.ts';
import { poolRows } from './pooling.ts';
import { type PoolPlan } from './pool-plan.ts';

export interface ForwardOptions {
  training: boolean;
  /** Required when training with cfg.dropout > 0; each dropout site draws from deriveSeed(dropoutSeed, site). */
  dropoutSeed?: number;
  /** Pool the first layer's queries (length-growth stages); its maskedPositions then index the pooled stream. */
  pool?: PoolPlan | null;
  /** MSG's mask while a growth ramp is on; null or absent otherwise. */
  mask?: GrowthMask | null;
}

export interface MlmOutput {
  loss: tf.Scalar;
  /** [B·P, vocabSize], one row per prediction slot (padding slots included). */
  logits: tf.Tensor2D;
}

/** Dropout sites: 0 = embeddings; layer i uses 1+3i (attention probabilities), 2+3i (attention output), 3+3i (FFN output). */
type SeedAt = (site: number) => number | null;

function dropoutSeeds(cfg: ModelConfig, opts: ForwardOptions): SeedAt {
  if (!opts.training || cfg.dropout === 0) return () => null;
  const seed = opts.dropoutSeed;
  if (seed === undefined) throw new Error('model: training with dropout needs opts.dropoutSeed');
  return (site) => deriveSeed(seed, site);
}

function block(
  params: Params,
  cfg: ModelConfig,
  i: number,
  xq: tf.Tensor,
  xkv: tf.Tensor,
  bias: tf.Tensor4D,
  shape: AttentionShape,
  seedAt: SeedAt,
  masks: BlockMasks,
): tf.Tensor2D {
  const l = `layers.${i}`;
  const { dropout: rate, lnEps: eps } = cfg;
  const attn = (hq: tf.Tensor, hkv: tf.Tensor) =>
    attention(hq, hkv, bias, params, `${l}.attn`, shape, rate, seedAt(1 + 3 * i), masks.heads, masks.hidden?.head ?? null);
  const ffn = (h: tf.Tensor) => feedForward(h, params, `${l}.ffn`, masks.units);
  const ln = (x: tf.Tensor, prefix: string) => layerNorm(x, params, prefix, eps, masks.hidden?.stream ?? null);
  if (cfg.norm === 'post') {
    const x = ln(residual(xq, attn(xq, xkv), rate, seedAt(2 + 3 * i)), `${l}.attn.ln`);
    return ln(residual(x, ffn(x), rate, seedAt(3 + 3 * i)), `${l}.ffn.ln`);
  }
  const hq = ln(xq, `${l}.attn.ln`);
  const hkv = xkv === xq ? hq : ln(xkv, `${l}.attn.ln`);
  const x = residual(xq, attn(hq, hkv), rate, seedAt(2 + 3 * i));
  return residual(x, ffn(ln(x, `${l}.ffn.ln`)), rate, seedAt(3 + 3 * i)) as tf.Tensor2D;
}

interface BlockMasks {
  /** [F] FFN unit mask, or null. */
  units: tf.Tensor | null;
  /** [H] head mask, or null. */
  heads: tf.Tensor | null;
  /** New head-dimension units, in every layer; null when d_h did not grow. */
  hidden: HiddenMasks | null;
}

interface HiddenMasks {
  stream: StreamMask;
  head: HeadUnitMask;
}

const NO_MASKS: BlockMasks = { units: null, heads: null, hidden: null };

/**
 * The masks of new head-dimension units at m (growth/msg.ts has the derivation). The score scale
 * 1/√Σc is computed on the host from the same integers as the old model's 1/√d_h at m = 0.
 */
function hiddenMasks(grown: GrowthMask | null): HiddenMasks | null {
  if (!grown?.hidden) return null;
  const m = grown.value;
  const weights = (isNew: readonly number[]) => Float32Array.from(isNew, (n) => (n ? m : 1));
  const total = (isNew: readonly number[]) => isNew.reduce((a, n) => a + (n ? m : 1), 0);
  const { stream, head } = grown.hidden;
  return {
    stream: { c: tf.tensor1d(weights(stream)), total: total(stream) },
    head: { c: tf.tensor1d(weights(head)), scale: 1 / Math.sqrt(total(head)) },
  };
}

/**
 * A block's output under MSG: new layers blend with their input, x + m·(y − x); old layers get the
 * unit and head masks. The head-dimension masks act in both: they belong to the stream, not a layer.
 */
function maskedBlock(mask: GrowthMask | null, i: number, x: tf.Tensor2D, run: (masks: BlockMasks) => tf.Tensor2D, shared: BlockMasks): tf.Tensor2D {
  if (!mask) return run(NO_MASKS);
  if (!mask.newLayers.includes(i)) return run(shared);
  const y = run({ ...NO_MASKS, hidden: shared.hidden });
  if (y.shape[0] !== x.shape[0]) throw new Error(`model: layer ${i} is new under MSG but changes the row count (the pooled first layer is never new)`);
  return tf.add(x, tf.mul(tf.sub(y, x), mask.value)) as tf.Tensor2D;
}

/**
 * Final hidden states as [B·len, d] rows, len = n, or the plan's queryLen when pooling; with the
 * stream mask of a head-dimension growth under MSG, which the MLM head's LayerNorm needs too.
 */
function hiddenStates(
  params: Params,
  cfg: ModelConfig,
  ids: tf.Tensor2D,
  mask: ArrayLike<number>,
  opts: ForwardOptions,
): { h: tf.Tensor2D; len: number; stream: StreamMask | null } {
  const [B, n] = ids.shape;
  const d = cfg.hidden;
  if (n > cfg.maxLen) throw new ConfigError('seqLen', `${n} exceeds the model's position embeddings (maxLen ${cfg.maxLen})`);
  const pool = opts.pool ?? null;
  if (pool && (pool.batchSize !== B || pool.seqLen !== n)) {
    throw new Error(`model: pool plan is for [${pool.batchSize}, ${pool.seqLen}] batches, got [${B}, ${n}]`);
  }
  const seedAt = dropoutSeeds(cfg, opts);

  const tok = tf.reshape(gatherRows(param(params, 'emb.tok'), tf.reshape(ids, [B * n]) as tf.Tensor1D), [B, n, d]);
  const pos = tf.slice(param(params, 'emb.pos'), [0, 0], [n, d]);
  const grown = opts.mask ?? null;
  const hidden = hiddenMasks(grown);
  const stream = hidden?.stream ?? null;
  let x: tf.Tensor2D = tf.reshape(tf.add(tok, pos), [B * n, d]);
  // The embedding sum's new units need no mask of their own: emb.ln weighs them by c in its
  // statistics and multiplies its output by c.
  x = dropout(layerNorm(x, params, 'emb.ln', cfg.lnEps, stream), cfg.dropout, seedAt(0));

  let len = n;
  let bias = keyBias(mask, B, n);
  const shared: BlockMasks = {
    units: grown?.ffnFrom != null ? rampMask(cfg.ffn, grown.ffnFrom, grown.value) : null,
    heads: grown?.headsFrom != null ? rampMask(cfg.heads, grown.headsFrom, grown.value) : null,
    hidden,
  };
  for (let i = 0; i < cfg.layers; i++) {
    const xIn = x;
    if (i === 0 && pool) {
      // Pooled queries attend over the full-length stream; later layers see only the pooled one.
      const shape = { batch: B, hidden: d, heads: cfg.heads, qLen: pool.queryLen, kLen: n };
      x = maskedBlock(grown, i, xIn, (m) => block(params, cfg, i, poolRows(xIn, pool), xIn, bias, shape, seedAt, m), shared);
      len = pool.queryLen;
      bias = keyBias(pool.queryMask, B, len);
    } else {
      const shape = { batch: B, hidden: d, heads: cfg.heads, qLen: len, kLen: len };
      const b = bias;
      x = maskedBlock(grown, i, xIn, (m) => block(params, cfg, i, xIn, xIn, b, shape, seedAt, m), shared);
    }
  }
  if (cfg.norm === 'pre') x = layerNorm(x, params, 'final.ln', cfg.lnEps, stream);
  return { h: x, len, stream };
}

/**
 * Final hidden states [B, len, d] (len = n, or pool.queryLen with [CLS] still at index 0), for a
 * downstream classifier. attentionMask: B·n values, 1 for real tokens and 0 for padding.
 */
export function encode(
  params: Params,
  cfg: ModelConfig,
  inputIds: tf.Tensor2D,
  attentionMask: ArrayLike<number>,
  opts: ForwardOptions,
): tf.Tensor3D {
  return tf.tidy(() => {
    const { h, len } = hiddenStates(params, cfg, inputIds, attentionMask, opts);
    return tf.reshape(h, [inputIds.shape[0], len, cfg.hidden]);
  });
}

function checkBatch(batch: MlmBatch, cfg: ModelConfig): void {
  const { batchSize: B, seqLen: n, predsPerSeq: P } = batch;
  const lengths: [string, number, number][] = [
    ['inputIds', batch.inputIds.length, B * n],
    ['attentionMask', batch.attentionMask.length, B * n],
    ['maskedPositions', batch.maskedPositions.length, B * P],
    ['maskedLabels', batch.maskedLabels.length, B * P],
    ['maskedWeights', batch.maskedWeights.length, B * P],
  ];
  for (const [field, got, want] of lengths) {
    if (got !== want) throw new ConfigError(`batch.${field}`, `has ${got} entries, expected ${want} for B=${B}, n=${n}, P=${P}`);
  }
  for (const field of ['inputIds', 'maskedLabels'] as const) {
    const ids = batch[field];
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= cfg.vocabSize) {
        throw new ConfigError(`batch.${field}`, `entry ${i} = ${ids[i]} is outside the vocabulary [0, ${cfg.vocabSize})`);
      }
    }
  }
}

export function mlmForward(params: Params, cfg: ModelConfig, batch: MlmBatch, opts: ForwardOptions): MlmOutput {
  checkBatch(batch, cfg);
  const { batchSize: B, seqLen: n } = batch;
  return tf.tidy(() => {
    const ids = tf.tensor2d(batch.inputIds, [B, n], 'int32');
    const { h, stream } = hiddenStates(params, cfg, ids, batch.attentionMask, opts);
    const rows = opts.pool ? opts.pool.maskedPositions : batch.maskedPositions;
    const picked = gatherRows(h, tf.tensor1d(rows, 'int32'));
    // mlm.dense reads h, whose new units are c·(…), and writes new units that mlm.ln masks again, so
    // the tied output t·Eᵀ reads new units ×c: at m = 0, only the old ones.
    const t = layerNorm(denseGelu(picked, params, 'mlm.dense'), params, 'mlm.ln', cfg.lnEps, stream);
    const logits = outputLogits(t, param(params, 'emb.tok'), param(params, 'mlm.out.bias'));
    const loss = crossEntropy(logits, tf.tensor1d(batch.maskedLabels, 'int32'), tf.tensor1d(batch.maskedWeights));
    return { loss, logits };
  });
}

export function mlmLoss(params: Params, cfg: ModelConfig, batch: MlmBatch, opts: ForwardOptions): tf.Scalar {
  return tf.tidy(() => mlmForward(params, cfg, batch, opts).loss);
}

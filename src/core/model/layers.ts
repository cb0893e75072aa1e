import * as tf from '@tensorflow/tfjs-core';
import {
  fusedAttnOut, fusedAttnSoftmax, fusedBiasGelu, fusedDropout, fusedDropoutAdd, fusedLayerNorm, fusedLinear, fusedOn, fusedQkv,
} from '../kernels/ops.ts';
import { K, dropoutMask } from '../kernels/spec.ts';
import type { Params } from './params.ts';

/*
 * Each layer has two paths: the fused kernels (kernels/ops.ts) where the active backend has them,
 * and the unfused tfjs ops, kept as the reference the fused path is tested against (--reference).
 */

/** Additive attention bias for masked keys: large enough to zero exp() in float32, small enough for fp16 paths. */
export const MASK_BIAS = -1e4;

export function param(params: Params, name: string): tf.Variable {
  const p = params.get(name);
  if (!p) throw new Error(`model: parameter "${name}" is missing`);
  return p;
}

/** Rows are [N, d] tensors throughout; tfjs ops return untyped ranks, so the helpers take any tensor. */
type Rows = tf.Tensor;

/**
 * The residual stream's unit mask under MSG's head-dimension growth: c [d] (1 for old units, m for
 * new ones) and Σc, kept on the host so the mean divides by the same number the old model's does.
 */
export interface StreamMask {
  c: tf.Tensor1D;
  total: number;
}

/**
 * LayerNorm; with `stream`, the mask-weighted form MSG's hidden growth needs (growth/msg.ts):
 *   μ = Σ c_i x_i / Σc,  σ² = Σ c_i (x_i − μ)² / Σc,  y_i = c_i·(γ_i (x_i − μ)/√(σ² + ε) + β_i).
 * At m = 0 the old units get exactly the old statistics, whatever the new units hold, and the new
 * units output 0; at m = 1 it is LayerNorm. It runs on the unfused ops: the fused kernel has no weights.
 */
export function layerNorm(x: Rows, params: Params, prefix: string, eps: number, stream: StreamMask | null = null): tf.Tensor2D {
  if (stream) return maskedLayerNorm(x, param(params, `${prefix}.gamma`), param(params, `${prefix}.beta`), eps, stream);
  if (fusedOn(K.layerNorm)) return fusedLayerNorm(x, param(params, `${prefix}.gamma`), param(params, `${prefix}.beta`), eps);
  const { mean, variance } = tf.moments(x, -1, true);
  const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
  return tf.add(tf.mul(normed, param(params, `${prefix}.gamma`)), param(params, `${prefix}.beta`)) as tf.Tensor2D;
}

/** layerNorm's mask-weighted form on explicit γ and β (exported for its test against plain JS). */
export function maskedLayerNorm(x: Rows, gamma: tf.Tensor, beta: tf.Tensor, eps: number, { c, total }: StreamMask): tf.Tensor2D {
  const mean = tf.div(tf.sum(tf.mul(x, c), -1, true), total);
  const centered = tf.sub(x, mean);
  const variance = tf.div(tf.sum(tf.mul(tf.square(centered), c), -1, true), total);
  const normed = tf.mul(centered, tf.rsqrt(tf.add(variance, eps)));
  return tf.mul(tf.add(tf.mul(normed, gamma), beta), c) as tf.Tensor2D;
}

/** BERT's exact GELU, x·Φ(x). */
export function gelu(x: Rows): tf.Tensor2D {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)) as tf.Tensor2D;
}

/** x·W, where W is either `${prefix}.kernel` or the factorized `${prefix}.kernelA`·`${prefix}.kernelB`; plus bias. */
function linear(x: Rows, params: Params, prefix: string, bias: tf.Tensor | null): tf.Tensor2D {
  const a = params.get(`${prefix}.kernelA`);
  if (fusedOn(K.linear)) {
    return a ? fusedLinear(fusedLinear(x, a, null), param(params, `${prefix}.kernelB`), bias) : fusedLinear(x, param(params, `${prefix}.kernel`), bias);
  }
  const y = a ? tf.matMul(tf.matMul(x, a), param(params, `${prefix}.kernelB`)) : tf.matMul(x, param(params, `${prefix}.kernel`));
  return (bias ? tf.add(y, bias) : y) as tf.Tensor2D;
}

/** x·W + b. */
export function dense(x: Rows, params: Params, prefix: string): tf.Tensor2D {
  return linear(x, params, prefix, param(params, `${prefix}.bias`));
}

/** gelu(x·W + b). */
export function denseGelu(x: Rows, params: Params, prefix: string): tf.Tensor2D {
  if (!fusedOn(K.biasGelu)) return gelu(dense(x, params, prefix));
  return fusedBiasGelu(linear(x, params, prefix, null), param(params, `${prefix}.bias`));
}

/** The MLM output layer tied to the token embeddings: t·Eᵀ + b. */
export function outputLogits(t: Rows, embeddings: tf.Tensor, bias: tf.Tensor): tf.Tensor2D {
  if (fusedOn(K.linear)) return fusedLinear(t, embeddings, bias, true);
  return tf.add(tf.matMul(t, embeddings, false, true), bias) as tf.Tensor2D;
}

/**
 * Inverted dropout; `seed` null means off. The mask is a hash of (seed, element index)
 * (kernels/spec.ts), so it is the same on every backend and on both paths.
 */
export function dropout<T extends tf.Tensor>(x: T, rate: number, seed: number | null): T {
  if (seed === null || rate === 0) return x;
  if (fusedOn(K.dropout)) return fusedDropout(x, rate, seed);
  const keep = tf.tensor(dropoutMask(x.size, rate, seed), x.shape);
  return tf.mul(x, tf.mul(keep, 1 / (1 - rate)));
}

/** x + dropout(h): the residual connection around a sublayer. */
export function residual<T extends tf.Tensor>(x: T, h: tf.Tensor, rate: number, seed: number | null): T {
  if (seed === null || rate === 0) return tf.add(x, h);
  if (fusedOn(K.dropoutAdd)) return fusedDropoutAdd(x, h, rate, seed);
  return tf.add(x, dropout(h, rate, seed));
}

/** [B, 1, 1, len] additive bias from a [B, len] 0/1 validity mask, built on the host (no kernels). */
export function keyBias(mask: ArrayLike<number>, batch: number, len: number): tf.Tensor4D {
  const bias = new Float32Array(batch * len);
  for (let i = 0; i < bias.length; i++) bias[i] = (1 - mask[i]) * MASK_BIAS;
  return tf.tensor4d(bias, [batch, 1, 1, len]);
}

export interface AttentionShape {
  batch: number;
  hidden: number;
  heads: number;
  /** Query rows per sequence. */
  qLen: number;
  /** Key/value rows per sequence (differs from qLen in the pooled first layer). */
  kLen: number;
}

function splitHeads(x: Rows, s: AttentionShape, len: number): tf.Tensor4D {
  return tf.transpose(tf.reshape(x, [s.batch, len, s.heads, s.hidden / s.heads]), [0, 2, 1, 3]);
}

/**
 * MSG's mask over each head's units after a head-dimension growth: c [d_h] (1 old, m new) and the
 * score scale 1/√Σc, which ramps from the old 1/√d_h to the grown 1/√d_h'.
 */
export interface HeadUnitMask {
  c: tf.Tensor1D;
  scale: number;
}

/**
 * Multi-head attention of xq [B·qLen, d] over xkv [B·kLen, d] with additive key bias [B,1,1,kLen];
 * `probSeed` drives dropout on the attention probabilities. Returns [B·qLen, d] after the output projection.
 */
export function attention(
  xq: Rows,
  xkv: Rows,
  bias: tf.Tensor4D,
  params: Params,
  prefix: string,
  s: AttentionShape,
  rate: number,
  probSeed: number | null,
  headMask: tf.Tensor | null = null,
  unitMask: HeadUnitMask | null = null,
): tf.Tensor2D {
  const w = (n: string) => param(params, `${prefix}.${n}`);
  const fused = fusedOn(K.qkv) && ['q', 'k', 'v', 'o'].every((n) => params.has(`${prefix}.${n}.kernel`));
  const [q, k, v] = fused
    ? fusedQkv(xq, xkv === xq ? null : xkv, { wq: w('q.kernel'), bq: w('q.bias'), wk: w('k.kernel'), bk: w('k.bias'), wv: w('v.kernel'), bv: w('v.bias') },
      { batch: s.batch, heads: s.heads, qLen: s.qLen, kLen: s.kLen })
    : [splitHeads(dense(xq, params, `${prefix}.q`), s, s.qLen), splitHeads(dense(xkv, params, `${prefix}.k`), s, s.kLen), splitHeads(dense(xkv, params, `${prefix}.v`), s, s.kLen)];
  // New head units count c·q_j·k_j in the score (q's units ×c; masking k as well would make it c²),
  // so the score is the old one at m = 0 and its scale follows Σc.
  const scores = tf.matMul(unitMask ? tf.mul(q, unitMask.c) : q, k, false, true) as tf.Tensor4D;
  const scale = unitMask ? unitMask.scale : 1 / Math.sqrt(s.hidden / s.heads);
  const probs = fusedOn(K.attnSoftmax)
    ? fusedAttnSoftmax(scores, bias, scale, probSeed === null ? 0 : rate, probSeed ?? 0)
    : dropout(tf.softmax(tf.add(tf.mul(scores, scale), bias)), rate, probSeed);
  const ctx = tf.matMul(probs, v);
  // [B, H, qLen, d_h] context times a [1, H, 1, 1] mask: new heads (MSG) reach W_o scaled by m.
  // New head units of the context reach W_o ×c, as a new head's whole context does ×m.
  const unitCtx = unitMask ? tf.mul(ctx, unitMask.c) : ctx;
  const heads = headMask ? tf.mul(unitCtx, tf.reshape(headMask, [1, s.heads, 1, 1])) : unitCtx;
  if (fused) return fusedAttnOut(heads, w('o.kernel'), w('o.bias'));
  return dense(tf.reshape(tf.transpose(heads, [0, 2, 1, 3]), [s.batch * s.qLen, s.hidden]), params, `${prefix}.o`);
}

/** W2 reads the activations times `unitMask` [F] when given (new units under MSG). */
export function feedForward(x: Rows, params: Params, prefix: string, unitMask: tf.Tensor | null = null): tf.Tensor2D {
  const act = denseGelu(x, params, `${prefix}.w1`);
  return dense(unitMask ? tf.mul(act, unitMask) : act, params, `${prefix}.w2`);
}

/** [size] values: 1 for the first `from` entries (old units or heads), `value` for the rest (MSG's new ones). */
export function rampMask(size: number, from: number, value: number): tf.Tensor1D {
  const m = new Float32Array(size).fill(1);
  m.fill(value, from);
  return tf.tensor1d(m);
}

/**
 * Row lookup whose gradient is a scatter-add. tfjs's own gather gradient (UnsortedSegmentSum)
 * loops over every row of the table on the cpu backend, O(V·N·d): seconds per step at V = 2000.
 */
export function gatherRows(table: tf.Tensor, indices: tf.Tensor1D): tf.Tensor2D {
  const lookup = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [t, i, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([i]);
    return {
      value: tf.gather(t, i),
      gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => [tf.scatterND(tf.reshape(saved, [-1, 1]), dy, t.shape), tf.zerosLike(saved)],
    };
  });
  return lookup(table, indices) as tf.Tensor2D;
}

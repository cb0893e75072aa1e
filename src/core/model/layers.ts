import * as tf from '@tensorflow/tfjs-core';
import type { Params } from './params.ts';

/** Additive attention bias for masked keys: large enough to zero exp() in float32, small enough for fp16 paths. */
export const MASK_BIAS = -1e4;

export function param(params: Params, name: string): tf.Variable {
  const p = params.get(name);
  if (!p) throw new Error(`model: parameter "${name}" is missing`);
  return p;
}

/** Rows are [N, d] tensors throughout; tfjs ops return untyped ranks, so the helpers take any tensor. */
type Rows = tf.Tensor;

export function layerNorm(x: Rows, params: Params, prefix: string, eps: number): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
  return tf.add(tf.mul(normed, param(params, `${prefix}.gamma`)), param(params, `${prefix}.beta`)) as tf.Tensor2D;
}

/** BERT's exact GELU, x·Φ(x). */
export function gelu(x: Rows): tf.Tensor2D {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)) as tf.Tensor2D;
}

/** x·W + b, where W is either `${prefix}.kernel` or the factorized `${prefix}.kernelA`·`${prefix}.kernelB`. */
export function dense(x: Rows, params: Params, prefix: string): tf.Tensor2D {
  const a = params.get(`${prefix}.kernelA`);
  const y = a
    ? tf.matMul(tf.matMul(x, a), param(params, `${prefix}.kernelB`))
    : tf.matMul(x, param(params, `${prefix}.kernel`));
  return tf.add(y, param(params, `${prefix}.bias`)) as tf.Tensor2D;
}

/** Inverted dropout; `seed` null means off. The mask is drawn in JS from the seed, so it is the same on every backend. */
export function dropout<T extends tf.Tensor>(x: T, rate: number, seed: number | null): T {
  if (seed === null || rate === 0) return x;
  const keep = tf.greaterEqual(tf.randomUniform(x.shape, 0, 1, 'float32', seed), rate);
  return tf.mul(x, tf.mul(tf.cast(keep, 'float32'), 1 / (1 - rate)));
}

/** [B, 1, 1, len] additive bias from a [B, len] 0/1 validity mask. */
export function keyBias(mask: tf.Tensor2D): tf.Tensor4D {
  const [B, len] = mask.shape;
  return tf.reshape(tf.mul(tf.sub(1, mask), MASK_BIAS), [B, 1, 1, len]);
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
): tf.Tensor2D {
  const q = splitHeads(tf.mul(dense(xq, params, `${prefix}.q`), 1 / Math.sqrt(s.hidden / s.heads)), s, s.qLen);
  const k = splitHeads(dense(xkv, params, `${prefix}.k`), s, s.kLen);
  const v = splitHeads(dense(xkv, params, `${prefix}.v`), s, s.kLen);
  const probs = dropout(tf.softmax(tf.add(tf.matMul(q, k, false, true), bias)), rate, probSeed);
  const ctx = tf.reshape(tf.transpose(tf.matMul(probs, v), [0, 2, 1, 3]), [s.batch * s.qLen, s.hidden]);
  return dense(ctx, params, `${prefix}.o`);
}

export function feedForward(x: Rows, params: Params, prefix: string): tf.Tensor2D {
  return dense(gelu(dense(x, params, `${prefix}.w1`)), params, `${prefix}.w2`);
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

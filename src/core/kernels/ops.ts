import * as tf from '@tensorflow/tfjs-core';
import { K, type AdamWAttrs, type AttnShapeAttrs, type FusedKernelName } from './spec.ts';

/*
 * The fused operations as tfjs ops. Each runs one registered kernel (kernels-js.ts for cpu and
 * wasm, kernels-webgpu.ts for webgpu) and has a registered gradient that runs one more. Callers
 * ask fusedOn() first and take the unfused reference path (model/layers.ts) when it says no:
 * on a backend without the kernels (webgl), with --reference, or after a failed self-check.
 */

let enabled = true;
let offReason: string | null = null;

/** Turns the fused path off (reference runs, failed self-check) or back on. */
export function setFused(on: boolean, reason: string | null = null): void {
  enabled = on;
  offReason = on ? null : reason;
}

/** Why the fused path is off, when it was turned off rather than missing. */
export function fusedOffReason(): string | null {
  return offReason;
}

/** Whether the fused kernel runs on the active backend. */
export function fusedOn(name: FusedKernelName): boolean {
  return enabled && tf.getKernel(name, tf.getBackend()) !== undefined;
}

const run = (name: string, inputs: tf.NamedTensorMap, attrs: object = {}) =>
  tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap);

export function fusedLayerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor2D {
  return run(K.layerNorm, { x, gamma, beta }, { eps }) as tf.Tensor2D;
}

/** x·W (+ bias), or x·Wᵀ (+ bias) when transposeW. */
export function fusedLinear(x: tf.Tensor, w: tf.Tensor, bias: tf.Tensor | null, transposeW = false): tf.Tensor2D {
  const inputs: tf.NamedTensorMap = bias ? { x, w, bias } : { x, w };
  return run(K.linear, inputs, { transposeW, hasBias: bias !== null }) as tf.Tensor2D;
}

/**
 * Q, K, V projections of rows xq [B·qLen, d] and xkv [B·kLen, d] (null: self-attention on xq),
 * returned in the [B, H, len, d/H] head layout.
 */
export function fusedQkv(
  xq: tf.Tensor, xkv: tf.Tensor | null, w: Record<'wq' | 'bq' | 'wk' | 'bk' | 'wv' | 'bv', tf.Tensor>, shape: AttnShapeAttrs,
): [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D] {
  const out = xkv ? run(K.qkvCross, { xq, xkv, ...w }, shape) : run(K.qkv, { xq, ...w }, shape);
  return out as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
}

/** Heads [B, H, q, d/H] merged to rows [B·q, d], then ·W + bias. */
export function fusedAttnOut(ctx: tf.Tensor, w: tf.Tensor, bias: tf.Tensor): tf.Tensor2D {
  return run(K.attnOut, { ctx, w, bias }) as tf.Tensor2D;
}

/** gelu(x + bias), bias broadcast over rows. */
export function fusedBiasGelu(x: tf.Tensor, bias: tf.Tensor): tf.Tensor2D {
  return run(K.biasGelu, { x, bias }) as tf.Tensor2D;
}

/** dropout(softmax(scale·scores + bias)) over the last axis; scores [B,H,q,k], bias [B,1,1,k]. */
export function fusedAttnSoftmax(scores: tf.Tensor4D, bias: tf.Tensor4D, scale: number, rate: number, seed: number): tf.Tensor4D {
  return run(K.attnSoftmax, { scores, bias }, { scale, rate, seed }) as tf.Tensor4D;
}

export function fusedDropout<T extends tf.Tensor>(x: T, rate: number, seed: number): T {
  return run(K.dropout, { x }, { rate, seed }) as T;
}

/** x + dropout(h): a residual connection. */
export function fusedDropoutAdd<T extends tf.Tensor>(x: T, h: tf.Tensor, rate: number, seed: number): T {
  return run(K.dropoutAdd, { x, h }, { rate, seed }) as T;
}

/** Weighted mean MLM cross-entropy from logits [M, V] and int32 labels [M]; no one-hot is built. */
export function fusedMlmLoss(logits: tf.Tensor2D, labels: tf.Tensor1D, weights: tf.Tensor1D): tf.Scalar {
  return run(K.mlmLoss, { logits, labels, weights }) as tf.Scalar;
}

/**
 * Clipping and AdamW over every tensor in one kernel. Returns the gradients' global norm before
 * clipping and the new parameters and moments, in the order given; the caller assigns them.
 */
export function fusedAdamW(
  tensors: { p: tf.Tensor; g: tf.Tensor; m: tf.Tensor; v: tf.Tensor }[],
  attrs: AdamWAttrs,
): { norm: tf.Scalar; p: tf.Tensor[]; m: tf.Tensor[]; v: tf.Tensor[] } {
  const inputs: tf.NamedTensorMap = {};
  tensors.forEach((t, i) => {
    inputs[`p${i}`] = t.p;
    inputs[`g${i}`] = t.g;
    inputs[`m${i}`] = t.m;
    inputs[`v${i}`] = t.v;
  });
  const out = run(K.adamw, inputs, attrs) as tf.Tensor[];
  const pick = (k: number) => tensors.map((_, i) => out[1 + 3 * i + k]);
  return { norm: out[0] as tf.Scalar, p: pick(0), m: pick(1), v: pick(2) };
}

/** Registers the fused ops' gradients (each a fused kernel too). Entry points call this once. */
export function registerFusedGradients(): void {
  tf.registerGradient({
    kernelName: K.layerNorm,
    inputsToSave: ['x', 'gamma'],
    gradFunc: (dy, saved, attrs) => {
      const [x, gamma] = saved;
      const [dx, dgamma, dbeta] = run(K.layerNormGrad, { dy: dy as tf.Tensor, x, gamma }, attrs) as tf.Tensor[];
      return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
    },
  });
  tf.registerGradient({
    kernelName: K.linear,
    inputsToSave: ['x', 'w'],
    gradFunc: (dy, saved, attrs) => {
      const [x, w] = saved;
      const [dx, dw, db] = run(K.linearGrad, { dy: dy as tf.Tensor, x, w }, attrs) as tf.Tensor[];
      return { x: () => dx, w: () => dw, bias: () => db };
    },
  });
  const qkvGrad = (dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap, cross: boolean) => {
    const [dq, dk, dv] = dys as tf.Tensor[];
    const [xq, xkv] = cross ? saved : [saved[0]];
    const [wq, wk, wv] = saved.slice(cross ? 2 : 1);
    const inputs: tf.NamedTensorMap = { dq, dk, dv, xq, wq, wk, wv };
    if (xkv) inputs.xkv = xkv;
    const g = run(K.qkvGrad, inputs, attrs) as tf.Tensor[];
    const dw = g.slice(cross ? 2 : 1);
    const names = ['wq', 'bq', 'wk', 'bk', 'wv', 'bv'];
    const out: Record<string, () => tf.Tensor> = { xq: () => g[0] };
    if (cross) out.xkv = () => g[1];
    names.forEach((n, i) => (out[n] = () => dw[i]));
    return out;
  };
  tf.registerGradient({
    kernelName: K.qkv,
    inputsToSave: ['xq', 'wq', 'wk', 'wv'],
    gradFunc: (dys, saved, attrs) => qkvGrad(dys, saved, attrs, false),
  });
  tf.registerGradient({
    kernelName: K.qkvCross,
    inputsToSave: ['xq', 'xkv', 'wq', 'wk', 'wv'],
    gradFunc: (dys, saved, attrs) => qkvGrad(dys, saved, attrs, true),
  });
  tf.registerGradient({
    kernelName: K.attnOut,
    inputsToSave: ['ctx', 'w'],
    gradFunc: (dy, saved) => {
      const [ctx, w] = saved;
      const [dctx, dw, db] = run(K.attnOutGrad, { dy: dy as tf.Tensor, ctx, w }) as tf.Tensor[];
      return { ctx: () => dctx, w: () => dw, bias: () => db };
    },
  });
  tf.registerGradient({
    kernelName: K.biasGelu,
    inputsToSave: ['x', 'bias'],
    gradFunc: (dy, saved) => {
      const [x, bias] = saved;
      const [dx, dbias] = run(K.biasGeluGrad, { dy: dy as tf.Tensor, x, bias }) as tf.Tensor[];
      return { x: () => dx, bias: () => dbias };
    },
  });
  tf.registerGradient({
    kernelName: K.attnSoftmax,
    inputsToSave: ['scores', 'bias'],
    gradFunc: (dy, saved, attrs) => {
      const [scores, bias] = saved;
      // The bias comes from the padding mask, a constant: its gradient is never asked for.
      return { scores: () => run(K.attnSoftmaxGrad, { dy: dy as tf.Tensor, scores, bias }, attrs) as tf.Tensor, bias: () => tf.zerosLike(bias) };
    },
  });
  // Dropout's mask comes from (seed, index), so the backward pass draws the same mask again.
  tf.registerGradient({
    kernelName: K.dropout,
    gradFunc: (dy, _saved, attrs) => ({ x: () => run(K.dropout, { x: dy as tf.Tensor }, attrs) as tf.Tensor }),
  });
  tf.registerGradient({
    kernelName: K.dropoutAdd,
    gradFunc: (dy, _saved, attrs) => ({ x: () => dy as tf.Tensor, h: () => run(K.dropout, { x: dy as tf.Tensor }, attrs) as tf.Tensor }),
  });
  tf.registerGradient({
    kernelName: K.mlmLoss,
    inputsToSave: ['logits', 'labels', 'weights'],
    gradFunc: (dy, saved) => {
      const [logits, labels, weights] = saved;
      return {
        logits: () => run(K.mlmLossGrad, { dy: dy as tf.Tensor, logits, labels, weights }) as tf.Tensor,
        labels: () => tf.zerosLike(labels),
        weights: () => tf.zerosLike(weights),
      };
    },
  });
}

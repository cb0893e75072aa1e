import * as tf from '@tensorflow/tfjs-core';
import { fusedAdamW, fusedOn } from '../kernels/ops.ts';
import { K } from '../kernels/spec.ts';
import type { Params } from '../model/params.ts';

/** Adam moments keyed by parameter name, same shapes as the parameters (docs/architecture.md). */
export interface AdamState {
  /** Updates applied so far; bias correction uses it, so a reset state starts again at 0. */
  step: number;
  m: Map<string, tf.Variable>;
  v: Map<string, tf.Variable>;
}

export interface AdamHyper {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

export function createAdamState(params: Params): AdamState {
  const m = new Map<string, tf.Variable>();
  const v = new Map<string, tf.Variable>();
  for (const [name, p] of params) {
    // Unnamed variables: tfjs names are global and would collide across grown models.
    // tidy frees the zero tensors; the variables keep their own reference to the data.
    m.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
    v.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
  }
  return { step: 0, m, v };
}

export function disposeAdamState(s: AdamState): void {
  for (const t of s.m.values()) t.dispose();
  for (const t of s.v.values()) t.dispose();
  s.m.clear();
  s.v.clear();
}

/**
 * Which parameters get weight decay. As in BERT (exclude_from_weight_decay = LayerNorm, bias):
 * biases and LayerNorm gains/shifts are exempt. Embeddings are decayed, as BERT does; emb.tok is
 * also the tied output matrix, so exempting it would leave the largest weight unregularised.
 */
export function decaysWeight(name: string): boolean {
  return !name.endsWith('.bias') && !/(^|\.)ln\.(gamma|beta)$/.test(name);
}

/**
 * Scales all gradients by min(1, maxNorm / globalNorm) (tf.clip_by_global_norm); maxNorm 0 leaves
 * them unchanged. `norm` is the norm before clipping. Returns new tensors (or the inputs when not
 * clipping): call it inside tf.tidy.
 */
export function clipByGlobalNorm(
  grads: Map<string, tf.Tensor>,
  maxNorm: number,
): { grads: Map<string, tf.Tensor>; norm: tf.Scalar } {
  if (!(maxNorm >= 0) || !Number.isFinite(maxNorm)) {
    throw new RangeError(`clipByGlobalNorm: maxNorm must be a finite number >= 0 (0 disables clipping), got ${maxNorm}`);
  }
  const squares = [...grads.values()].map((g) => tf.sum<tf.Scalar>(tf.square(g)));
  // One stack + sum, not tf.addN: WebGPU's AddN binds one storage buffer per input and fails
  // past the adapter's limit (8 on SwiftShader) with a model's dozens of gradients.
  const norm: tf.Scalar = squares.length ? tf.sqrt(tf.sum<tf.Scalar>(tf.stack(squares))) : tf.scalar(0);
  if (maxNorm === 0) return { grads, norm };
  const scale = tf.div(maxNorm, tf.maximum(norm, maxNorm));
  const clipped = new Map<string, tf.Tensor>();
  for (const [name, g] of grads) clipped.set(name, tf.mul(g, scale));
  return { grads: clipped, norm };
}

/**
 * One AdamW step (Loshchilov & Hutter, decoupled decay scaled by the learning rate as in BERT and
 * PyTorch): m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², m̂ = m/(1−β1^t), v̂ = v/(1−β2^t),
 * p ← p − lr·(m̂/(√v̂ + ε) + wd·p) with wd = 0 where decaysWeight(name) is false.
 * Parameters without a gradient (unused by the loss) are left alone, moments included.
 * Increments state.step once. Updates variables in place; leaks no tensors.
 */
export function adamwUpdate(
  params: Params,
  grads: Map<string, tf.Tensor>,
  state: AdamState,
  lr: number,
  hp: AdamHyper,
): void {
  for (const name of grads.keys()) {
    if (!params.has(name) || !state.m.has(name) || !state.v.has(name)) {
      throw new Error(`adamwUpdate: gradient for "${name}" has no matching parameter or Adam moment`);
    }
  }
  state.step += 1;
  const t = state.step;
  const c1 = 1 - hp.beta1 ** t;
  const c2 = 1 - hp.beta2 ** t;
  tf.tidy(() => {
    for (const [name, g] of grads) {
      const p = params.get(name)!;
      const m = state.m.get(name)!;
      const v = state.v.get(name)!;
      const m1 = tf.add(tf.mul(m, hp.beta1), tf.mul(g, 1 - hp.beta1));
      const v1 = tf.add(tf.mul(v, hp.beta2), tf.mul(tf.square(g), 1 - hp.beta2));
      let delta = tf.div(tf.div(m1, c1), tf.add(tf.sqrt(tf.div(v1, c2)), hp.epsilon));
      if (hp.weightDecay > 0 && decaysWeight(name)) delta = tf.add(delta, tf.mul(p, hp.weightDecay));
      m.assign(m1);
      v.assign(v1);
      p.assign(tf.sub(p, tf.mul(delta, lr)));
    }
  });
}

/** Parameters trained at one learning rate and weight decay, with their own Adam moments. */
export interface OptimizerGroup {
  params: Params;
  adam: AdamState;
  lr: number;
  weightDecay: number;
}

export interface StepHyper {
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Global-norm clipping threshold over every group's gradients together; 0 disables clipping. */
  clipNorm: number;
}

/**
 * The optimizer step of pre-training and fine-tuning alike: clip all gradients by their global
 * norm, then AdamW on every group. One kernel for the whole model where the backend has the fused
 * optimizer; otherwise clipByGlobalNorm and adamwUpdate (the reference). Returns the gradients'
 * global norm before clipping (a new tensor). Call inside tf.tidy.
 */
export function optimizerStep(groups: OptimizerGroup[], grads: Map<string, tf.Tensor>, hp: StepHyper): tf.Scalar {
  if (!(hp.clipNorm >= 0) || !Number.isFinite(hp.clipNorm)) {
    throw new RangeError(`optimizerStep: clipNorm must be a finite number >= 0 (0 disables clipping), got ${hp.clipNorm}`);
  }
  const owner = new Map<string, OptimizerGroup>();
  for (const g of groups) for (const name of g.params.keys()) owner.set(name, g);
  for (const name of grads.keys()) {
    const g = owner.get(name);
    if (!g || !g.adam.m.has(name) || !g.adam.v.has(name)) {
      throw new Error(`optimizerStep: gradient for "${name}" has no matching parameter or Adam moment`);
    }
  }
  if (!fusedOn(K.adamw)) {
    const clipped = clipByGlobalNorm(grads, hp.clipNorm);
    for (const g of groups) {
      const mine = new Map([...clipped.grads].filter(([name]) => g.params.has(name)));
      adamwUpdate(g.params, mine, g.adam, g.lr, { ...hp, weightDecay: g.weightDecay });
    }
    return clipped.norm;
  }
  const step = groups[0].adam.step + 1;
  if (groups.some((g) => g.adam.step + 1 !== step)) throw new Error('optimizerStep: groups stepped together must have taken the same number of steps');
  const names = [...grads.keys()];
  const tensors = names.map((name) => {
    const g = owner.get(name)!;
    return { p: g.params.get(name)!, g: grads.get(name)!, m: g.adam.m.get(name)!, v: g.adam.v.get(name)! };
  });
  const out = fusedAdamW(tensors, {
    lr: names.map((name) => owner.get(name)!.lr),
    decay: names.map((name) => (decaysWeight(name) ? owner.get(name)!.weightDecay : 0)),
    beta1: hp.beta1,
    beta2: hp.beta2,
    epsilon: hp.epsilon,
    step,
    clipNorm: hp.clipNorm,
  });
  tensors.forEach((t, i) => {
    (t.p as tf.Variable).assign(out.p[i]);
    (t.m as tf.Variable).assign(out.m[i]);
    (t.v as tf.Variable).assign(out.v[i]);
  });
  for (const g of groups) g.adam.step = step;
  return out.norm;
}

/**
 * One training step: gradients of `loss` with respect to every group's parameters, then
 * optimizerStep. Returns the loss and the gradient norm, kept on the device.
 */
export function gradientStep(groups: OptimizerGroup[], loss: () => tf.Scalar, hp: StepHyper): { loss: tf.Scalar; gradNorm: tf.Scalar } {
  return tf.tidy(() => {
    // tf.variableGrads keys gradients by tfjs variable name; the optimizer uses the Params keys.
    const nameOf = new Map<string, string>();
    for (const g of groups) for (const [name, v] of g.params) nameOf.set(v.name, name);
    const { value, grads } = tf.variableGrads(loss, groups.flatMap((g) => [...g.params.values()]));
    const named = new Map<string, tf.Tensor>();
    for (const [tfName, g] of Object.entries(grads)) named.set(nameOf.get(tfName)!, g);
    return { loss: value, gradNorm: optimizerStep(groups, named, hp) };
  });
}

import * as tf from '@tensorflow/tfjs-core';
import type { MlmBatch } from '../data/batch.ts';
import { Rng } from '../data/rng.ts';
import type { ModelConfig } from '../model/config.ts';
import { mlmLoss } from '../model/forward.ts';
import { disposeParams, initParams, type Params } from '../model/params.ts';
import type { AdamState } from '../train/optimizer.ts';

/*
 * Shared by the d and heads growth tests. The model tests differentiate: they import the
 * gradient registry themselves (tfjs-core ships it separately).
 */

/**
 * Initial weights are tiny (attention ≈ uniform, FFN ≈ linear, identity-ish layer norms), so a
 * check on them would pass almost anything: spread them like trained weights.
 */
export function trainedLike(cfg: ModelConfig, seed: number): Params {
  const params = initParams(cfg, seed);
  const rng = new Rng(seed + 1000);
  for (const [name, p] of params) {
    const gain = name.endsWith('gamma');
    const scale = gain ? 0.2 : name.endsWith('kernelA') || name.endsWith('kernelB') ? 0.6 : 0.4;
    const v = Float32Array.from({ length: p.size }, () => (gain ? 1 : 0) + scale * rng.normal());
    tf.tidy(() => p.assign(tf.tensor(v, p.shape)));
  }
  return params;
}

/** ∂loss/∂parameter on the probe, dropout off, keyed by parameter name. */
export function gradients(params: Params, cfg: ModelConfig, probe: MlmBatch): Map<string, Float32Array> {
  const byVar = new Map([...params].map(([name, v]) => [v.name, name]));
  const { value, grads } = tf.variableGrads(() => mlmLoss(params, cfg, probe, { training: false }), [...params.values()]);
  const out = new Map<string, Float32Array>();
  for (const [varName, g] of Object.entries(grads)) {
    out.set(byVar.get(varName)!, g.dataSync() as Float32Array);
    g.dispose();
  }
  value.dispose();
  return out;
}

export const BETA1 = 0.9;
export const BETA2 = 0.999;

/** Adam's moments after one step from zero on gradients g: m = (1−β1)·g, v = (1−β2)·g². */
export function oneStepAdam(params: Params, g: Map<string, Float32Array>): AdamState {
  const make = (x: Float32Array, shape: number[]) => tf.tidy(() => tf.variable(tf.tensor(x, shape), false));
  const adam: AdamState = { step: 1, m: new Map(), v: new Map() };
  for (const [name, p] of params) {
    const gi = g.get(name)!;
    adam.m.set(name, make(gi.map((x) => (1 - BETA1) * x), p.shape));
    adam.v.set(name, make(gi.map((x) => (1 - BETA2) * x * x), p.shape));
  }
  return adam;
}

/** Random (not zero) moments, so carried values can be told from fresh ones. */
export function randomAdam(params: Params, seed: number): AdamState {
  const rng = new Rng(seed);
  const make = (p: tf.Variable, sq: boolean) =>
    tf.tidy(() => tf.variable(tf.tensor(Float32Array.from({ length: p.size }, () => (sq ? rng.next() : rng.normal())), p.shape), false));
  const adam: AdamState = { step: 3, m: new Map(), v: new Map() };
  for (const [name, p] of params) {
    adam.m.set(name, make(p, false));
    adam.v.set(name, make(p, true));
  }
  return adam;
}

export function disposeAll(...states: (Params | AdamState | null)[]): void {
  for (const s of states) {
    if (s === null) continue;
    if (s instanceof Map) disposeParams(s);
    else [...s.m.values(), ...s.v.values()].forEach((t) => t.dispose());
  }
}

export const values = (m: Map<string, tf.Variable>, name: string): number[] => Array.from(m.get(name)!.dataSync());

/** A model small enough to check by hand: 2 heads of 4 in d = 8. */
export const TWO_HEADS_OF_4: ModelConfig = {
  vocabSize: 40, hidden: 8, layers: 2, heads: 2, ffn: 8, ffnRank: 0, maxLen: 8, norm: 'pre', dropout: 0.1, lnEps: 1e-12,
};

/** `base` under pre-LN and post-LN, with a dense and a factorized FFN: what every operator must preserve across. */
export function normAndFfnVariants(base: ModelConfig): [string, ModelConfig][] {
  return [
    ['pre-LN dense', base],
    ['post-LN dense', { ...base, norm: 'post' }],
    ['pre-LN factorized', { ...base, ffnRank: 2 }],
    ['post-LN factorized', { ...base, norm: 'post', ffnRank: 2 }],
  ];
}

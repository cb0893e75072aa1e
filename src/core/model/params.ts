import * as tf from '@tensorflow/tfjs-core';
import { deriveSeed, Rng } from '../data/rng.ts';
import type { ModelConfig } from './config.ts';
import { paramShapes } from './shapes.ts';

/** Trainable weights keyed by the names in docs/architecture.md. */
export type Params = Map<string, tf.Variable>;

/** BERT's initializer range: N(0, 0.02) truncated at two standard deviations. */
export const INIT_STD = 0.02;

function truncatedNormal(size: number, std: number, rng: Rng): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    let z = rng.normal();
    while (Math.abs(z) > 2) z = rng.normal();
    out[i] = std * z;
  }
  return out;
}

function initValues(name: string, size: number, cfg: ModelConfig, rng: () => Rng): Float32Array {
  if (name.endsWith('.gamma')) return new Float32Array(size).fill(1);
  if (name.endsWith('.bias') || name.endsWith('.beta')) return new Float32Array(size);
  // Each factor gets the std that gives A·B BERT's std (std_A·std_B·√h = 0.02): with 0.02 for both
  // the product would start ~0.02·√h/50 and the factorized FFN would barely train.
  const std = name.endsWith('.kernelA') || name.endsWith('.kernelB') ? Math.sqrt(INIT_STD / Math.sqrt(cfg.ffnRank)) : INIT_STD;
  return truncatedNormal(size, std, rng());
}

/**
 * BERT initialisation from a seed. Each tensor draws from its own stream seeded by (seed, name), so
 * a parameter's initial value does not depend on which other parameters the config has (runs that
 * differ only in norm placement or depth start from the same shared weights). Numbers are made in
 * JS, so every backend gets identical weights.
 */
export function initParams(cfg: ModelConfig, seed: number): Params {
  const params: Params = new Map();
  for (const [name, shape] of paramShapes(cfg)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const rng = () => new Rng(deriveSeed(seed, ...Array.from(name, (c) => c.charCodeAt(0))));
    const values = initValues(name, size, cfg, rng);
    params.set(name, tf.tidy(() => tf.variable(tf.tensor(values, shape), true)));
  }
  return params;
}

export function countParams(p: Params): number {
  let n = 0;
  for (const v of p.values()) n += v.size;
  return n;
}

export function disposeParams(p: Params): void {
  for (const v of p.values()) v.dispose();
}

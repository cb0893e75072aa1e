import * as tf from '@tensorflow/tfjs-core';
import { deriveSeed, Rng } from '../data/rng.ts';
import type { ModelConfig } from './config.ts';

/** Trainable weights keyed by the names in docs/architecture.md. */
export type Params = Map<string, tf.Variable>;

/** BERT's initializer range: N(0, 0.02) truncated at two standard deviations. */
export const INIT_STD = 0.02;

function addLn(s: Map<string, number[]>, prefix: string, d: number): void {
  s.set(`${prefix}.gamma`, [d]);
  s.set(`${prefix}.beta`, [d]);
}

function addKernel(s: Map<string, number[]>, prefix: string, rows: number, cols: number, rank: number): void {
  if (rank > 0) {
    s.set(`${prefix}.kernelA`, [rows, rank]);
    s.set(`${prefix}.kernelB`, [rank, cols]);
  } else {
    s.set(`${prefix}.kernel`, [rows, cols]);
  }
}

/** Every parameter of the config with its shape, in a fixed order. */
export function paramShapes(cfg: ModelConfig): Map<string, number[]> {
  const { vocabSize: V, hidden: d, ffn: F, ffnRank: h } = cfg;
  const s = new Map<string, number[]>();
  s.set('emb.tok', [V, d]);
  s.set('emb.pos', [cfg.maxLen, d]);
  addLn(s, 'emb.ln', d);
  for (let i = 0; i < cfg.layers; i++) {
    const l = `layers.${i}`;
    for (const m of ['q', 'k', 'v', 'o']) {
      s.set(`${l}.attn.${m}.kernel`, [d, d]);
      s.set(`${l}.attn.${m}.bias`, [d]);
    }
    addLn(s, `${l}.attn.ln`, d);
    addKernel(s, `${l}.ffn.w1`, d, F, h);
    s.set(`${l}.ffn.w1.bias`, [F]);
    addKernel(s, `${l}.ffn.w2`, F, d, h);
    s.set(`${l}.ffn.w2.bias`, [d]);
    addLn(s, `${l}.ffn.ln`, d);
  }
  if (cfg.norm === 'pre') addLn(s, 'final.ln', d);
  s.set('mlm.dense.kernel', [d, d]);
  s.set('mlm.dense.bias', [d]);
  addLn(s, 'mlm.ln', d);
  s.set('mlm.out.bias', [V]);
  return s;
}

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

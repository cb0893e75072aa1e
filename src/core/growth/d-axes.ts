import * as tf from '@tensorflow/tfjs-core';

/*
 * Shared ground of hidden-size growth (hidden.ts) and head growth (heads.ts): which axes of each
 * parameter have size d, and what those axes do in forward.ts. Every name paramShapes makes is
 * listed, so a parameter added later fails loudly here instead of being copied at the wrong size.
 */

/**
 * - 'in': rows of a matrix that reads the residual stream (or a LayerNorm of it).
 * - 'out': writes a stream-shaped activation: the residual stream, a LayerNorm output, mlm.dense's
 *   output (the input of mlm.ln), the embedding sum (the input of emb.ln).
 * - 'headOut': columns (and bias) of W_q, W_k, W_v: the head-major q/k/v space, where head j owns
 *   units j·d_h … (j+1)·d_h − 1 (layers.ts, splitHeads).
 * - 'headIn': rows of W_o, which read the concatenated heads' context, laid out like headOut.
 * - null: not a d axis (vocabulary, positions, FFN size F, rank h).
 */
export type DRole = 'in' | 'out' | 'headIn' | 'headOut';

const L = String.raw`^layers\.\d+\.`;
const RULES: [RegExp, (DRole | null)[]][] = [
  [/^emb\.(tok|pos)$/, [null, 'out']],
  [/(^|\.)ln\.(gamma|beta)$/, ['out']],
  [new RegExp(`${L}attn\\.[qkv]\\.kernel$`), ['in', 'headOut']],
  [new RegExp(`${L}attn\\.[qkv]\\.bias$`), ['headOut']],
  [new RegExp(`${L}attn\\.o\\.kernel$`), ['headIn', 'out']],
  [new RegExp(`${L}attn\\.o\\.bias$`), ['out']],
  // W1 = A·B (or W1): only the first factor touches d; b1 and B1 live in F and rank space.
  [new RegExp(`${L}ffn\\.w1\\.(kernel|kernelA)$`), ['in', null]],
  [new RegExp(`${L}ffn\\.w1\\.kernelB$`), [null, null]],
  [new RegExp(`${L}ffn\\.w1\\.bias$`), [null]],
  [new RegExp(`${L}ffn\\.w2\\.kernelA$`), [null, null]],
  [new RegExp(`${L}ffn\\.w2\\.(kernel|kernelB)$`), [null, 'out']],
  [new RegExp(`${L}ffn\\.w2\\.bias$`), ['out']],
  [/^mlm\.dense\.kernel$/, ['in', 'out']],
  [/^mlm\.dense\.bias$/, ['out']],
  // The tied output E·t + b: E is emb.tok (above), the bias is per vocabulary entry.
  [/^mlm\.out\.bias$/, [null]],
];

/** The role of each axis of a parameter (one entry per axis). Throws on a name it does not know. */
export function dRoles(name: string): (DRole | null)[] {
  const rule = RULES.find(([re]) => re.test(name));
  if (!rule) throw new Error(`d-axes: no rule for parameter "${name}"; add it to RULES before growing d`);
  return rule[1];
}

/** Interleaved repeat along `axis`: unit i becomes units k·i … k·i + k − 1. */
export function repeatUnits(x: tf.Tensor, axis: number, k: number): tf.Tensor {
  return tf.tidy(() => {
    const expanded = tf.expandDims(x, axis + 1);
    const tiled = tf.tile(expanded, expanded.shape.map((_, i) => (i === axis + 1 ? k : 1)));
    return tf.reshape(tiled, x.shape.map((n, i) => (i === axis ? n * k : n)));
  });
}

/** Repeats along every listed axis. Always a new tensor, even with no axes. */
export function repeatAxes(x: tf.Tensor, axes: number[], k: number): tf.Tensor {
  return tf.tidy(() => axes.reduce((t, a) => repeatUnits(t, a, k), tf.clone(x)));
}

/**
 * Weight and moment factors of a parameter whose stream axes are repeated k times (the derivation
 * is in hidden.ts): every 'in' axis divides the weight by k (k copies of each input add up), every
 * 'out' axis divides the gradient by k (each copy carries 1/k of the downstream gradient), and a
 * parameter whose grown use is scaled by c gets weight·c and gradient/c. m scales like the
 * gradient, v like its square.
 */
export function tileFactors(ins: number, outs: number, k: number, c: number): { weight: number; grad: number } {
  return { weight: c / k ** ins, grad: 1 / (k ** outs * c) };
}

/** Checks that every d axis of `p` has size d (growth from mismatched params makes garbage). */
export function checkDAxes(tag: string, name: string, p: tf.Tensor, roles: (DRole | null)[], d: number): void {
  if (roles.length !== p.rank || roles.some((r, i) => r !== null && p.shape[i] !== d)) {
    throw new Error(`${tag}: "${name}" has shape [${p.shape}], expected d = ${d} on its axes ${roles.map((r) => r ?? '-').join(', ')}`);
  }
}

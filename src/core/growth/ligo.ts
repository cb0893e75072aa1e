import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../data/rng.ts';
import type { ModelConfig } from '../model/config.ts';
import type { Params } from '../model/params.ts';
import { paramShapes } from '../model/shapes.ts';
import {
  checkLigoGrowth,
  initCopyMaps,
  initDepthSources,
  layerSuffixes,
  ligoRule,
  spaceDims,
  type LigoRef,
  type LigoSpace,
} from './ligo-plan.ts';

/**
 * LiGO (Wang et al. 2023, "Learning to Grow Pretrained Models for Efficient Transformer Training"):
 * the grown weights are a learned linear function of the small model's, Θ' = depth(width(Θ)), and
 * that function is trained for ops.ligoSteps steps on the grown model's MLM loss before the grown
 * model trains on its own (ligo-train.ts).
 *
 * Width. Each space (ligo-plan.ts: the residual stream, and per small layer the attention's q/k/v
 * space and the FFN's inner space) has an input-side expansion A and an output-side expansion B,
 * both [n2 × n1]. In the x·W convention (W stored [in, out]) a weight grows as W' = A_in·W·B_outᵀ and
 * a bias, γ or β on an output space as B·b. Why this is the right shape: if the grown stream is the
 * old one expanded, x' = x·Bᵀ, then a weight reading it computes x'·A·W·Bᵀ_out = x·(BᵀA)·W·Bᵀ_out, so
 * every linear map is the old one, expanded on its output, whenever BᵀA = I. The tied output reads
 * mlm.ln's output t' against E' = E·Bᵀ (emb.tok writes the stream): t'·B·Eᵀ; mlm.ln's γ, β are
 * therefore expanded by A (t' = t·Aᵀ gives t·AᵀB·Eᵀ = t·Eᵀ), the role hidden.tile's ÷k plays.
 * Depth. For each parameter kind (layer suffix) a learned D [L2 × L1]: grown layer l is
 * Σ_j D[l, j]·(layer j after its own width expansion).
 *
 * Initial operator = growModel with depth 'stack', width 'share' (ε = 0) and hidden 'tile':
 * D has one-hot rows l → l mod L; B copies units (stream interleaved by k = d'/d, FFN tiled in
 * blocks, attention interleaved within each head) and A = B divided by the copy count, so BᵀA = I
 * (ligo-plan.ts initCopyMaps). That gives exactly hidden.tile's weights (rows reading the stream ÷k,
 * γ, β, biases and columns writing it repeated, mlm.ln ÷k) and width.share's (W1 tiled, W2 tiled ÷k).
 * LayerNorm is not linear, but for an interleaved copy x⊗1_k it commutes with the copy (hidden.ts),
 * so the initial grown model computes the old function up to depth.stack's change.
 * Scores: q'·k' sums each head's units k = d_h'/d_h times, and the score scale becomes 1/√d_h', so
 * scores would grow by √k; W_q and b_q carry the fixed constant √(d_h/d_h') (= hidden.tile's 1/√k).
 * It stays fixed while A, B train: it only restates the grown model's 1/√d_h' in the small model's units.
 * Heads: when the heads grow, heads.add gives the new heads fresh q/k/v weights, which are no linear
 * function of the small weights. LiGO's init instead makes new head h' a copy of head h' mod H in
 * B (its q/k/v columns) and gives it zero rows in A (W_o reads nothing from it, as heads.add's zero
 * W_o rows): still exact, and the new heads get a gradient through W_o from the first step.
 *
 * Perturbation: exact copies get identical gradients — and so do their rows of A and B, which keep
 * the operator on the symmetric copies forever (with dropout 0; dropout only breaks it by chance).
 * So the initial A takes a symmetric split like width.share's: paired copies c, c+1 of a unit get
 * (1 ± ε·z)/k instead of 1/k (z ~ N(0,1), one per pair and unit, from the run's growth RNG). Their
 * sum is unchanged, so BᵀA = I still holds exactly and the initial function is unchanged, while the
 * copies' different read weights give their rows of B different gradients. ε = LIGO_INIT_NOISE.
 */

/** ε of the initial split of A (see above): small against 1, like DEFAULT_WIDTH_NOISE's order. */
export const LIGO_INIT_NOISE = 0.01;

export interface LigoOperator {
  from: ModelConfig;
  to: ModelConfig;
  /**
   * The learned matrices, trainable variables: `stream.A`, `stream.B`, `attn.{j}.A|B`,
   * `ffn.{j}.A|B` for every small layer j, and `depth.{suffix}` [L2 × L1].
   */
  vars: Params;
}

export interface LigoInitOptions {
  /** ε of the split; 0 = the exact copies of growModel (stack, share ε = 0, tile). */
  noise: number;
  rng: Rng;
}

function matName(ref: LigoRef, layer: number): string {
  return ref.space === 'stream' ? `stream.${ref.mat}` : `${ref.space}.${layer}.${ref.mat}`;
}

/** A and B of one space at init, [n2 × n1] row-major. */
function initSpace(from: ModelConfig, to: ModelConfig, space: LigoSpace, o: LigoInitOptions): { A: Float32Array; B: Float32Array } {
  const [n2, n1] = spaceDims(from, to)[space];
  const { aSrc, bSrc } = initCopyMaps(from, to, space);
  const A = new Float32Array(n2 * n1);
  const B = new Float32Array(n2 * n1);
  bSrc.forEach((s, r) => (B[r * n1 + s] = 1));
  const copies = new Map<number, number[]>();
  aSrc.forEach((s, r) => {
    if (s !== null) copies.set(s, [...(copies.get(s) ?? []), r]);
  });
  for (const [s, rows] of copies) {
    const k = rows.length;
    for (let p = 0; p < k; p += 2) {
      // An odd count's last copy keeps exactly 1/k: its partners' split already sums to their share.
      const e = p + 1 < k && o.noise > 0 ? o.noise * o.rng.normal() : 0;
      A[rows[p] * n1 + s] = (1 + e) / k;
      if (p + 1 < k) A[rows[p + 1] * n1 + s] = (1 - e) / k;
    }
  }
  return { A, B };
}

/** The initial operator from `from` to `to` (see above). The caller disposes it (disposeLigo). */
export function createLigo(from: ModelConfig, to: ModelConfig, o: LigoInitOptions): LigoOperator {
  checkLigoGrowth(from, to);
  const dims = spaceDims(from, to);
  const vars: Params = new Map();
  const add = (name: string, values: Float32Array, shape: [number, number]) => {
    vars.set(name, tf.tidy(() => tf.variable(tf.tensor2d(values, shape), true)));
  };
  try {
    const stream = initSpace(from, to, 'stream', o);
    add('stream.A', stream.A, dims.stream);
    add('stream.B', stream.B, dims.stream);
    for (let j = 0; j < from.layers; j++) {
      for (const space of ['attn', 'ffn'] as const) {
        const m = initSpace(from, to, space, o);
        add(`${space}.${j}.A`, m.A, dims[space]);
        add(`${space}.${j}.B`, m.B, dims[space]);
      }
    }
    const D = new Float32Array(to.layers * from.layers);
    initDepthSources(from, to).forEach((j, l) => (D[l * from.layers + j] = 1));
    for (const suffix of layerSuffixes(to)) add(`depth.${suffix}`, D, [to.layers, from.layers]);
  } catch (e) {
    for (const v of vars.values()) v.dispose();
    throw e;
  }
  return { from, to, vars };
}

export function disposeLigo(op: LigoOperator): void {
  for (const v of op.vars.values()) v.dispose();
  op.vars.clear();
}

/**
 * The grown model's parameters (plain tensors, in paramShapes(to) order) from the operator and the
 * small model's parameters, differentiable in the operator. The products and their order are what
 * ligoMaterialiseFlops counts. Call inside tf.tidy, or dispose the result.
 */
export function materialiseLigo(op: LigoOperator, small: Params): Map<string, tf.Tensor> {
  const { from, to, vars } = op;
  const mat = (ref: LigoRef, layer: number) => {
    const m = vars.get(matName(ref, layer));
    if (!m) throw new Error(`ligo: the operator has no "${matName(ref, layer)}"`);
    return m;
  };
  const qScale = Math.sqrt(from.hidden / from.heads / (to.hidden / to.heads));
  const widen = (name: string, layer: number): tf.Tensor => {
    const p = small.get(name);
    if (!p) throw new Error(`ligo: the small model has no "${name}"`);
    const r = ligoRule(name);
    // A new handle even when no rule applies, so the result never is the small model's variable.
    const [rows, cols] = p.rank === 1 ? [1, p.shape[0]] : (p.shape as [number, number]);
    let x: tf.Tensor2D = tf.reshape(p, [rows, cols]);
    if (r.left) x = tf.matMul(mat(r.left, layer), x);
    if (r.right) x = tf.matMul(x, mat(r.right, layer), false, true);
    const out: tf.Tensor = p.rank === 1 ? tf.reshape(x, [x.shape[1]]) : x;
    return r.query ? tf.mul(out, qScale) : out;
  };
  // tidy keeps what a plain object holds (it does not look into a Map).
  const kept = tf.tidy(() => {
    const out: Record<string, tf.Tensor> = {};
    const grownShapes = paramShapes(to);
    const suffixes = layerSuffixes(to);
    const mixed = new Map<string, tf.Tensor>();
    for (const suffix of suffixes) {
      const shape = grownShapes.get(`layers.0.${suffix}`)!;
      const size = shape.reduce((a, b) => a * b, 1);
      const stacked = tf.stack(Array.from({ length: from.layers }, (_, j) => tf.reshape(widen(`layers.${j}.${suffix}`, j), [size])));
      const D = vars.get(`depth.${suffix}`);
      if (!D) throw new Error(`ligo: the operator has no "depth.${suffix}"`);
      const rows = tf.unstack(tf.matMul(D, stacked));
      rows.forEach((row, l) => mixed.set(`layers.${l}.${suffix}`, tf.reshape(row, shape)));
    }
    for (const name of grownShapes.keys()) {
      const t = mixed.get(name) ?? widen(name, 0);
      if (!sameShape(t.shape, grownShapes.get(name)!)) throw new Error(`ligo: "${name}" came out [${t.shape}], expected [${grownShapes.get(name)}]`);
      out[name] = t;
    }
    return out;
  });
  return new Map(Object.entries(kept));
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The materialised weights as the grown model's Params (trainable variables); the operator is left as it is. */
export function ligoParams(op: LigoOperator, small: Params): Params {
  const grown = materialiseLigo(op, small);
  const params: Params = new Map();
  for (const [name, t] of grown) {
    params.set(name, tf.variable(t, small.get(name)?.trainable ?? true));
    t.dispose();
  }
  return params;
}

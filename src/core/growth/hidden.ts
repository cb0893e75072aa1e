import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '../errors.ts';
import type { Rng } from '../data/rng.ts';
import type { ModelConfig } from '../model/config.ts';
import { initParams, type Params } from '../model/params.ts';
import type { AdamState } from '../train/optimizer.ts';
import { HIDDEN_OP_NAMES, type HiddenGrowthOp } from '../schedule/spec.ts';
import { checkDAxes, dRoles, repeatAxes, tileFactors, type DRole } from './d-axes.ts';
import { disposeMaps, growEach } from './transform.ts';
import { drawWidthMaps, growBert2Bert } from './bert2bert.ts';

/**
 * Hidden-size growth d → d' at a fixed number of heads H, so the head dimension grows too
 * (d_h → d_h' = d'/H). Parameter roles ('in', 'out', 'headIn', 'headOut') are in d-axes.ts.
 *
 * tile (k = d'/d, an integer; Staged Training's width operator): residual-stream unit i becomes
 * units k·i … k·i + k − 1 (interleaved, x' = x⊗1_k). Head h's units h·d_h … (h+1)·d_h − 1 become
 * h·d_h' … (h+1)·d_h' − 1, so each head keeps its own slice, now k·d_h wide; q, k, v and the context
 * are repeated the same way (head axes behave like stream axes). Why the function is unchanged,
 * for every parameter forward.ts uses:
 * - LayerNorm (emb.ln, attn.ln, ffn.ln, final.ln, mlm.ln): x⊗1_k has the mean and the variance of x
 *   (each value appears k times among k·d entries), so LN(x⊗1_k) = LN(x)⊗1_k with γ, β repeated and
 *   the same ε: exact, and pre-LN and post-LN alike, since both only add and normalise the stream.
 * - A matrix reading a repeated vector sums k copies of each input: (x⊗1_k)·W' = x·W when W's rows
 *   are repeated and divided by k ('in' axes). One writing a repeated vector repeats its columns and
 *   bias ('out' axes). So W_k, W_v, W_o, mlm.dense: both axes repeated, ÷k; FFN W1 (or its factor A):
 *   rows repeated, ÷k; W2 (or its factor B) and b2: repeated; b1, B1, A2 have no d axis.
 * - Attention: per head q'·k' = k·(q·k) while the scale becomes 1/√(k·d_h), so every score would grow
 *   by k/√k = √k. W_q and b_q take an extra 1/√k; the probabilities are then the old ones, the context
 *   probs·v is repeated like v, and W_o reads it as above.
 * - GELU, residual adds, dropout-free eval and pooling (mean or max per unit) act unit by unit.
 * - The tied output logits = t·Eᵀ + b (E = emb.tok, t = mlm.ln's output): E feeds the input, where the
 *   embedding sum must be repeated (E' = E⊗1_k), and the output, where t'·E'ᵀ = k·(t·Eᵀ). Scaling
 *   mlm.ln's γ and β by 1/k gives t' = (t⊗1_k)/k and fixes the output exactly; mlm.ln feeds nothing
 *   else. (The other fix, E' and emb.pos divided by k, leans on emb.ln being scale-invariant, which
 *   holds only up to ε: LN(z/k) with ε is LN(z) with k²·ε. Negligible at lnEps 1e-12, but at 1e-5
 *   and k = 2 that is 10% of the variance of BERT-initialised embeddings (0.02² = 4e-4).)
 * - mlm.out.bias is per vocabulary entry: unchanged.
 *
 * Moments (m a running mean of g, v of g²). The grown model treats the k copies of a unit alike, so
 * at the grown point the gradient of a repeated activation a' = c·(a⊗1_k) is the same on every copy,
 * and L(a) = L'(a') gives ∂L/∂a_i = c·k·(that value): ∂L/∂a' = (∂L/∂a⊗1_k)/(c·k). For a parameter,
 * an 'out' axis writes such an activation (c = 1), so its gradient is repeated and ÷k; an 'in' axis
 * reads a repeated input whose entries are the old ones, so there the gradient is only repeated —
 * e.g. ∂L/∂W'[k·i+s, k·j+t] = Σ x_i·(∂L/∂y_j)/k = ∂L/∂W[i, j]/k for a d×d matrix. A parameter used
 * as c·(tiled value) has gradient (tiled gradient)/c. Hence tileFactors: weight c/k^#in, gradient
 * 1/(c·k^#out), and m' = repeat(m)·gradient, v' = repeat(v)·gradient²:
 *   parameter                                  weight        m      v
 *   emb.tok, emb.pos (the tied path included)  repeat        ÷k     ÷k²
 *   LN γ, β other than mlm.ln                  repeat        ÷k     ÷k²
 *   mlm.ln γ, β (c = 1/k)                      repeat ÷k     ×1     ×1
 *   W_q (c = 1/√k)                             ÷(k·√k)       ÷√k    ÷k
 *   b_q (c = 1/√k)                             ÷√k           ÷√k    ÷k
 *   W_k, W_v, W_o, mlm.dense kernel            ÷k            ÷k     ÷k²
 *   b_k, b_v, b_o, b2, mlm.dense bias, W2 / B2 repeat        ÷k     ÷k²
 *   W1 / A1                                    ÷k            ×1     ×1
 *   b1, B1, A2, mlm.out.bias                   unchanged
 * (emb.tok: the input path and the tied output path each give ∂L/∂E⊗1_k / k.) Adam's step m/√v is
 * then the old step on every copy, while 'in' weights are k times smaller: they move k times faster
 * relative to their size than before (a property of Adam under width growth, not of this transform).
 * The moments are exactly the grown model's while the copies are copies; dropout on the stream
 * (embedding, attention-output and FFN-output dropout, masks per element) gives the copies different
 * gradients from the first step. With dropout 0 nothing separates them, as with width.share at ε = 0.
 *
 * random (any d' > d divisible by H; the non-preserving control): old unit j of head h stays in head h
 * at h·d_h' + j on every d axis, with its old values; every other entry takes its value from a
 * freshly initialised model of the grown shape (BERT init: N(0, 0.02) weights, zero biases and β,
 * γ = 1), including new embedding columns. Nothing is rescaled, so LayerNorm statistics, the score
 * scale 1/√d_h' and the tied logits all change. Old entries keep their moments unchanged (as
 * width.random does), new ones start at zero.
 *
 * fpi and aki (any d' > d divisible by H): bert2BERT's function-preserving and advanced knowledge
 * initialisation, in bert2bert.ts with their derivation. FPI copies units by a seeded uniform map,
 * so the copy counts differ and LayerNorm's statistics (hence the function) change; AKI
 * also takes the new units of layer l from layer l + 1.
 */

export interface HiddenOptions {
  op: HiddenGrowthOp;
  /** Seeds the fresh values of `random` and the copy maps of `fpi` and `aki`. */
  rng: Rng;
  /**
   * MSG mode (growth/msg.ts): the forward pass masks the new units (hiddenNewUnits), so no weight is
   * rescaled to make the copies add up: tile and fpi copy units as they are (no ÷k or ÷count, no
   * 1/√k or r on W_q, no ÷ on mlm.ln), aki takes its new output units from the layer above as they
   * are, random is unchanged. Old units keep their weights and moments; new entries start with zero
   * moments (at m = 0 their gradient is zero).
   */
  msg?: boolean;
}

/**
 * Which units of the grown stream (d' = H·d_h') and of each head (d_h') are new, 1 = new, per
 * operator, from where each puts the old units: tile interleaves (old unit i → k·i … k·i + k − 1,
 * the first of which MSG takes as the old unit, the others as copies); fpi and aki keep the stream's
 * old units first (j < d) and each head's first d_h units old; random keeps each head's first d_h
 * units old on every axis, the stream's included (placeInHeads).
 */
export function hiddenNewUnits(op: HiddenGrowthOp, heads: number, dh: number, dh2: number): { stream: number[]; head: number[] } {
  const k = dh2 / dh;
  const head = Array.from({ length: dh2 }, (_, a) => (op === 'tile' ? a % k !== 0 : a >= dh) ? 1 : 0);
  const stream = Array.from({ length: heads * dh2 }, (_, j) => {
    if (op === 'tile') return j % k !== 0 ? 1 : 0;
    if (op === 'random') return j % dh2 >= dh ? 1 : 0;
    return j >= heads * dh ? 1 : 0;
  });
  return { stream, head };
}

/**
 * Zeroes the entries of t that are new along any of `axes` (every one of size d', whose units
 * `isNew` marks: tile's stream and head axes share one pattern).
 */
function zeroNew(t: tf.Tensor, axes: number[], isNew: readonly number[]): tf.Tensor {
  return tf.tidy(() =>
    axes.reduce((x, axis) => tf.mul(x, tf.tensor(isNew.map((n) => 1 - n), x.shape.map((n, i) => (i === axis ? n : 1)))), tf.clone(t)),
  );
}

/** The extra factor c a parameter's tiled value is used with (see above). */
function useScale(name: string, k: number): number {
  if (/^layers\.\d+\.attn\.q\.(kernel|bias)$/.test(name)) return 1 / Math.sqrt(k);
  if (/^mlm\.ln\.(gamma|beta)$/.test(name)) return 1 / k;
  return 1;
}

const axesWith = (roles: (DRole | null)[], want: readonly (DRole | null)[]) =>
  roles.flatMap((r, i) => (want.includes(r) ? [i] : []));

/** Validates a hidden-size growth at fixed heads; returns the integer factor for tile. */
export function checkHiddenGrowth(from: ModelConfig, to: ModelConfig, op: HiddenGrowthOp): number {
  if (!HIDDEN_OP_NAMES.includes(op)) throw new ConfigError('ops.hidden', `must be one of ${HIDDEN_OP_NAMES.join(', ')}, got ${String(op)}`);
  if (to.heads !== from.heads) throw new Error(`growHidden: keeps the heads (${from.heads}); grow heads with growHeads`);
  if (to.hidden <= from.hidden) throw new ConfigError('hidden', `hidden growth needs a larger hidden size than ${from.hidden}, got ${to.hidden}`);
  if (to.hidden % to.heads !== 0) throw new ConfigError('hidden', `hidden size ${to.hidden} must be divisible by heads ${to.heads}`);
  const k = to.hidden / from.hidden;
  if (op === 'tile' && !Number.isInteger(k)) {
    throw new ConfigError('hidden', `hidden.tile needs the hidden size to grow by an integer factor: ${to.hidden} / ${from.hidden} = ${k}; try ${2 * from.hidden}`);
  }
  return k;
}

/**
 * Grows d from `from.hidden` to `to.hidden` at `from.heads` heads. Returns new maps; the inputs are
 * neither changed nor disposed. With `adam` null no state is made.
 */
export function growHidden(
  params: Params,
  adam: AdamState | null,
  from: ModelConfig,
  to: ModelConfig,
  o: HiddenOptions,
): { params: Params; adam: AdamState | null } {
  const k = checkHiddenGrowth(from, to, o.op);
  const d = from.hidden;
  if (o.op === 'tile' && o.msg) {
    // Stream and head axes interleave alike (d_h' = k·d_h), so one pattern serves both.
    const { stream: isNew } = hiddenNewUnits('tile', from.heads, d / from.heads, to.hidden / to.heads);
    return growEach(params, adam, 'growHidden', (name, p, pm, pv) => {
      const roles = dRoles(name);
      checkDAxes('growHidden', name, p, roles, d);
      const axes = axesWith(roles, ['in', 'out', 'headIn', 'headOut']);
      const old = (t: tf.Tensor) => tf.tidy(() => zeroNew(repeatAxes(t, axes, k), axes, isNew));
      return { value: repeatAxes(p, axes, k), m: pm && old(pm), v: pv && old(pv) };
    });
  }
  if (o.op === 'tile') {
    return growEach(params, adam, 'growHidden', (name, p, pm, pv) => {
      const roles = dRoles(name);
      checkDAxes('growHidden', name, p, roles, d);
      const axes = axesWith(roles, ['in', 'out', 'headIn', 'headOut']);
      const f = tileFactors(axesWith(roles, ['in', 'headIn']).length, axesWith(roles, ['out', 'headOut']).length, k, useScale(name, k));
      const grow = (t: tf.Tensor, s: number) => tf.tidy(() => tf.mul(repeatAxes(t, axes, k), s));
      return { value: grow(p, f.weight), m: pm && grow(pm, f.grad), v: pv && grow(pv, f.grad * f.grad) };
    });
  }
  if (o.op === 'fpi' || o.op === 'aki') return growBert2Bert(params, adam, from, to, o.op, drawWidthMaps(from, to, o.rng), o.msg ?? false);
  const fresh = initParams(to, o.rng.nextUint32());
  try {
    return growEach(params, adam, 'growHidden', (name, p, pm, pv) => {
      const roles = dRoles(name);
      checkDAxes('growHidden', name, p, roles, d);
      const init = fresh.get(name);
      if (!init) throw new Error(`growHidden: no fresh initialisation for "${name}"`);
      const axes = axesWith(roles, ['in', 'out', 'headIn', 'headOut']);
      const place = (t: tf.Tensor) => placeInHeads(t, axes, from.heads, d / from.heads, to.hidden / to.heads);
      const value = tf.tidy(() => tf.add(place(p), tf.mul(init, tf.sub(1, place(tf.onesLike(p))))));
      return { value, m: pm && place(pm), v: pv && place(pv) };
    });
  } finally {
    disposeMaps(fresh);
  }
}

/**
 * Zero-pads each head's d_h units to dh2 along every listed axis: unit (h, j) lands at h·dh2 + j.
 * Always a new tensor, even with no axes.
 */
export function placeInHeads(x: tf.Tensor, axes: number[], heads: number, dh: number, dh2: number): tf.Tensor {
  return tf.tidy(() =>
    axes.reduce((t, axis) => {
      const split = [...t.shape.slice(0, axis), heads, dh, ...t.shape.slice(axis + 1)];
      const pad = split.map((_, i): [number, number] => (i === axis + 1 ? [0, dh2 - dh] : [0, 0]));
      return tf.reshape(tf.pad(tf.reshape(t, split), pad), t.shape.map((n, i) => (i === axis ? heads * dh2 : n)));
    }, tf.clone(x)),
  );
}

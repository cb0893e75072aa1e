import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '../errors.ts';
import type { Rng } from '../data/rng.ts';
import type { ModelConfig } from '../model/config.ts';
import type { Params } from '../model/params.ts';
import type { AdamState } from '../train/optimizer.ts';
import { WIDTH_OP_NAMES, type WidthOp } from '../schedule/spec.ts';
import { freshLayers } from './depth.ts';
import { buildGrown, disposeMaps, growEach, kept, momentsOf, type GrownParam } from './transform.ts';

/**
 * FFN width growth, FFN(x) = act(x·W1 + b1)·W2 + b2 with F inner units.
 *
 * Every tensor with an F axis is on the input side (W1 [d,F] or, factorized, its B factor [h,F];
 * b1 [F]) or on the output side (W2 [F,d] or, factorized, its A factor [F,h]). The other factors
 * (W1's A [d,h], W2's B [h,d]) and b2 have no F axis and are copied unchanged.
 *
 * share (k = F_to/F_from): input-side tensors are tiled k times along F, output-side tensors are
 * tiled and divided by k, so unit c·F + f is a copy of unit f and the k copies of each output row
 * add up to the old row: exactly function-preserving.
 *
 * Carried Adam moments follow the chain rule for that grown model. Every copy of unit f has the old
 * activation a_f, and y = Σ_c a_f·(W2[f]/k) + … is unchanged, so
 *   ∂L/∂W2'[c·F+f] = a_f·∂L/∂y = ∂L/∂W2[f]   (output side: the old gradient, not scaled)
 *   ∂L/∂a'_{c,f}   = (W2[f]/k)·∂L/∂y = (1/k)·∂L/∂a_f, hence ∂L/∂W1'[:,c·F+f] = ∂L/∂W1[:,f]/k and
 *                    ∂L/∂b1'[c·F+f] = ∂L/∂b1[f]/k   (input side: the old gradient over k).
 * For a factorized FFN the same holds for B1 (input side) and A2 (output side), while A1 and B2
 * keep their old gradients (the k copies' contributions add back up). m is a running mean of g and
 * v of g², so the moments the grown model would have had are: output side m, v tiled unchanged;
 * input side m/k and v/k², tiled. Adam's step m/√v is then the same as before the growth for every
 * copy. The noise split below is ignored here (its effect on the gradients is O(ε)).
 *
 * Symmetric noise ε: identical copies get identical gradients, and nothing between W1 and W2 acts
 * per unit (dropout applies to the FFN's summed output, identically for every copy), so exact copies
 * stay bit-identical for the rest of training (DEFAULT_WIDTH_NOISE in spec.ts: why ε > 0 by
 * default). Output-side copies are therefore split in pairs (0,1), (2,3), …: for each pair one
 * element-wise draw z ~ N(0,1), copy 2p gets (1 + ε·z)/k and copy 2p+1 gets (1 − ε·z)/k. The k scales of each
 * element still add up to exactly 1, so the function is preserved for any k (up to float rounding);
 * with odd k the unpaired last copy keeps exactly 1/k and differs from the others only through its
 * partners' noise. Input-side copies stay identical: the different output rows already give each
 * copy a different gradient.
 *
 * random (the non-preserving control, any F_to > F_from): the F_to − F_from new units take their
 * weights from a freshly initialised model of the grown shape (BERT init, factor-aware std), so
 * new input-side columns and output-side rows are random, new b1 entries zero; their moments zero.
 */

type Side = 'in' | 'out';
interface FfnAxis {
  side: Side;
  axis: 0 | 1;
}

/** Which of a parameter's axes is the FFN inner size F, or null when it has none. */
export function ffnAxis(name: string): FfnAxis | null {
  const m = /^layers\.\d+\.ffn\.(w1|w2)\.(kernel|kernelA|kernelB|bias)$/.exec(name);
  if (!m) return null;
  const [, w, part] = m;
  if (w === 'w1') {
    if (part === 'kernel' || part === 'kernelB') return { side: 'in', axis: 1 };
    if (part === 'bias') return { side: 'in', axis: 0 };
    return null;
  }
  if (part === 'kernel' || part === 'kernelA') return { side: 'out', axis: 0 };
  return null;
}

function tileAlong(x: tf.Tensor, axis: 0 | 1, k: number): tf.Tensor {
  const reps = x.shape.map((_, i) => (i === axis ? k : 1));
  return tf.tile(x, reps);
}

/** Per-element scales (1 ± ε·z)/k of the k stacked copies of an output-side tensor [F, c]. */
function splitScales(rows: number, cols: number, k: number, noise: number, rng: Rng): tf.Tensor2D {
  const per = rows * cols;
  const s = new Float32Array(k * per).fill(1 / k);
  for (let p = 0; p + 1 < k; p += 2) {
    for (let i = 0; i < per; i++) {
      const e = noise * rng.normal();
      s[p * per + i] = (1 + e) / k;
      s[(p + 1) * per + i] = (1 - e) / k;
    }
  }
  return tf.tensor2d(s, [k * rows, cols]);
}

export interface WidthOptions {
  op: WidthOp;
  /** ε of the symmetric split (share only); 0 makes exact copies. */
  noise: number;
  rng: Rng;
  /**
   * MSG mode (growth/msg.ts): old units keep their weights and moments unchanged, and share's new
   * units are copies whose W2 rows are scaled by (1 + ε·z) (z ~ N(0,1) per element and copy) and not
   * divided by k: the forward pass masks the new units, so nothing has to add up to the old rows.
   * New units start with zero moments, as random's do (at m = 0 their gradient is zero).
   */
  msg?: boolean;
}

/**
 * Grows the FFN inner size from `from.ffn` to `to.ffn` in every layer (dense or factorized alike).
 * Returns new maps; the inputs are neither changed nor disposed. With `adam` null no state is made.
 */
export function growWidth(
  params: Params,
  adam: AdamState | null,
  from: ModelConfig,
  to: ModelConfig,
  o: WidthOptions,
): { params: Params; adam: AdamState | null } {
  const F = from.ffn;
  if (to.ffn <= F) throw new ConfigError('ffn', `width growth needs a larger FFN size than ${F}, got ${to.ffn}`);
  if (to.ffnRank !== from.ffnRank) throw new ConfigError('ffnRank', `width growth keeps the FFN rank (${from.ffnRank}), got ${to.ffnRank}`);
  const k = to.ffn / F;
  if (o.op === 'share' && !Number.isInteger(k)) {
    throw new ConfigError('ffn', `share needs the FFN size to grow by an integer factor: ${to.ffn} / ${F} = ${k}; try ${2 * F} or ${3 * F}`);
  }
  if (!WIDTH_OP_NAMES.includes(o.op)) throw new ConfigError('ops.width', `must be one of ${WIDTH_OP_NAMES.join(', ')}, got ${String(o.op)}`);
  if (!(o.noise >= 0 && o.noise < 1)) throw new ConfigError('ops.widthNoise', `must be a number in [0, 1), got ${String(o.noise)}`);

  const fresh = o.op === 'random' ? freshLayers(to, o.rng.nextUint32()) : null;
  try {
    return widen(params, adam, F, to.ffn, o, fresh);
  } finally {
    if (fresh) disposeMaps(fresh);
  }
}

function widen(
  params: Params,
  adam: AdamState | null,
  F: number,
  Fto: number,
  o: WidthOptions,
  fresh: Params | null,
): { params: Params; adam: AdamState | null } {
  const k = Fto / F;
  return growEach(params, adam, 'growWidth', (name, p, pm, pv): GrownParam => {
    const ax = ffnAxis(name);
    if (!ax) return kept(p, pm, pv);
    if (p.shape[ax.axis] !== F) throw new Error(`growWidth: "${name}" has shape [${p.shape}], expected F = ${F} on axis ${ax.axis}`);
    if (o.op === 'share' && !o.msg) {
      const inSide = ax.side === 'in';
      const value = tf.tidy(() => {
        const tiled = tileAlong(p, ax.axis, k);
        if (inSide) return tiled;
        if (o.noise === 0) return tf.div(tiled, k);
        const [rows, cols] = p.shape as number[];
        return tf.mul(tiled, splitScales(rows, cols, k, o.noise, o.rng));
      });
      return {
        value,
        m: pm && tf.tidy(() => (inSide ? tf.div(tileAlong(pm, ax.axis, k), k) : tileAlong(pm, ax.axis, k))),
        v: pv && tf.tidy(() => (inSide ? tf.div(tileAlong(pv, ax.axis, k), k * k) : tileAlong(pv, ax.axis, k))),
      };
    }
    // New units after the old ones: fresh (random), or copies of the old (share under MSG).
    const extraShape = p.shape.map((n, i) => (i === ax.axis ? Fto - F : n));
    const value = tf.tidy(() => tf.concat([p, o.op === 'share' ? msgCopies(p, ax, k, o) : freshUnits(name, p, ax, extraShape)], ax.axis));
    const zeroed = (t: tf.Tensor | null) => t && tf.tidy(() => tf.concat([t, tf.zeros(extraShape)], ax.axis));
    return { value, m: zeroed(pm), v: zeroed(pv) };
  });

  function freshUnits(name: string, p: tf.Tensor, ax: FfnAxis, extraShape: number[]): tf.Tensor {
    const init = fresh!.get(name);
    if (!init) throw new Error(`growWidth: no fresh initialisation for "${name}"`);
    return tf.slice(init, p.shape.map((_, i) => (i === ax.axis ? F : 0)), extraShape);
  }
}

/** share's k − 1 new copies of every unit under MSG: input side exact, output side ×(1 + ε·z) per element. */
function msgCopies(p: tf.Tensor, ax: FfnAxis, k: number, o: WidthOptions): tf.Tensor {
  const copies = tileAlong(p, ax.axis, k - 1);
  if (ax.side === 'in' || o.noise === 0) return copies;
  const scale = Float32Array.from({ length: copies.size }, () => 1 + o.noise * o.rng.normal());
  return tf.mul(copies, tf.tensor(scale, copies.shape));
}

/**
 * Factorized → dense FFN ("factorize h", the paper's width comparison): W := A·B for W1 and W2 of
 * every layer, at the same F. Exactly function-preserving. The new dense kernels get zero Adam
 * moments: Adam's moments average g_A = g_W·Bᵀ and g_B = Aᵀ·g_W (and their squares) over steps in
 * which A and B kept changing, and B (rank h) has no inverse, so the average of g_W — let alone
 * of g_W² — cannot be recovered from them. Biases and all other parameters keep their moments.
 */
export function defactorizeFfn(
  params: Params,
  adam: AdamState | null,
  from: ModelConfig,
  to: ModelConfig,
): { params: Params; adam: AdamState | null } {
  if (!(from.ffnRank > 0) || to.ffnRank !== 0) {
    throw new ConfigError('ffnRank', `factorized → dense growth goes from a rank > 0 to 0, got ${from.ffnRank} → ${to.ffnRank}`);
  }
  if (to.ffn !== from.ffn) throw new Error(`defactorizeFfn: F must stay ${from.ffn} (widen afterwards), got ${to.ffn}`);
  return buildGrown(adam, 'defactorizeFfn', (emit) => {
    for (const [name, p] of params) {
      if (/^layers\.\d+\.ffn\.w[12]\.kernelB$/.test(name)) continue;
      const factor = /^(layers\.\d+\.ffn\.w[12])\.kernelA$/.exec(name);
      if (!factor) {
        const { m, v } = momentsOf(adam, name, 'defactorizeFfn');
        emit(name, p.trainable, kept(p, m, v));
        continue;
      }
      const base = factor[1];
      const b = params.get(`${base}.kernelB`);
      if (!b) throw new Error(`defactorizeFfn: "${name}" has no "${base}.kernelB"`);
      const dense = tf.matMul(p as tf.Tensor2D, b as tf.Tensor2D);
      emit(`${base}.kernel`, p.trainable, { value: dense, m: adam && tf.zerosLike(dense), v: adam && tf.zerosLike(dense) });
    }
  });
}

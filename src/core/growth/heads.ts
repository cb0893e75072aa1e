import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '../errors.ts';
import type { Rng } from '../data/rng.ts';
import type { ModelConfig } from '../model/config.ts';
import type { Params } from '../model/params.ts';
import type { AdamState } from '../train/optimizer.ts';
import { freshLayers } from './depth.ts';
import { checkDAxes, dRoles, repeatAxes, tileFactors, type DRole } from './d-axes.ts';
import { disposeMaps, growEach } from './transform.ts';

/**
 * heads.add: H → H' = m·H heads (m an integer) at a fixed head dimension d_h, so d → d' = m·d.
 *
 * New heads need room in the residual stream. Zero new stream units would not preserve the function:
 * LayerNorm's mean and variance over d' units differ from those over d (a vector x padded with zeros
 * has mean d/d'·μ and a smaller variance), so every pre- and post-LN output would change. Repeating
 * every stream unit m times (x' = x⊗1_m, as hidden.tile does) leaves both statistics unchanged, so:
 * - every stream axis ('in', 'out' in d-axes.ts) is repeated m times with hidden.tile's factors:
 *   embeddings, LayerNorms (mlm.ln ÷m, which fixes the tied output), FFN, mlm.dense, the rows of
 *   W_q, W_k, W_v (÷m) and the columns and bias of W_o;
 * - the head axes are not repeated but extended: heads 0 … H−1 are the old heads, with their old
 *   q/k/v columns and biases (head dim unchanged, so no score rescaling), heads H … H'−1 are new, with
 *   freshly initialised W_q, W_k, W_v columns (BERT init; biases zero) and zero W_o rows.
 * Old heads compute the old q, k, v and context from the repeated stream; new heads' context meets
 * zero W_o rows, so the attention output is the old one, repeated: exactly function-preserving,
 * pre-LN and post-LN alike. Dropout on the attention probabilities is per head, so it does not
 * change this at evaluation and only separates heads during training.
 *
 * Moments. Stream axes as in hidden.ts (gradient repeated, ÷m on 'out' axes; mlm.ln ×1). Old heads
 * compute what they did, and ∂L/∂context_old = (∂L/∂o⊗1_m / m)·(W_o⊗1_m)ᵀ = ∂L/∂o·W_oᵀ is unchanged,
 * so the old q/k/v columns keep their gradients with rows repeated unscaled ('in'), b_q, b_k, b_v
 * keep theirs, and W_o's old rows have their gradient repeated along columns and ÷m ('out'). New
 * heads have no history: W_q/W_k/W_v's new columns have exactly zero gradient at growth (their W_o
 * rows are zero) and W_o's new rows a gradient from heads that never ran; both start at zero
 * moments (MSG-style zero padding).
 *
 * Not done, heads.split (more heads at a fixed d, d_h shrinking): one head's scores
 * q·k/√d_h = (q₁·k₁ + q₂·k₂)/√d_h would become two heads with softmaxes over q₁·k₁ and q₂·k₂
 * separately. softmax(s₁ + s₂) is not a mix of softmax(s₁) and softmax(s₂) for all inputs, and a head
 * of d_h/2 dims can hold the full q·k only when that head's W_q·W_kᵀ has rank ≤ d_h/2, which trained
 * weights do not. No form preserves the function, so growModel refuses a shrinking head dimension.
 */

export interface HeadsOptions {
  /** Seeds the new heads' q/k/v weights. */
  rng: Rng;
  /**
   * MSG mode (growth/msg.ts): the new heads' W_o rows are fresh too, not zero; the forward pass masks
   * their context instead, so they get a gradient from the first step the mask is above 0.
   */
  msg?: boolean;
}

/** Validates heads.add; returns m = H'/H. */
export function checkHeadsGrowth(from: ModelConfig, to: ModelConfig): number {
  const dh = from.hidden / from.heads;
  if (to.heads <= from.heads) throw new ConfigError('heads', `heads.add needs more heads than ${from.heads}, got ${to.heads}`);
  const m = to.heads / from.heads;
  if (!Number.isInteger(m)) {
    throw new ConfigError('heads', `heads.add grows the heads by an integer factor (the stream is repeated that many times): ${to.heads} / ${from.heads} = ${m}; try ${2 * from.heads}`);
  }
  if (to.hidden !== to.heads * dh) {
    throw new ConfigError('hidden', `heads.add keeps the head dimension ${dh}: ${to.heads} heads need hidden ${to.heads * dh}, got ${to.hidden}`);
  }
  return m;
}

const axesWith = (roles: (DRole | null)[], want: readonly DRole[]) => roles.flatMap((r, i) => (r !== null && want.includes(r) ? [i] : []));

/**
 * Adds heads: from.heads → to.heads at from's head dimension. Returns new maps; the inputs are
 * neither changed nor disposed. With `adam` null no state is made.
 */
export function growHeads(
  params: Params,
  adam: AdamState | null,
  from: ModelConfig,
  to: ModelConfig,
  o: HeadsOptions,
): { params: Params; adam: AdamState | null } {
  const m = checkHeadsGrowth(from, to);
  const d = from.hidden;
  const fresh = freshLayers(to, o.rng.nextUint32());
  try {
    return growEach(params, adam, 'growHeads', (name, p, pm, pv) => {
      const roles = dRoles(name);
      checkDAxes('growHeads', name, p, roles, d);
      const stream = axesWith(roles, ['in', 'out']);
      const c = /^mlm\.ln\./.test(name) ? 1 / m : 1;
      const f = tileFactors(axesWith(roles, ['in']).length, axesWith(roles, ['out']).length, m, c);
      const headOut = axesWith(roles, ['headOut']);
      const headIn = axesWith(roles, ['headIn']);
      // New heads: fresh q/k/v columns (and zero biases, as initialised), zero W_o rows, zero moments.
      const extend = (t: tf.Tensor, newPart: 'fresh' | 'zeros') =>
        tf.tidy(() => {
          const axis = headOut[0] ?? headIn[0];
          if (axis === undefined) return t;
          const size = t.shape.map((n, i) => (i === axis ? to.hidden - d : n));
          if (newPart === 'zeros') return tf.concat([t, tf.zeros(size)], axis);
          const init = fresh.get(name);
          if (!init) throw new Error(`growHeads: no fresh initialisation for "${name}"`);
          return tf.concat([t, tf.slice(init, t.shape.map((_, i) => (i === axis ? d : 0)), size)], axis);
        });
      const grow = (t: tf.Tensor, s: number, newPart: 'fresh' | 'zeros') =>
        tf.tidy(() => extend(tf.mul(repeatAxes(t, stream, m), s), newPart));
      return {
        value: grow(p, f.weight, headOut.length || (o.msg && headIn.length) ? 'fresh' : 'zeros'),
        m: pm && grow(pm, f.grad, 'zeros'),
        v: pv && grow(pv, f.grad * f.grad, 'zeros'),
      };
    });
  } finally {
    disposeMaps(fresh);
  }
}

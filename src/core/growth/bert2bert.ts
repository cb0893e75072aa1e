import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../data/rng.ts';
import type { ModelConfig } from '../model/config.ts';
import type { Params } from '../model/params.ts';
import type { AdamState } from '../train/optimizer.ts';
import { checkDAxes, dRoles, type DRole } from './d-axes.ts';
import { growEach } from './transform.ts';

/**
 * bert2BERT's width operators (Chen et al. 2022) for d → d' at a fixed number of heads H,
 * so the head dimension grows d_h → d_h' = d'/H (hidden.ts validates; d-axes.ts names the axes).
 *
 * FPI (function-preserving initialisation). New stream unit j is a copy of old unit g(j): g(j) = j
 * for j < d, otherwise drawn uniformly from the d old units (seeded, with replacement, as the paper's
 * "uniform sampling"). c_i = |{j : g(j) = i}| ≥ 1 counts the copies of old unit i. A weight that
 * reads the grown stream has its row j taken from row g(j) and divided by c_{g(j)}, so the copies
 * add back up to the old input; one that writes it has its column j copied from column g(j).
 * - emb.tok, emb.pos, every LN γ and β except mlm.ln, b_o, b2, W2 (or its B factor) columns,
 *   mlm.dense columns and bias: copied. W1 (or its A factor) rows, mlm.dense rows, the q/k/v rows:
 *   copied ÷ c. b1, B1, A2, mlm.out.bias: no d axis, unchanged.
 * - Heads. The paper's growths (BERT-base → large: 12 → 16 heads of 64) add heads at a fixed d_h;
 *   here heads.add does that and hidden.* grows d_h, so the head axes get FPI of their own. Per
 *   layer and per head, head unit b copies old unit gh(b) of the same head (the old unit at b's
 *   offset when that offset is below d_h, else one drawn uniformly from the head); ch counts them.
 *   The score is a bilinear form q·k/√d_h: with k' copied and q' = r·q_{gh(b)}/ch_{gh(b)},
 *   r = √(d_h'/d_h), Σ_b q'_b·k'_b = r·q·k, and the scale 1/√d_h' = 1/(r·√d_h) gives the old
 *   score for ANY counts. So W_q columns and b_q take r/ch, W_k, W_v columns and b_k, b_v are
 *   copied, the context is then copied like v, and W_o's rows (which read it) are divided by ch.
 * - The tied output t·Eᵀ + b reads mlm.ln's output t through E = emb.tok, which is copied (it also
 *   writes the stream), so the divide goes on the writer: mlm.ln γ'_j, β'_j = γ_{g(j)}, β_{g(j)} ÷ c.
 *   Then Σ_j t'_j·E'[v, j] = Σ_i c_i·(t_i/c_i)·E[v, i] = t·E[v]ᵀ.
 * Every linear map is therefore exact. LayerNorm is not. For x' = x[g]:
 *   μ' = (1/d')·Σ_i c_i·x_i,   σ'² = (1/d')·Σ_i c_i·(x_i − μ')²,
 * and μ' = μ for every x (take x = e_i: c_i/d' = 1/d) only if every c_i = d'/d; the same holds
 * for σ'². Otherwise LN(x')_j = γ_{g(j)}·[(σ/σ')·x̂_{g(j)} + (μ − μ')/σ'] + β_{g(j)} with x̂ = LN's
 * old normalised value: a per-token rescale and shift of every normalised vector. Post-LN
 * normalises after every residual add, pre-LN before every sublayer and in final.ln, and both in
 * emb.ln and mlm.ln, so FPI with uneven counts changes the function under pre-LN and post-LN alike
 * (the paper itself says "almost the same behavior"); growth-check reports the jump (tiny, d 16 →
 * 32, 20 steps, seed 1, cpu: max |Δlogit| 0.197 pre-LN and 0.124 post-LN; hidden.tile 0). Uneven counts
 * are certain unless d'/d is an integer k and the draws happen to hit every unit k − 1 times. With
 * every count equal to k the map is a permutation of hidden.tile's interleaved one and the weights
 * are hidden.tile's, permuted (W_q's r/ch = √k/k = 1/√k, as there): the same model up to a
 * relabelling of units, exactly preserving. Offering that as fpi would be hidden.tile under another
 * name, so hidden.fpi keeps the paper's uniform draws; the tests inject a balanced map to check
 * every rule above exactly.
 *
 * AKI (advanced knowledge initialisation): layer l's weights are expanded as in FPI, except
 * that the entries of NEW output units (stream units j ≥ d on an 'out' axis, head units at offset
 * ≥ d_h on a 'headOut' axis) come from layer l + 1's weights put through the same expansion (layer
 * l's maps and counts); the top layer takes them from itself, so AKI there is FPI. Embeddings,
 * emb.ln, final.ln and the MLM head have no upper layer: FPI. A parameter with no output-side d axis
 * (W1 or its A factor, b1, B1, A2) is FPI's in every layer; in the paper F grows at the same time
 * and its new units come from the upper layer too, which here is width.*'s business. The new units
 * no longer hold copies of what their readers divide by, so AKI is not function-preserving.
 *
 * Moments (m a running mean of g, v of g²), as hidden.ts derives them for tile. Assume the copies
 * are copies: activations a' = a[g] whose readers divide each copy by c (linear readers) or treat
 * copies alike (LayerNorm, with copied γ, β). The copies of unit i then share its gradient evenly,
 * ∂L/∂a'_j = ∂L/∂a_{g(j)} / c_{g(j)}. For a parameter entry the gradient is input × output
 * gradient: an 'in' (or 'headIn') axis reads copied inputs, factor 1; an 'out' axis writes a copied
 * activation, factor 1/c; and a value used as s·(copy) has gradient (copy's gradient)/s. Per entry:
 *   parameter                                 weight          m         v
 *   emb.tok, emb.pos, LN γ, β (not mlm.ln)    copy            ÷c        ÷c²
 *   mlm.ln γ, β (s = 1/c; E reads t undivided) copy ÷c        ×1        ×1
 *   W_q [a, b]                                ÷c_a · r/ch_b   ÷r        ÷r²
 *   b_q [b]                                   · r/ch_b        ÷r        ÷r²
 *   W_k, W_v [a, b]                           ÷c_a            ÷ch_b     ÷ch_b²
 *   b_k, b_v [b]                              copy            ÷ch_b     ÷ch_b²
 *   W_o [a, b]                                ÷ch_a           ÷c_b      ÷c_b²
 *   mlm.dense [a, b]                          ÷c_a            ÷c_b      ÷c_b²
 *   b_o, b2, W2 / B2 columns, mlm.dense bias  copy            ÷c        ÷c²
 *   W1 / A1 [a, ·]                            ÷c_a            ×1        ×1
 * (W_q: ∂score/∂q'_b = k_i/√d_h' = (∂score/∂q_i)/r; W_k: ∂score/∂k'_b = q'_b/√d_h' =
 * (∂score/∂k_i)/ch_i.) With c = ch = k and r = √k this is hidden.tile's table. Adam's step m/√v is
 * then the old step on every copy. These are the grown model's own moments exactly when the counts
 * are equal (the balanced-map test checks them against autodiff); with uneven counts the LayerNorm
 * statistics above differ, so they are the moments of its linear parts only. AKI: entries taken
 * from layer l + 1 carry layer l + 1's moments under the same factors (a copy carries its source's
 * moments, as depth.stack does); neither they nor the function are the grown model's history.
 */

export type Bert2BertOp = 'fpi' | 'aki';

/** Where each unit of the grown model comes from: new unit j copies old unit map[j]. */
export interface WidthMaps {
  /** g over the residual stream, length d'. */
  stream: Int32Array;
  /** gh per layer over the concatenated heads (length d'); each unit stays in its head. */
  heads: Int32Array[];
}

/** FPI's maps: old units keep their place (in their head), new ones are drawn uniformly. */
export function drawWidthMaps(from: ModelConfig, to: ModelConfig, rng: Rng): WidthMaps {
  const d = from.hidden;
  const dh = d / from.heads;
  const dh2 = to.hidden / from.heads;
  const stream = Int32Array.from({ length: to.hidden }, (_, j) => (j < d ? j : rng.int(d)));
  const heads = Array.from({ length: from.layers }, () =>
    Int32Array.from({ length: to.hidden }, (_, j) => {
      const head = Math.floor(j / dh2);
      const at = j % dh2;
      return head * dh + (at < dh ? at : rng.int(dh));
    }),
  );
  return { stream, heads };
}

/** c_i: how many grown units copy old unit i. */
export function copyCounts(map: Int32Array, d: number): Int32Array {
  const c = new Int32Array(d);
  for (const i of map) c[i]++;
  return c;
}

/** Maps that FPI can use: every old unit keeps its place, so every count is at least 1. */
function checkMaps(maps: WidthMaps, from: ModelConfig, to: ModelConfig): void {
  const d = from.hidden;
  const dh = d / from.heads;
  const dh2 = to.hidden / from.heads;
  const bad = (what: string) => new Error(`growBert2Bert: ${what}`);
  if (maps.stream.length !== to.hidden) throw bad(`stream map has ${maps.stream.length} units, expected ${to.hidden}`);
  maps.stream.forEach((i, j) => {
    if (j < d ? i !== j : !(i >= 0 && i < d)) throw bad(`stream map sends ${j} to ${i}`);
  });
  if (maps.heads.length !== from.layers) throw bad(`${maps.heads.length} head maps for ${from.layers} layers`);
  for (const [l, m] of maps.heads.entries()) {
    if (m.length !== to.hidden) throw bad(`layer ${l}'s head map has ${m.length} units, expected ${to.hidden}`);
    m.forEach((i, j) => {
      const head = Math.floor(j / dh2);
      const at = j % dh2;
      if (at < dh ? i !== head * dh + at : !(i >= head * dh && i < (head + 1) * dh)) throw bad(`layer ${l}'s head map sends ${j} to ${i}`);
    });
  }
}

/** One grown axis: the source unit of each new unit and the weight and gradient factors there. */
interface AxisPlan {
  index: Int32Array;
  weight: Float32Array;
  grad: Float32Array;
  /** 1 where the unit is new (AKI takes it from the upper layer), 0 where it is old. */
  fresh: Float32Array;
}

/** The copy counts of each map, computed once per growth rather than once per parameter axis. */
interface WidthCounts {
  stream: Int32Array;
  heads: Int32Array[];
}

function axisPlans(
  name: string, roles: (DRole | null)[], maps: WidthMaps, counted: WidthCounts, from: ModelConfig, to: ModelConfig, msg: boolean,
): (AxisPlan | null)[] {
  const layer = /^layers\.(\d+)\./.exec(name);
  const isQ = /\.attn\.q\.(kernel|bias)$/.test(name);
  const isMlmLn = /^mlm\.ln\./.test(name);
  const dh = from.hidden / from.heads;
  const dh2 = to.hidden / from.heads;
  const r = Math.sqrt(dh2 / dh);
  return roles.map((role) => {
    if (role === null) return null;
    const head = role === 'headIn' || role === 'headOut';
    if (head && !layer) throw new Error(`growBert2Bert: "${name}" has a head axis outside a layer`);
    const index = head ? maps.heads[Number(layer![1])] : maps.stream;
    const counts = head ? counted.heads[Number(layer![1])] : counted.stream;
    // [weight factor, gradient factor] for a unit with n copies (the table above).
    const factors = (n: number): [number, number] => {
      // MSG: the mask, not a division, keeps the copies from adding to the old units (growth/msg.ts).
      if (msg) return [1, 1];
      if (role === 'in' || role === 'headIn') return [1 / n, 1];
      if (role === 'out') return isMlmLn ? [1 / n, 1] : [1, 1 / n];
      return isQ ? [r / n, 1 / r] : [1, 1 / n];
    };
    const plan: AxisPlan = { index, weight: new Float32Array(index.length), grad: new Float32Array(index.length), fresh: new Float32Array(index.length) };
    index.forEach((i, j) => {
      [plan.weight[j], plan.grad[j]] = factors(counts[i]);
      plan.fresh[j] = (head ? j % dh2 >= dh : j >= from.hidden) ? 1 : 0;
    });
    return plan;
  });
}

/** Gathers every planned axis and scales it (squared factors for v). Always a new tensor. */
function expand(t: tf.Tensor, plans: (AxisPlan | null)[], use: 'weight' | 'grad', squared = false): tf.Tensor {
  return tf.tidy(() =>
    plans.reduce((x, p, axis) => {
      if (!p) return x;
      const f = squared ? p[use].map((s) => s * s) : p[use];
      const shape = x.shape.map((_, i) => (i === axis ? f.length : 1));
      return tf.mul(tf.gather(x, tf.tensor1d(p.index, 'int32'), axis), tf.tensor(f, shape));
    }, tf.clone(t)),
  );
}

/** AKI's source of new output units: the same parameter one layer up (the top layer: itself). */
function upperName(name: string, layers: number): string | null {
  const m = /^layers\.(\d+)\.(.*)$/.exec(name);
  if (!m) return null;
  return `layers.${Math.min(Number(m[1]) + 1, layers - 1)}.${m[2]}`;
}

/**
 * FPI or AKI from `from` to `to` (same heads, larger d) with the given maps (drawWidthMaps for a
 * run; tests inject their own). Returns new maps; the inputs are neither changed nor disposed.
 * With `adam` null no state is made. hidden.ts's checkHiddenGrowth validates the configs.
 * `msg` (MSG, growth/msg.ts): every factor is 1, so copies are not divided by their counts (nor W_q
 * scaled by r, nor mlm.ln divided), because the forward pass masks the new units instead; old
 * entries keep their moments and new ones (new along any axis) start at zero.
 */
export function growBert2Bert(
  params: Params,
  adam: AdamState | null,
  from: ModelConfig,
  to: ModelConfig,
  op: Bert2BertOp,
  maps: WidthMaps,
  msg = false,
): { params: Params; adam: AdamState | null } {
  checkMaps(maps, from, to);
  const counted: WidthCounts = { stream: copyCounts(maps.stream, from.hidden), heads: maps.heads.map((m) => copyCounts(m, from.hidden)) };
  return growEach(params, adam, 'growBert2Bert', (name, p, pm, pv) => {
    const roles = dRoles(name);
    checkDAxes('growBert2Bert', name, p, roles, from.hidden);
    const plans = axisPlans(name, roles, maps, counted, from, to, msg);
    const outAxes = roles.flatMap((role, i) => (role === 'out' || role === 'headOut' ? [i] : []));
    if (outAxes.length > 1) throw new Error(`growBert2Bert: "${name}" has ${outAxes.length} output-side d axes`);
    const upper = op === 'aki' && outAxes.length === 1 ? upperName(name, from.layers) : null;
    const grow = (own: tf.Tensor | null, source: (n: string) => tf.Tensor | undefined, use: 'weight' | 'grad', squared = false) => {
      if (!own) return null;
      if (!upper) return expand(own, plans, use, squared);
      const up = source(upper);
      if (!up) throw new Error(`growBert2Bert: AKI has no "${upper}" for "${name}"`);
      const axis = outAxes[0];
      const fresh = plans[axis]!.fresh;
      const shape = own.shape.map((_, i) => (i === axis ? fresh.length : 1));
      return tf.tidy(() => {
        const mask = tf.tensor(fresh, shape);
        // own·(1 − mask) + upper·mask: each entry is exactly one of the two.
        return tf.add(tf.mul(expand(own, plans, use, squared), tf.sub(1, mask)), tf.mul(expand(up, plans, use, squared), mask));
      });
    };
    // MSG: new entries (new along any d axis) start at zero moments, as their gradient at m = 0 is zero.
    const oldOnly = (t: tf.Tensor | null) =>
      t && msg
        ? tf.tidy(() => plans.reduce((x, pl, axis) => (pl ? tf.mul(x, tf.tensor(pl.fresh.map((f) => 1 - f), x.shape.map((n, i) => (i === axis ? n : 1)))) : x), t))
        : t;
    const after = (t: tf.Tensor | null) => {
      const kept = oldOnly(t);
      if (kept !== t) t?.dispose();
      return kept;
    };
    return {
      value: grow(p, (n) => params.get(n), 'weight')!,
      m: after(grow(pm, (n) => adam?.m.get(n), 'grad')),
      v: after(grow(pv, (n) => adam?.v.get(n), 'grad', true)),
    };
  });
}

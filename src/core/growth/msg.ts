import { ConfigError } from '../errors.ts';
import type { GrowthMask, HiddenUnits } from '../model/growth-mask.ts';
import type { ModelConfig } from '../model/config.ts';
import { DEFAULT_HIDDEN_OP, type GrowthOps, type HiddenGrowthOp } from '../schedule/spec.ts';
import { depthSources } from './depth.ts';
import { hiddenNewUnits } from './hidden.ts';

/**
 * MSG mode (Yao et al. 2023, "Masked Structural Growth"): ops.msgRamp = r makes every growth event
 * mask what it adds. The operators build the grown weights as in their plain form, except where a
 * plain operator rescales old weights to make room for the new ones (width.share divides W2 by k,
 * heads.add zeroes the new heads' W_o rows): under MSG the mask does that job, so old weights stay
 * as they were and the new ones are copies (share) or fresh (random, heads.add). The forward pass
 * then multiplies (model/growth-mask.ts):
 * - a new layer's output: x + m·(block(x) − x), so at m = 0 the block, LayerNorms included, is
 *   bypassed and depth.stack, .interleave, .identity and .random all preserve the function, pre-LN
 *   and post-LN;
 * - new FFN units' activations by m before W2 (width.share, width.random);
 * - new heads' context vectors by m before W_o (heads.add; the stream is still repeated as in
 *   heads.add, which keeps LayerNorm's statistics, so d grows exactly);
 * - new head-dimension units (hidden.tile, .fpi, .aki, .random), below.
 * m = t / r at step t of the new stage (0-based), so m = 0 for the step right after growth; from step
 * r on the mask is gone and the model is the plain grown model with the weights training gave it.
 * The mask is a function of the schedule and the step in the stage, both in every checkpoint, so a
 * run resumed mid-ramp needs nothing more in its resume state.
 *
 * Head dimension (d_h → d_h' at H heads, d → d' = H·d_h'). New units sit in the residual stream,
 * which every layer reads and writes, so unlike the other structures they are masked in every layer,
 * new ones included, and in the embeddings and the MLM head. Which units are new depends on the
 * operator (hidden.ts, hiddenNewUnits): tile's interleaved copies other than the first; fpi's and
 * aki's units past the old d (stream) or past the old d_h (in each head); random's units past d_h in
 * each head's slice, on every axis. c is 1 on old units and m on new ones. The operators build the
 * grown weights with nothing rescaled (tile and fpi copy units without ÷k or ÷count, W_q without 1/√k
 * or r, mlm.ln without ÷; aki and random as plain), so every weight's old-by-old block is the old
 * weight and every old bias entry the old one. Then:
 * - every LayerNorm (emb.ln, attn.ln, ffn.ln, final.ln, mlm.ln) is mask-weighted (model/layers.ts):
 *   μ = Σ c_i x_i / Σc, σ² = Σ c_i (x_i − μ)² / Σc, y_i = c_i·(γ_i (x_i − μ)/√(σ² + ε) + β_i). At
 *   m = 0 the old units get the old model's statistics whatever the new units hold, and the new
 *   units output exactly 0.
 * - Every reader of the stream reads a LayerNorm's output (pre-LN: attn.ln, ffn.ln, final.ln; post-LN:
 *   the stream is one; the MLM head reads final.ln or the last ffn.ln; the tied output reads mlm.ln),
 *   so at m = 0 q, k, v, W1 and mlm.dense get the old inputs on old units and 0 on new ones, and their
 *   old outputs are the old values. The new units they write (new columns of W_o, W2, mlm.dense) feed
 *   only residual adds, which act unit by unit, and LayerNorms, which drop them. So the embedding
 *   sum needs no mask of its own: emb.ln is such a LayerNorm. Pooling acts unit by unit too.
 * - Attention: q's new head units ×c, so the score Σ_j c_j q_j k_j is the old one at m = 0 (masking
 *   k as well would weigh the new terms c²); the scale is 1/√Σ_j c_j = 1/√(d_h + m·(d_h' − d_h)):
 *   1/√d_h at m = 0, 1/√d_h' at m = 1. The context's new units ×c before W_o, so W_o's new rows add
 *   nothing at m = 0. With heads.add in the same growth, the stream's pattern is repeated as heads.add
 *   repeats the stream (weighted statistics do not change when every unit is repeated equally, and
 *   heads.add's readers divide by the repeat), and the new heads carry the same per-unit mask under
 *   their whole-head m.
 * At m = 1 every c is 1: plain LayerNorm, scale 1/√d_h', the plain grown model. The mask-weighted
 * LayerNorm runs on the unfused ops (the fused kernel takes no weights); attention keeps its fused
 * kernels, the masks being elementwise products on q and on the context. At m = 0 the new entries'
 * gradients are zero, so they start with zero moments and the old entries keep theirs unscaled.
 * MSG's tile is therefore not plain tile: its copies are unscaled, so over the ramp the function
 * moves from the old one to a grown model that reads k copies of each unit, as width.share under
 * MSG stops dividing W2 by k.
 */

/** What a growth event from `from` to `to` adds that MSG masks: GrowthMask without its value; null when nothing. */
export type MsgStructure = Omit<GrowthMask, 'value'>;

export function msgStructure(from: ModelConfig, to: ModelConfig, ops: Pick<GrowthOps, 'depth' | 'hidden'>): MsgStructure | null {
  const newLayers: number[] = [];
  if (to.layers > from.layers) {
    // The first appearance of each old layer is that layer; later copies and fresh layers are new.
    const seen = new Set<number>();
    depthSources(ops.depth, from.layers, to.layers).forEach((src, j) => {
      if (src === null || seen.has(src)) newLayers.push(j);
      else seen.add(src);
    });
  }
  const ffnFrom = to.ffn > from.ffn ? from.ffn : null;
  const headsFrom = to.heads > from.heads ? from.heads : null;
  const hidden = hiddenUnits(from, to, ops.hidden ?? DEFAULT_HIDDEN_OP);
  if (newLayers.length === 0 && ffnFrom === null && headsFrom === null && hidden === null) return null;
  return { newLayers, ffnFrom, headsFrom, hidden };
}

/**
 * New head-dimension units of a growth (growModel grows d_h at the old heads, then adds heads): the
 * operator's pattern at from.heads·d_h', each stream unit repeated as heads.add repeats it.
 */
function hiddenUnits(from: ModelConfig, to: ModelConfig, op: HiddenGrowthOp): HiddenUnits | null {
  const dh = from.hidden / from.heads;
  const dh2 = to.hidden / to.heads;
  if (!(dh2 > dh)) return null;
  const { stream, head } = hiddenNewUnits(op, from.heads, dh, dh2);
  const repeat = to.heads / from.heads;
  return { stream: stream.flatMap((n) => Array<number>(repeat).fill(n)), head };
}

/** m at 0-based step `stepInStage` of a ramp of `ramp` steps: t / ramp, or null once the ramp is over. */
export function msgRampValue(stepInStage: number, ramp: number): number | null {
  if (!Number.isInteger(ramp) || ramp < 1) throw new ConfigError('ops.msgRamp', `must be a whole number of steps, at least 1, got ${ramp}`);
  return stepInStage < ramp ? stepInStage / ramp : null;
}

/** The mask of step `stepInStage` of the stage a growth made, or null (no MSG, nothing new, or the ramp is over). */
export function msgMaskAt(structure: MsgStructure | null, ramp: number | undefined, stepInStage: number): GrowthMask | null {
  if (!structure || ramp === undefined) return null;
  const value = msgRampValue(stepInStage, ramp);
  return value === null ? null : { ...structure, value };
}

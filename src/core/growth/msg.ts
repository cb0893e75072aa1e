import { ConfigError } from '../errors.ts';
import type { GrowthMask } from '../model/growth-mask.ts';
import type { ModelConfig } from '../model/config.ts';
import type { GrowthOps } from '../schedule/spec.ts';
import { depthSources } from './depth.ts';

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
 *   heads.add, which keeps LayerNorm's statistics, so d grows exactly).
 * m = t / r at step t of the new stage (0-based), so m = 0 for the step right after growth; from step
 * r on the mask is gone and the model is the plain grown model with the weights training gave it.
 * The mask is a function of the schedule and the step in the stage, both in every checkpoint, so a
 * run resumed mid-ramp needs nothing more in its resume state.
 *
 * Not masked (left out, see MSG_LEFT_OUT in registry.ts): the head dimension (hidden.*). Its new units
 * sit in every LayerNorm's statistics and in the scores' 1/√d_h; an exact masked form needs a
 * mask-weighted LayerNorm at every norm and a ramped score scale, a second path through the fused
 * kernels. hidden.tile is preserving without a mask; hidden.fpi, .aki and .random stay unmasked
 * under MSG and the run record names them without "+msg".
 */

/** What a growth event from `from` to `to` adds that MSG masks: GrowthMask without its value; null when nothing. */
export type MsgStructure = Omit<GrowthMask, 'value'>;

export function msgStructure(from: ModelConfig, to: ModelConfig, ops: Pick<GrowthOps, 'depth'>): MsgStructure | null {
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
  if (newLayers.length === 0 && ffnFrom === null && headsFrom === null) return null;
  return { newLayers, ffnFrom, headsFrom };
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

import * as tf from '@tensorflow/tfjs-core';
import type { MlmBatch } from '../data/batch.ts';
import { ConfigError } from '../errors.ts';
import type { ModelConfig } from '../model/config.ts';
import { mlmForward } from '../model/forward.ts';
import type { Params } from '../model/params.ts';
import type { PoolPlan } from '../model/pool-plan.ts';
import type { GrowthMask } from '../model/growth-mask.ts';

export interface CheckedModel {
  params: Params;
  cfg: ModelConfig;
  /** The pooling this model trains with (made for the probe batch); null or absent for none. */
  pool?: PoolPlan | null;
  /** MSG's mask this model runs under (a grown model at the start of its ramp); null or absent for none. */
  mask?: GrowthMask | null;
}

export interface GrowthCheckResult {
  lossBefore: number;
  lossAfter: number;
  /** Largest |logit difference| over every prediction slot and vocabulary entry; NaN if any logit is. */
  maxAbsLogitDiff: number;
}

/**
 * Runs both models on the same probe batch with dropout off and compares their MLM logits
 * elementwise: ~1e-6 for a function-preserving growth, a visible jump otherwise. One awaited read.
 */
export async function growthCheck(before: CheckedModel, after: CheckedModel, probe: MlmBatch): Promise<GrowthCheckResult> {
  if (before.cfg.vocabSize !== after.cfg.vocabSize) {
    throw new ConfigError('vocabSize', `growth keeps the vocabulary; the models have ${before.cfg.vocabSize} and ${after.cfg.vocabSize}`);
  }
  const packed = tf.tidy(() => {
    const a = mlmForward(before.params, before.cfg, probe, { training: false, pool: before.pool ?? null, mask: before.mask ?? null });
    const b = mlmForward(after.params, after.cfg, probe, { training: false, pool: after.pool ?? null, mask: after.mask ?? null });
    const diff = tf.abs(tf.sub(a.logits, b.logits));
    // max skips NaN on some backends; the sum does not, so it tells a NaN apart.
    return tf.stack([a.loss, b.loss, tf.max(diff), tf.sum(diff)]);
  });
  const [lossBefore, lossAfter, maxDiff, sumDiff] = await packed.data();
  packed.dispose();
  return { lossBefore, lossAfter, maxAbsLogitDiff: Number.isNaN(sumDiff) ? NaN : maxDiff };
}

import * as tf from '@tensorflow/tfjs-core';
import type { MlmBatch } from '../data/batch.ts';
import { ConfigError } from '../errors.ts';
import type { ModelConfig, PoolSetting } from '../model/config.ts';
import { mlmForward } from '../model/forward.ts';
import type { Params } from '../model/params.ts';
import { makePoolPlan } from '../model/pooling.ts';

export interface MlmEval {
  /** Cross-entropy per real prediction, weighted by maskedWeights, over all batches. */
  loss: number;
  /** Weighted fraction of real predictions whose argmax is the label. */
  accuracy: number;
  /** Sum of maskedWeights (the number of real predictions). */
  predictions: number;
}

/**
 * Held-out MLM loss and accuracy with dropout off. Totals stay on the device across batches and
 * come back in one awaited read at the end.
 */
export async function evaluateMlm(
  params: Params,
  model: ModelConfig,
  batches: MlmBatch[],
  pool: PoolSetting | null = null,
): Promise<MlmEval> {
  if (batches.length === 0) throw new ConfigError('evalBatches', 'the held-out set is empty; it needs at least one batch');
  let predictions = 0;
  for (const b of batches) for (const w of b.maskedWeights) predictions += w;
  if (!(predictions > 0)) throw new ConfigError('evalBatches', 'the held-out batches contain no predicted tokens');

  let totals: tf.Tensor1D = tf.zeros([2]);
  for (const batch of batches) {
    const next = tf.tidy(() => {
      const plan = pool ? makePoolPlan(batch, pool.k, pool.reduce) : null;
      const { logits } = mlmForward(params, model, batch, { training: false, pool: plan });
      const rows = logits.shape[0];
      const labels = tf.tensor1d(batch.maskedLabels, 'int32');
      const weights = tf.tensor1d(batch.maskedWeights, 'float32');
      const index = tf.stack([tf.range(0, rows, 1, 'int32'), labels], 1);
      const labelLogProb = tf.gatherND(tf.logSoftmax(logits), index) as tf.Tensor1D;
      const hit = tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32');
      const sums = tf.stack([tf.neg(tf.sum(tf.mul(labelLogProb, weights))), tf.sum(tf.mul(hit, weights))]);
      return tf.add(totals, sums) as tf.Tensor1D;
    });
    totals.dispose();
    totals = next;
  }
  const [lossSum, correct] = await totals.data();
  totals.dispose();
  return { loss: lossSum / predictions, accuracy: correct / predictions, predictions };
}

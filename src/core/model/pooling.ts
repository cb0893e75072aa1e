import * as tf from '@tensorflow/tfjs-core';
import { MASK_BIAS, gatherRows } from './layers.ts';
import type { PoolPlan } from './pool-plan.ts';

/** [B·n, d] → [B·queryLen, d] by the plan; padding slots are zero rows. */
export function poolRows(x: tf.Tensor2D, plan: PoolPlan): tf.Tensor2D {
  const rows = plan.batchSize * plan.queryLen;
  const d = x.shape[1];
  const members = tf.reshape(gatherRows(x, tf.tensor1d(plan.sourceRows, 'int32')), [rows, plan.k, d]);
  const w = tf.tensor3d(plan.sourceWeights, [rows, plan.k, 1]);
  if (plan.reduce === 'mean') return tf.sum(tf.mul(members, w), 1);
  // Unused members get the mask bias so they never win the max; empty slots are then zeroed.
  const biased = tf.add(members, tf.mul(tf.sub(1, w), MASK_BIAS));
  return tf.mul(tf.max(biased, 1), tf.tensor2d(plan.queryMask, [rows, 1]));
}

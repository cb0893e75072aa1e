import * as tf from '@tensorflow/tfjs-core';
import { MASK_BIAS, gatherRows } from './layers.ts';
import type { PoolPlan } from './pool-plan.ts';

/** [B·n, d] → [B·queryLen, d] by the plan; padding slots are zero rows. */
export function poolRows(x: tf.Tensor2D, plan: PoolPlan): tf.Tensor2D {
  if (plan.reduce === 'mean') return meanPool(x, plan);
  const rows = plan.batchSize * plan.queryLen;
  const members = tf.reshape(gatherRows(x, tf.tensor1d(plan.sourceRows, 'int32')), [rows, plan.k, x.shape[1]]);
  const w = tf.tensor3d(plan.sourceWeights, [rows, plan.k, 1]);
  // Unused members get the mask bias so they never win the max; empty slots are then zeroed.
  const biased = tf.add(members, tf.mul(tf.sub(1, w), MASK_BIAS));
  return tf.mul(tf.max(biased, 1), tf.tensor2d(plan.queryMask, [rows, 1]));
}

/**
 * A weighted sum of each slot's members. Each stream row feeds one slot at most (pool-plan.ts), so
 * its gradient is that slot's gradient times its weight: a gather, where autodiff would scatter-add
 * (on WebGPU an atomic loop per element, contended on the [CLS] rows that unused members point at).
 */
function meanPool(x: tf.Tensor2D, plan: PoolPlan): tf.Tensor2D {
  const rows = plan.batchSize * plan.queryLen;
  const pool = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const stream = args[0] as tf.Tensor2D;
    const d = stream.shape[1];
    const members = tf.reshape(tf.gather(stream, tf.tensor1d(plan.sourceRows, 'int32')), [rows, plan.k, d]);
    return {
      value: tf.sum(tf.mul(members, tf.tensor3d(plan.sourceWeights, [rows, plan.k, 1])), 1),
      gradFunc: (dy: tf.Tensor) => tf.mul(tf.gather(dy, tf.tensor1d(plan.rowSlot, 'int32')), tf.tensor2d(plan.rowWeight, [plan.rowWeight.length, 1])),
    };
  });
  return pool(x) as tf.Tensor2D;
}

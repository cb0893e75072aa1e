import * as tf from '@tensorflow/tfjs-core';
import { fusedMlmLoss, fusedOn } from '../kernels/ops.ts';
import { K } from '../kernels/spec.ts';

/**
 * Σ_i w_i·(−log softmax(logits_i)[label_i]) / Σ_i w_i, or 0 when the weights sum to 0 (an
 * all-padding batch). The one cross-entropy of pre-training and fine-tuning: fused where the
 * backend has the kernel (no [rows, classes] one-hot), otherwise tfjs ops.
 */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, weights: tf.Tensor1D): tf.Scalar {
  if (fusedOn(K.mlmLoss)) return fusedMlmLoss(logits, labels, weights);
  return tf.tidy(() => {
    // The wasm OneHot kernel ignores a float32 dtype and writes int32 bits: one-hot as int32, then cast.
    const targets = tf.cast(tf.oneHot(labels, logits.shape[1]), 'float32');
    const nll = tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), targets), 1));
    const total = tf.sum(weights);
    return tf.div(tf.sum(tf.mul(nll, weights)), tf.where(tf.greater(total, 0), total, tf.onesLike(total)));
  });
}

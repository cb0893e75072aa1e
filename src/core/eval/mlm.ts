import * as tf from '@tensorflow/tfjs-core';
import type { MlmBatch } from '../data/batch.ts';
import { ConfigError } from '../errors.ts';
import type { ModelConfig, PoolSetting } from '../model/config.ts';
import { mlmForward } from '../model/forward.ts';
import type { Params } from '../model/params.ts';
import { makePoolPlan } from '../model/pool-plan.ts';
import type { GrowthMask } from '../model/growth-mask.ts';

export interface MlmEval {
  /** Cross-entropy per real prediction, weighted by maskedWeights, over all batches. */
  loss: number;
  /** Weighted fraction of real predictions whose argmax is the label. */
  accuracy: number;
  /** Sum of maskedWeights (the number of real predictions). */
  predictions: number;
  /**
   * Standard error of `loss` as an estimate of the expected loss per prediction: the std of the
   * per-prediction losses / sqrt(predictions). It treats predictions as independent; those of one
   * sequence share a context, so it is a lower bound on the sampling error of a set this size.
   */
  stderr: number;
}

/** Sums over real predictions: weighted loss, weighted squared loss, weighted hits. */
interface Sums {
  loss: number;
  square: number;
  hits: number;
}

/**
 * Where the per-prediction losses are summed. 'device': on the backend, one awaited read at the
 * end (no logits leave a GPU). 'host': each batch's logits are read back and reduced in JS, in
 * float64; on cpu that is about 10x faster than tfjs's logSoftmax over [rows, V] (a tiny validation
 * set of 50,000 predictions: 125 s -> about 60 s), and on wasm the read is a copy in host memory.
 */
export type ReduceOn = 'device' | 'host';
const HOST_BACKENDS = ['cpu', 'wasm'];

/**
 * Held-out MLM loss and accuracy with dropout off, and the loss's standard error. `reduceOn`
 * defaults to 'host' on cpu and wasm and 'device' elsewhere; both give the same numbers (up to
 * float32 round-off on the device).
 */
export async function evaluateMlm(
  params: Params,
  model: ModelConfig,
  batches: MlmBatch[],
  pool: PoolSetting | null = null,
  reduceOn: ReduceOn = HOST_BACKENDS.includes(tf.getBackend()) ? 'host' : 'device',
  /** MSG's mask when evaluating mid-ramp: the model as it trains at that step. */
  mask: GrowthMask | null = null,
): Promise<MlmEval> {
  if (batches.length === 0) throw new ConfigError('evalBatches', 'the held-out set is empty; it needs at least one batch');
  let predictions = 0;
  for (const b of batches) for (const w of b.maskedWeights) predictions += w;
  if (!(predictions > 0)) throw new ConfigError('evalBatches', 'the held-out batches contain no predicted tokens');
  const logitsOf = (batch: MlmBatch): tf.Tensor2D => {
    const plan = pool ? makePoolPlan(batch, pool.k, pool.reduce) : null;
    return mlmForward(params, model, batch, { training: false, pool: plan, mask }).logits;
  };
  const s = reduceOn === 'host' ? await sumOnHost(batches, logitsOf) : await sumOnDevice(batches, logitsOf);
  const loss = s.loss / predictions;
  // Sample variance from the two sums; round-off can push it a hair below zero.
  const variance = predictions > 1 ? Math.max(0, (s.square - predictions * loss * loss) / (predictions - 1)) : 0;
  return { loss, accuracy: s.hits / predictions, predictions, stderr: Math.sqrt(variance / predictions) };
}

async function sumOnDevice(batches: MlmBatch[], logitsOf: (b: MlmBatch) => tf.Tensor2D): Promise<Sums> {
  let totals: tf.Tensor1D = tf.zeros([3]);
  for (const batch of batches) {
    const next = tf.tidy(() => {
      const logits = logitsOf(batch);
      const rows = logits.shape[0];
      const labels = tf.tensor1d(batch.maskedLabels, 'int32');
      const weights = tf.tensor1d(batch.maskedWeights, 'float32');
      const index = tf.stack([tf.range(0, rows, 1, 'int32'), labels], 1);
      const labelLogProb = tf.gatherND(tf.logSoftmax(logits), index) as tf.Tensor1D;
      const hit = tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32');
      const weighted = tf.mul(labelLogProb, weights);
      const sums = tf.stack([tf.neg(tf.sum(weighted)), tf.sum(tf.mul(hit, weights)), tf.sum(tf.mul(weighted, labelLogProb))]);
      return tf.add(totals, sums) as tf.Tensor1D;
    });
    totals.dispose();
    totals = next;
  }
  const [loss, hits, square] = await totals.data();
  totals.dispose();
  return { loss, square, hits };
}

async function sumOnHost(batches: MlmBatch[], logitsOf: (b: MlmBatch) => tf.Tensor2D): Promise<Sums> {
  const sums: Sums = { loss: 0, square: 0, hits: 0 };
  for (const batch of batches) {
    const logits = tf.tidy(() => logitsOf(batch));
    const V = logits.shape[1];
    const data = (await logits.data()) as Float32Array;
    logits.dispose();
    batch.maskedWeights.forEach((w, row) => {
      if (w === 0) return;
      const base = row * V;
      // argMax keeps the first of equal maxima, as tf.argMax does.
      let best = 0;
      for (let j = 1; j < V; j++) if (data[base + j] > data[base + best]) best = j;
      const max = data[base + best];
      let z = 0;
      for (let j = 0; j < V; j++) z += Math.exp(data[base + j] - max);
      const label = batch.maskedLabels[row];
      const l = max + Math.log(z) - data[base + label];
      sums.loss += w * l;
      sums.square += w * l * l;
      if (best === label) sums.hits += w;
    });
  }
  return sums;
}

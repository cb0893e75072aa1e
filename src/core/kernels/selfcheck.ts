import * as tf from '@tensorflow/tfjs-core';
import type { MlmBatch } from '../data/batch.ts';
import { handBatch } from '../data/hand-batch.ts';
import type { ModelConfig } from '../model/config.ts';
import { mlmLoss } from '../model/forward.ts';
import { disposeParams, initParams } from '../model/params.ts';
import { fusedOn, setFused } from './ops.ts';
import { K } from './spec.ts';

const MODEL: ModelConfig = { vocabSize: 30, hidden: 16, layers: 1, heads: 2, ffn: 24, ffnRank: 0, maxLen: 8, norm: 'post', dropout: 0.1, lnEps: 1e-12 };

const BATCH: MlmBatch = handBatch();

/** Loss and every gradient of a one-layer model, flattened. */
async function lossAndGrads(): Promise<Float32Array> {
  const params = initParams(MODEL, 5);
  try {
    const flat = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => mlmLoss(params, MODEL, BATCH, { training: true, dropoutSeed: 9 }), [...params.values()]);
      return tf.concat([tf.reshape(value, [1]), ...[...params.values()].map((p) => tf.reshape(grads[p.name], [-1]))]);
    });
    const out = (await flat.data()) as Float32Array;
    flat.dispose();
    return out;
  } finally {
    disposeParams(params);
  }
}

/**
 * Before training on a backend: runs a one-layer model's loss and gradients on the fused kernels
 * and on the unfused ops and compares them. A kernel that fails to compile or disagrees turns the
 * fused path off (setFused(false)), so a run never trains on wrong numbers; the returned reason
 * says why, for the page or the log. Returns null when the fused path is on and checked, or when
 * this backend has no fused kernels (webgl) and trains on the unfused ops anyway.
 */
export async function checkFusedKernels(): Promise<string | null> {
  if (!fusedOn(K.adamw)) return null;
  try {
    const fused = await lossAndGrads();
    setFused(false, 'self-check');
    const ref = await lossAndGrads();
    setFused(true);
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(ref[i]));
    for (let i = 0; i < ref.length; i++) {
      const d = Math.abs(fused[i] - ref[i]) / Math.max(Math.abs(ref[i]), 1e-3 * scale);
      worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
    }
    if (worst > 1e-3) throw new Error(`fused and unfused gradients differ by ${worst.toExponential(2)} (relative)`);
    return null;
  } catch (e) {
    const reason = `the fused kernels failed their check on ${tf.getBackend()} (${(e as Error).message}); training uses the unfused tfjs ops, which are slower`;
    setFused(false, reason);
    return reason;
  }
}

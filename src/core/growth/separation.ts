import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '../errors.ts';
import type { Params } from '../model/params.ts';
import type { CopySeparation } from '../train/record.ts';

/**
 * How far the k copies that width "share" made of each FFN's input weights have moved apart.
 *
 * After share growth, W1 (or, factorized, its B factor) is k blocks of F/k columns, block c being
 * copy c of the old units. Identical blocks compute identical units, so until they separate the
 * FFN is effectively F/k wide. Per layer the number is the least separated pair of blocks,
 *   min over i < j of ‖C_i − C_j‖ / ((‖C_i‖ + ‖C_j‖)/2)   (Frobenius norms),
 * 0 for exact copies. Layers that depth growth initialised afresh in the same event have no
 * copies and show large values; min over layers is the number that says whether sharing separated.
 */

/** The input-side FFN kernel of a layer: dense W1 or, factorized, W1's B factor [h, F]. */
function inputKernel(params: Params, layer: number): tf.Variable | undefined {
  return params.get(`layers.${layer}.ffn.w1.kernel`) ?? params.get(`layers.${layer}.ffn.w1.kernelB`);
}

/** Measures the separation of k copies in every layer of `params` (one awaited read). */
export async function copySeparation(params: Params, layers: number, k: number, step: number): Promise<CopySeparation> {
  if (!Number.isInteger(k) || k < 2) throw new ConfigError('k', `copies are compared in twos, so k must be an integer of at least 2, got ${k}`);
  const kernels = Array.from({ length: layers }, (_, l) => {
    const w = inputKernel(params, l);
    if (!w) throw new Error(`copySeparation: layer ${l} has no FFN input kernel`);
    const f = w.shape[1] ?? 0;
    if (f % k !== 0) throw new Error(`copySeparation: layer ${l}'s FFN size ${f} is not ${k} copies`);
    return w;
  });
  const packed = tf.tidy(() =>
    tf.stack(
      kernels.map((w) => {
        const blocks = tf.split(w, k, 1);
        const norms = blocks.map((b) => tf.norm(b));
        const rel: tf.Scalar[] = [];
        for (let i = 0; i < k; i++) {
          for (let j = i + 1; j < k; j++) rel.push(tf.div(tf.norm(tf.sub(blocks[i], blocks[j])), tf.div(tf.add(norms[i], norms[j]), 2)));
        }
        return tf.min(tf.stack(rel));
      }),
    ),
  );
  const perLayer = Array.from(await packed.data());
  packed.dispose();
  return { step, perLayer, maxRelDiff: Math.max(...perLayer), minRelDiff: Math.min(...perLayer) };
}

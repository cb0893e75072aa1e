import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { fusedBiasGelu } from '../core/kernels/ops.ts';
import { useNodeBackend } from './backends.ts';

/*
 * core/saved-tensors.ts: a gradient's saved inputs are extra references to their buffers, not
 * Identity clones. They must outlive the scope that made them, and be freed with the tape.
 */
describe.each(['cpu', 'wasm'] as const)('saved tensors on %s', (backend) => {
  it('a gradient whose input was disposed by an inner tidy still reads it, and nothing leaks', async () => {
    await useNodeBackend(backend);
    const x = tf.tensor2d([[-1.5, -0.2, 0.3, 2]]);
    const bias = tf.zeros([4]);
    const before = tf.memory().numTensors;
    const profiled = await tf.profile(() => tf.grad((v: tf.Tensor) => tf.tidy(() => tf.sum(fusedBiasGelu(tf.mul(v, 2), bias))))(x));
    tf.dispose(profiled.result as tf.Tensor);
    // d/dx Σ gelu(2x) = 2·gelu'(2x); gelu'(z) = Φ(z) + z·φ(z).
    const dx = tf.grad((v: tf.Tensor) => tf.tidy(() => tf.sum(fusedBiasGelu(tf.mul(v, 2), bias))))(x);
    const phi = (z: number) => Math.exp(-z * z / 2) / Math.sqrt(2 * Math.PI);
    const cdf = (z: number) => 0.5 * (1 + erf(z / Math.SQRT2));
    const want = [-1.5, -0.2, 0.3, 2].map((v) => 2 * (cdf(2 * v) + 2 * v * phi(2 * v)));
    Array.from(await dx.data()).forEach((g, i) => expect(g).toBeCloseTo(want[i], 5));
    dx.dispose();
    expect(tf.memory().numTensors).toBe(before);
    // The engine's clones would show as Identity kernels.
    expect(profiled.kernels.filter((k) => k.name === 'Identity')).toHaveLength(0);
    tf.dispose([x, bias]);
  });
});

/** erf to 1e-12 (Taylor series; |u| ≤ 3 here). */
function erf(u: number): number {
  let term = u;
  let sum = u;
  for (let n = 1; n < 80; n++) {
    term *= (-u * u) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { resultOn as on } from './backend-result.test-helper.ts';
import { useNodeBackend } from './backends.ts';

/*
 * wasm-kernels.ts runs BatchMatMul and _FusedMatMul in the SIMD loops (kernels/simd/matmul.wat) for
 * batches and products up to 2^28 multiply-adds, and leaves the rest (broadcast batches, fused
 * activations, larger products) to tfjs-wasm. Whichever path a product takes, wasm must agree with
 * cpu.
 */

const valuesOf = (shape: number[], seed: number) =>
  Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(seed * 1000 + i * 0.37) * 2);

async function expectAgreement(make: () => tf.Tensor): Promise<void> {
  const [w, c] = [await on('wasm', make), await on('cpu', make)];
  expect(w.shape).toEqual(c.shape);
  const scale = Math.max(1, ...c.values.map(Math.abs));
  w.values.forEach((v, i) => expect(Math.abs(v - c.values[i])).toBeLessThanOrEqual(1e-5 * scale));
}

interface Product { batch: number[]; m: number; k: number; p: number; transposeA: boolean; transposeB: boolean; bias: boolean }

function product({ batch, m, k, p, transposeA, transposeB, bias }: Product): tf.Tensor {
  return tf.tidy(() => {
    const aShape = [...batch, ...(transposeA ? [k, m] : [m, k])];
    const bShape = [...batch, ...(transposeB ? [p, k] : [k, p])];
    const a = tf.tensor(valuesOf(aShape, 1), aShape);
    const b = tf.tensor(valuesOf(bShape, 2), bShape);
    if (!bias) return tf.matMul(a, b, transposeA, transposeB);
    return tf.fused.matMul({ a, b, transposeA, transposeB, bias: tf.tensor(valuesOf([p], 3), [p]) });
  });
}

describe('wasm matmuls', () => {
  afterAll(async () => {
    await useNodeBackend('cpu');
  });

  it('agree with cpu for any batch, shape, transposition and bias', async () => {
    const arb = fc.record({
      batch: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
      m: fc.integer({ min: 1, max: 13 }),
      k: fc.integer({ min: 1, max: 11 }),
      // Multiples of 4 take only vector tiles; the others end in single columns.
      p: fc.oneof(fc.integer({ min: 1, max: 6 }).map((x) => 4 * x), fc.integer({ min: 1, max: 23 })),
      transposeA: fc.boolean(),
      transposeB: fc.boolean(),
      bias: fc.boolean(),
    });
    await fc.assert(fc.asyncProperty(arb, (c) => expectAgreement(() => product(c))), { numRuns: 120 });
  });

  it.each<[string, Product]>([
    ['attention scores at tiny (q·kᵀ)', { batch: [8, 2], m: 32, k: 16, p: 32, transposeA: false, transposeB: true, bias: false }],
    ['their gradient for k (dSᵀ·q)', { batch: [8, 2], m: 32, k: 32, p: 16, transposeA: true, transposeB: false, bias: false }],
    ['a dense layer with bias', { batch: [], m: 40, k: 32, p: 200, transposeA: false, transposeB: false, bias: true }],
    ['a weight gradient (xᵀ·dy)', { batch: [], m: 32, k: 256, p: 128, transposeA: true, transposeB: false, bias: false }],
  ])('%s agrees with cpu', async (_, c) => {
    await expectAgreement(() => product(c));
  });

  it('a broadcast batch and a fused activation (left to tfjs-wasm) agree with cpu', async () => {
    await expectAgreement(() => tf.tidy(() => tf.matMul(tf.tensor(valuesOf([2, 3, 5, 4], 1), [2, 3, 5, 4]), tf.tensor(valuesOf([1, 4, 8], 2), [1, 4, 8]))));
    await expectAgreement(() =>
      tf.tidy(() => tf.fused.matMul({ a: tf.tensor(valuesOf([6, 5], 1), [6, 5]), b: tf.tensor(valuesOf([5, 8], 2), [5, 8]), bias: tf.tensor(valuesOf([8], 3), [8]), activation: 'relu' })),
    );
  });
});

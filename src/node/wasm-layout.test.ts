import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { resultOn as on } from './backend-result.test-helper.ts';
import { useNodeBackend } from './backends.ts';

/*
 * The wasm backend's Transpose and leading-axis Sum are loops of kernels/layout-js.ts (installed by
 * wasm-kernels.ts); permutations and axes those loops do not take fall through to tfjs-wasm's own.
 * Either way wasm must agree with cpu.
 */

const shapeAndPerm = fc
  .array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 5 })
  .chain((shape) => fc.tuple(fc.constant(shape), fc.shuffledSubarray([...shape.keys()], { minLength: shape.length, maxLength: shape.length })));

const valuesOf = (shape: number[]) => Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => ((i * 37) % 11) - 5 + i / 7);

describe('wasm layout kernels', () => {
  afterAll(async () => {
    await useNodeBackend('cpu');
  });

  it('Transpose agrees with cpu for every permutation, float32 and int32', async () => {
    await fc.assert(
      fc.asyncProperty(shapeAndPerm, fc.constantFrom('float32' as const, 'int32' as const), async ([shape, perm], dtype) => {
        const make = () => tf.tidy(() => tf.transpose(tf.tensor(valuesOf(shape), shape).cast(dtype), perm));
        expect(await on('wasm', make)).toEqual(await on('cpu', make));
      }),
      { numRuns: 150 },
    );
  });

  // Shapes whose swapped groups are multiples of 4 take the SIMD programs (kernels/simd/layout.wat).
  it.each([
    [[8, 12], [1, 0]],
    [[2, 8, 4], [0, 2, 1]],
    [[3, 4, 2, 8], [0, 2, 1, 3]],
    [[4, 4, 3], [1, 0, 2]],
  ])('Transpose of %j by %j agrees with cpu', async (shape, perm) => {
    const make = () => tf.tidy(() => tf.transpose(tf.tensor(valuesOf(shape), shape), perm));
    expect(await on('wasm', make)).toEqual(await on('cpu', make));
  });

  it('Sum over the rows of a [37, 12] tensor agrees with cpu (the SIMD column sums)', async () => {
    const make = () => tf.tidy(() => tf.sum(tf.tensor(valuesOf([37, 12]), [37, 12]), 0));
    const [w, c] = [await on('wasm', make), await on('cpu', make)];
    w.values.forEach((v, i) => expect(Math.abs(v - c.values[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(c.values[i]))));
  });

  it('Sum agrees with cpu over any axes, kept or not', async () => {
    const shapeAndAxes = fc
      .array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 })
      .chain((shape) => fc.tuple(fc.constant(shape), fc.subarray([...shape.keys()], { minLength: 1 }), fc.boolean()));
    await fc.assert(
      fc.asyncProperty(shapeAndAxes, async ([shape, axes, keepDims]) => {
        const make = () => tf.tidy(() => tf.sum(tf.tensor(valuesOf(shape), shape), axes, keepDims));
        const [w, c] = [await on('wasm', make), await on('cpu', make)];
        expect(w.shape).toEqual(c.shape);
        w.values.forEach((v, i) => expect(Math.abs(v - c.values[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(c.values[i]))));
      }),
      { numRuns: 150 },
    );
  });
});

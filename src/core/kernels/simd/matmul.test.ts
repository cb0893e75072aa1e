import { describe, expect, it } from 'vitest';
import { SimdHeap, draws, maxScaledDiff } from './simd-heap.test-helper.ts';

interface Case { n: number; m: number; k: number; p: number; transA?: boolean; bias?: boolean }

/** out[s] = op(a[s])·b[s] + bias in float64, the textbook triple loop. */
function matMulJs(a: Float32Array, b: Float32Array, bias: Float32Array | null, { n, m, k, p, transA }: Case): Float32Array {
  const out = new Float32Array(n * m * p);
  const aAt = (s: number, i: number, kk: number) => (transA ? a[(s * k + kk) * m + i] : a[(s * m + i) * k + kk]);
  for (let s = 0; s < n; s++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < p; j++) {
        let sum = bias ? bias[j] : 0;
        for (let kk = 0; kk < k; kk++) sum += aAt(s, i, kk) * b[(s * k + kk) * p + j];
        out[(s * m + i) * p + j] = sum;
      }
  return out;
}

describe('SIMD matmul', () => {
  // Attention's shapes at tiny and small, a dense layer's, and shapes that reach every tile: rows
  // not a multiple of 4 (the one-row tail), columns a multiple of 4 but not of 8 (the 4-column
  // tile), columns past a multiple of 4 (one sum at a time), k = 1; plain, with a transposed a,
  // and with a bias.
  it.each<Case>([
    { n: 16, m: 32, k: 16, p: 32 },
    { n: 64, m: 64, k: 64, p: 32, transA: true },
    { n: 1, m: 40, k: 32, p: 200, bias: true },
    { n: 3, m: 7, k: 5, p: 12 },
    { n: 3, m: 7, k: 5, p: 12, transA: true },
    { n: 2, m: 5, k: 1, p: 4, bias: true },
    { n: 2, m: 9, k: 6, p: 20, transA: true, bias: true },
    { n: 2, m: 6, k: 3, p: 15, bias: true },
    { n: 3, m: 5, k: 4, p: 3, transA: true, bias: true },
    { n: 1, m: 8, k: 7, p: 1, transA: true },
  ])('matches a float64 triple loop, slice by slice: %o', (c) => {
    const { n, m, k, p } = c;
    const h = new SimdHeap();
    const a = draws(n * m * k, 11);
    const b = draws(n * k * p, 12);
    const bias = c.bias ? draws(p, 13, -2, 2) : null;
    const out = h.alloc(n * m * p + 4);
    new Float32Array(h.memory.buffer, out, n * m * p + 4).fill(7);
    h.kernels.matMul(h.put(a), h.put(b), bias ? h.put(bias) : 0, out, n, m, k, p, c.transA ? 1 : 0);
    expect(maxScaledDiff(h.f32(out, n * m * p), matMulJs(a, b, bias, c))).toBeLessThan(1e-6);
    // Nothing written past the output.
    expect([...h.f32(out + 4 * n * m * p, 4)]).toEqual([7, 7, 7, 7]);
  });
});

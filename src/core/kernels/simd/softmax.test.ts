import { describe, expect, it } from 'vitest';
import { attnSoftmaxGradJs, attnSoftmaxJs, dropThreshold, keeps, mix32 } from '../spec.ts';
import { SimdHeap, draws, maxScaledDiff } from './simd-heap.test-helper.ts';

describe('SIMD attention softmax with dropout', () => {
  const [batch, heads, q] = [3, 2, 5];
  const scale = 0.35;
  // Above 2^31, so seedMix and the flat indices wrap as u32 on the way into the kernel.
  const seed = 0xdeadbeef;

  /** A bias per batch: batch 1 masks its last quarter of keys (the model's −1e4), batch 2 every other key with −1e9. */
  const biasFor = (k: number) => {
    const bias = draws(batch * k, 7 + k, -1, 1);
    for (let j = 0; j < k; j++) {
      if (j >= k - k / 4) bias[k + j] = -1e4;
      if (j % 2 === 1) bias[2 * k + j] = -1e9;
    }
    return bias;
  };

  for (const k of [4, 32, 64]) {
    const n = batch * heads * q * k;
    const dims = { batch, heads, q, k };
    // scale·scores in ±7: p spans e^−14 of the row's largest.
    const scores = draws(n, 1 + k, -20, 20);
    const bias = biasFor(k);
    const dy = draws(n, 2 + k);

    for (const rate of [0, 0.1]) {
      const attrs = { scale, rate, seed };
      const args = [scale, dropThreshold(rate), mix32(seed >>> 0), Math.fround(1 / (1 - rate))] as const;
      const kept = (i: number) => keeps(seed, dropThreshold(rate), i);

      it(`forward, k = ${k}, rate ${rate}: spec.ts's p, and zeros exactly where it drops or masks`, () => {
        const h = new SimdHeap();
        const out = h.alloc(n);
        h.kernels.attnSoftmax(h.put(scores), h.put(bias), out, batch, heads * q, k, ...args);
        const got = h.f32(out, n);
        const want = new Float32Array(n);
        attnSoftmaxJs(scores, bias, dims, attrs, want);
        expect(maxScaledDiff(got, want)).toBeLessThan(1e-6);
        // Element by element too, so small p count: z is rounded to float32 before exp (spec.ts adds
        // the bias in float64), up to ulp(7) ≈ 5e−7 in the exponent; exp, Σ and 1/Σ add a few ulps
        // (measured 1.2e−6).
        for (let i = 0; i < n; i++) if (want[i] !== 0) expect(Math.abs(got[i] / want[i] - 1)).toBeLessThan(3e-6);
        for (let i = 0; i < n; i++) expect(got[i] === 0).toBe(want[i] === 0);
        const dropped = Array.from({ length: n }, (_, i) => i).filter((i) => !kept(i));
        expect(dropped.length > 0).toBe(rate > 0);
        for (const i of dropped) expect(got[i]).toBe(0);
      });

      it(`gradient, k = ${k}, rate ${rate}: spec.ts's ds, masks and all`, () => {
        const h = new SimdHeap();
        const ds = h.alloc(n);
        h.kernels.attnSoftmaxGrad(h.put(dy), h.put(scores), h.put(bias), ds, batch, heads * q, k, ...args);
        const want = new Float32Array(n);
        attnSoftmaxGradJs(dy, scores, bias, dims, attrs, want);
        expect(maxScaledDiff(h.f32(ds, n), want)).toBeLessThan(1e-6);
      });
    }
  }
});

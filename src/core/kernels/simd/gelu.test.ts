import { describe, expect, it } from 'vitest';
import { biasGeluGradJs, biasGeluJs } from '../spec.ts';
import { SimdHeap, draws, maxScaledDiff } from './simd-heap.test-helper.ts';

describe('SIMD bias + GELU', () => {
  const rows = 37;
  const n = 24;
  // z from −9 to 9: both tails, where Φ is tiny or nearly 1, and around 0.
  const x = draws(rows * n, 1, -9, 9);
  const bias = draws(n, 2, -0.5, 0.5);
  const dy = draws(rows * n, 3);

  it('matches spec.ts biasGeluJs, including negative z where y is tiny', () => {
    const h = new SimdHeap();
    const y = h.alloc(rows * n);
    h.kernels.biasGelu(h.put(x), h.put(bias), y, rows, n);
    const want = new Float32Array(rows * n);
    biasGeluJs(x, bias, want);
    const got = h.f32(y, rows * n);
    expect(maxScaledDiff(got, want)).toBeLessThan(1e-6);
    // Relative, element by element, down to |y| = 1e-9: no cancellation in the tail. (Below that the
    // float64 JS loses more than this kernel does: it forms z + |z|·erf, which cancels.)
    for (let i = 0; i < want.length; i++) if (Math.abs(want[i]) > 1e-9) expect(Math.abs(got[i] / want[i] - 1)).toBeLessThan(5e-5);
  });

  it('matches spec.ts biasGeluGradJs: dx and the bias gradient', () => {
    const h = new SimdHeap();
    const [dx, db] = [h.alloc(rows * n), h.alloc(n)];
    h.kernels.biasGeluGrad(h.put(dy), h.put(x), h.put(bias), dx, db, rows, n);
    const [wantDx, wantDb] = [new Float32Array(rows * n), new Float32Array(n)];
    biasGeluGradJs(dy, x, bias, wantDx, wantDb);
    expect(maxScaledDiff(h.f32(dx, rows * n), wantDx)).toBeLessThan(1e-6);
    expect(maxScaledDiff(h.f32(db, n), wantDb)).toBeLessThan(1e-6);
  });
});

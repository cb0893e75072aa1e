import { describe, expect, it } from 'vitest';
import { adamwScalars, adamwTensorJs, sumSquaresJs } from '../spec.ts';
import { SimdHeap, draws, maxScaledDiff } from './simd-heap.test-helper.ts';

describe('SIMD optimizer loops', () => {
  it('sumSquares matches spec.ts sumSquaresJs (float64 sums)', () => {
    const h = new SimdHeap();
    const g = draws(4000, 7, -3, 3);
    expect(h.kernels.sumSquares(h.put(g), g.length) / sumSquaresJs([g]) - 1).toBeLessThan(1e-9);
    expect(h.kernels.sumSquares(h.put(g), 0)).toBe(0);
  });

  it('adamw matches spec.ts adamwTensorJs over 50 steps: parameters and both moments', () => {
    const n = 64;
    const a = { beta1: 0.9, beta2: 0.999, epsilon: 1e-6, clipNorm: 1, step: 0 };
    const lr = 1e-3;
    const decay = 0.1;
    let js = { p: draws(n, 1), m: new Float32Array(n), v: new Float32Array(n) };
    let simd = { p: js.p.slice(), m: js.m.slice(), v: js.v.slice() };
    for (let t = 1; t <= 50; t++) {
      const g = draws(n, 100 + t, -2, 2);
      const clipScale = t % 3 === 0 ? 0.25 : 1;
      const step = { ...a, step: t };
      const next = { p: new Float32Array(n), m: new Float32Array(n), v: new Float32Array(n) };
      adamwTensorJs(js.p, g, js.m, js.v, clipScale, lr, decay, step, next.p, next.m, next.v);
      js = next;

      const h = new SimdHeap();
      const [p, gg, m, v] = [simd.p, g, simd.m, simd.v].map((x) => h.put(x));
      const [pOut, mOut, vOut] = [h.alloc(n), h.alloc(n), h.alloc(n)];
      const c = adamwScalars(step, clipScale);
      h.kernels.adamw(p, gg, m, v, pOut, mOut, vOut, n, c.gs, lr, decay, a.beta1, c.ob1, a.beta2, c.ob2, c.c1, c.c2, a.epsilon);
      simd = { p: h.f32(pOut, n), m: h.f32(mOut, n), v: h.f32(vOut, n) };
    }
    // Float32 steps against float64 ones: each update differs by about an ulp of lr·delta.
    expect(maxScaledDiff(simd.p, js.p, 0)).toBeLessThan(1e-6);
    expect(maxScaledDiff(simd.m, js.m, 0)).toBeLessThan(1e-6);
    expect(maxScaledDiff(simd.v, js.v, 0)).toBeLessThan(1e-6);
    // The parameters moved (by about 50·lr), so agreeing to 1e-6 of their size says something.
    expect(maxScaledDiff(js.p, draws(n, 1), 0)).toBeGreaterThan(1e-2);
  });
});

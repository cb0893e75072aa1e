import { describe, expect, it } from 'vitest';
import { layerNormGradJs, layerNormJs } from '../spec.ts';
import { SimdHeap, draws, maxScaledDiff } from './simd-heap.test-helper.ts';

/*
 * Rows with a large common offset (100 ± 0.01: a float32 mean rounds away most of what x − mean
 * keeps, and a one-pass E[x²] − mean² is all rounding) and rows of variance far below eps = 1e-5
 * (3 ± 1e-4, and a constant row) next to plain ones, at the model's eps (1e-12) and a larger one.
 * Each row is compared on its own scale: the offset rows' dx is ~100× the others'.
 */

const TOL = 1e-5;
const shapes = [4, 32, 128, 260].flatMap((d) => [1, 7, 50].map((rows) => ({ rows, d })));
const kinds = {
  plain: (n: number, seed: number) => draws(n, seed, -2, 2),
  offset: (n: number, seed: number) => draws(n, seed, 99.99, 100.01),
  tiny: (n: number, seed: number) => draws(n, seed, 3 - 1e-4, 3 + 1e-4),
};

function inputs(kind: keyof typeof kinds, rows: number, d: number) {
  const x = kinds[kind](rows * d, rows * 1000 + d);
  if (kind === 'tiny') x.fill(3, 0, d); // variance exactly zero: x − mean must come out 0
  return { x, gamma: draws(d, 5, 0.5, 1.5), beta: draws(d, 6, -1, 1), dy: draws(rows * d, 7) };
}

/** The worst maxScaledDiff over rows of length d. */
function worstRow(got: Float32Array, want: Float32Array, d: number): number {
  let worst = 0;
  for (let o = 0; o < want.length; o += d) worst = Math.max(worst, maxScaledDiff(got.subarray(o, o + d), want.subarray(o, o + d)));
  return worst;
}

describe('SIMD LayerNorm', () => {
  for (const eps of [1e-12, 1e-5])
    for (const kind of Object.keys(kinds) as (keyof typeof kinds)[])
      it(`matches spec.ts layerNormJs and layerNormGradJs on ${kind} rows, eps ${eps}`, () => {
        for (const { rows, d } of shapes) {
          const { x, gamma, beta, dy } = inputs(kind, rows, d);
          const n = rows * d;
          const h = new SimdHeap();
          const [px, pg] = [h.put(x), h.put(gamma)];
          const y = h.alloc(n);
          h.kernels.layerNorm(px, pg, h.put(beta), y, rows, d, eps);
          const wantY = new Float32Array(n);
          layerNormJs(x, gamma, beta, eps, wantY);
          expect(worstRow(h.f32(y, n), wantY, d), `y, ${rows}×${d}`).toBeLessThan(TOL);

          const [dx, dg, db] = [h.alloc(n), h.alloc(d), h.alloc(d)];
          for (const at of [dg, db]) new Float32Array(h.memory.buffer, at, d).fill(7); // the kernel zeroes them
          h.kernels.layerNormGrad(h.put(dy), px, pg, dx, dg, db, rows, d, eps);
          const [wantDx, wantDg, wantDb] = [new Float32Array(n), new Float32Array(d), new Float32Array(d)];
          layerNormGradJs(dy, x, gamma, eps, wantDx, wantDg, wantDb);
          expect(worstRow(h.f32(dx, n), wantDx, d), `dx, ${rows}×${d}`).toBeLessThan(TOL);
          expect(maxScaledDiff(h.f32(dg, d), wantDg), `dgamma, ${rows}×${d}`).toBeLessThan(TOL);
          expect(maxScaledDiff(h.f32(db, d), wantDb), `dbeta, ${rows}×${d}`).toBeLessThan(TOL);
        }
      });

  it('zeroes dγ and dβ itself: a second call gives the same sums', () => {
    const { rows, d } = { rows: 7, d: 32 };
    const { x, gamma, dy } = inputs('plain', rows, d);
    const h = new SimdHeap();
    const [pdy, px, pg, dx, dg, db] = [h.put(dy), h.put(x), h.put(gamma), h.alloc(rows * d), h.alloc(d), h.alloc(d)];
    h.kernels.layerNormGrad(pdy, px, pg, dx, dg, db, rows, d, 1e-12);
    const first = [h.f32(dg, d), h.f32(db, d)];
    h.kernels.layerNormGrad(pdy, px, pg, dx, dg, db, rows, d, 1e-12);
    expect([h.f32(dg, d), h.f32(db, d)]).toEqual(first);
  });

  it('has inputs that tell wrong kernels apart', () => {
    const { rows, d } = { rows: 50, d: 128 };
    // dγ and dβ swapped would fail by far.
    const { x, gamma, dy } = inputs('plain', rows, d);
    const [dx, dg, db] = [new Float32Array(rows * d), new Float32Array(d), new Float32Array(d)];
    layerNormGradJs(dy, x, gamma, 1e-12, dx, dg, db);
    expect(maxScaledDiff(db, dg)).toBeGreaterThan(100 * TOL);
    expect(maxScaledDiff(dg, db)).toBeGreaterThan(100 * TOL);
    // On the offset rows, a float32 one-pass variance (E[x²] − mean²) is off by far more than TOL.
    const off = inputs('offset', 1, d).x;
    const f = Math.fround;
    let [s, s2, exact] = [0, 0, 0];
    for (const v of off) [s, s2] = [f(s + v), f(s2 + f(v * v))];
    const mean = off.reduce((a, v) => a + v, 0) / d;
    for (const v of off) exact += (v - mean) ** 2 / d;
    expect(Math.abs(f(f(s2 / d) - f(f(s / d) ** 2)) / exact - 1)).toBeGreaterThan(0.5);
  });
});

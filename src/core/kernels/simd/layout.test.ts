import { describe, expect, it } from 'vitest';
import { columnSumsJs, swapAxesJs, type AxisSwap } from '../layout-js.ts';
import { SimdHeap, draws } from './simd-heap.test-helper.ts';

describe('SIMD layout loops', () => {
  const size = (s: AxisSwap) => s.outer * s.a * s.b * s.inner;
  const expected = (x: Float32Array, s: AxisSwap) => {
    const out = new Float32Array(x.length);
    swapAxesJs(x, out, s);
    return out;
  };

  it.each([
    { outer: 1, a: 4, b: 4, inner: 1 },
    { outer: 1, a: 32, b: 128, inner: 1 },
    { outer: 3, a: 8, b: 12, inner: 1 },
  ])('transpose4 moves every element where swapAxesJs does: %o', (s) => {
    const h = new SimdHeap();
    const x = draws(size(s), 5);
    const out = h.alloc(x.length);
    h.kernels.transpose4(h.put(x), out, s.outer, s.a, s.b);
    expect(h.f32(out, x.length)).toEqual(expected(x, s));
  });

  it.each([
    { outer: 1, a: 3, b: 5, inner: 4 },
    { outer: 8, a: 32, b: 2, inner: 16 },
    { outer: 2, a: 1, b: 7, inner: 12 },
  ])('swapRuns moves every run where swapAxesJs does: %o', (s) => {
    const h = new SimdHeap();
    const x = draws(size(s), 6);
    const out = h.alloc(x.length);
    h.kernels.swapRuns(h.put(x), out, s.outer, s.a, s.b, s.inner);
    expect(h.f32(out, x.length)).toEqual(expected(x, s));
  });

  it('columnSums sums in float64 as columnSumsJs does (rows of 1e4 and 1, where float32 sums drift)', () => {
    const rows = 3001;
    const cols = 12;
    const x = draws(rows * cols, 7, -1, 1).map((v, i) => (i % 3 === 0 ? 1e4 + v : v));
    const h = new SimdHeap();
    const out = h.alloc(cols);
    h.kernels.columnSums(h.put(x), rows, cols, out);
    const want = new Float32Array(cols);
    columnSumsJs(x, rows, want);
    expect(h.f32(out, cols)).toEqual(want);
  });
});

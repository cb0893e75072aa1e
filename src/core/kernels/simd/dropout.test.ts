import { describe, expect, it } from 'vitest';
import { dropThreshold, dropoutJs, keeps, mix32 } from '../spec.ts';
import { SimdHeap, draws } from './simd-heap.test-helper.ts';

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);
const constants = (rate: number, seed: number) => [dropThreshold(rate), mix32(seed >>> 0), Math.fround(1 / (1 - rate))] as const;

describe('SIMD dropout', () => {
  const n = 4000;
  // Nonzero inputs, so a zero output means dropped; adds with −0 in them, which a dropped element keeps.
  const x = draws(n, 11, 0.5, 3);
  const add = draws(n, 12).map((v, i) => (i % 7 === 0 ? -0 : v));

  const CASES = [0, 0.1].flatMap((rate) => [3, 0xfedcba98, -5].map((seed) => ({ rate, seed })));

  it.each(CASES)('dropout is spec.ts dropoutJs bit for bit: rate $rate, seed $seed', ({ rate, seed }) => {
    const h = new SimdHeap();
    const out = h.alloc(n);
    h.kernels.dropout(h.put(x), out, n, ...constants(rate, seed));
    const want = new Float32Array(n);
    dropoutJs(x, rate, seed, want);
    const got = h.f32(out, n);
    expect(bits(got)).toEqual(bits(want));
    // The same elements dropped as keeps() chooses, and about `rate` of them.
    const t = dropThreshold(rate);
    const dropped = got.reduce((k, v, i) => (expect(v !== 0).toBe(keeps(seed, t, i)), k + (v === 0 ? 1 : 0)), 0);
    expect(Math.abs(dropped / n - rate)).toBeLessThan(0.02);
  });

  it.each(CASES)('dropoutAdd is spec.ts dropoutJs with add, bit for bit: rate $rate, seed $seed', ({ rate, seed }) => {
    const h = new SimdHeap();
    const out = h.alloc(n);
    h.kernels.dropoutAdd(h.put(x), h.put(add), out, n, ...constants(rate, seed));
    const want = new Float32Array(n);
    dropoutJs(x, rate, seed, want, add);
    const got = h.f32(out, n);
    expect(bits(got)).toEqual(bits(want));
    const t = dropThreshold(rate);
    for (let i = 0; i < n; i++) expect(Object.is(got[i], add[i])).toBe(!keeps(seed, t, i));
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { axisSwapOf, columnSumsJs, swapAxesJs } from './layout-js.ts';

/** out[i_perm[0], …] = x[i_0, …]: the definition of a transpose, one element at a time. */
function transposeByIndex(x: Float32Array, shape: number[], perm: number[]): Float32Array {
  const outShape = perm.map((p) => shape[p]);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(x.length);
  for (let o = 0; o < out.length; o++) {
    let rest = o;
    let src = 0;
    for (let d = outShape.length - 1; d >= 0; d--) {
      const idx = rest % outShape[d];
      rest = Math.floor(rest / outShape[d]);
      src += idx * strides[perm[d]];
    }
    out[o] = x[src];
  }
  return out;
}

const shapeAndPerm = fc
  .array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 5 })
  .chain((shape) => fc.tuple(fc.constant(shape), fc.shuffledSubarray([...shape.keys()], { minLength: shape.length, maxLength: shape.length })));

describe('layout loops', () => {
  it('swapAxesJs transposes as the index definition does, for every permutation that is a swap of two axis groups', () => {
    let swaps = 0;
    fc.assert(
      fc.property(shapeAndPerm, ([shape, perm]) => {
        const swap = axisSwapOf(shape, perm);
        if (!swap) return;
        swaps++;
        const x = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i + 0.5);
        const out = new Float32Array(x.length);
        swapAxesJs(x, out, swap);
        expect(out).toEqual(transposeByIndex(x, shape, perm));
      }),
      { numRuns: 400 },
    );
    expect(swaps).toBeGreaterThan(100);
  });

  it('axisSwapOf recognises the step\'s transposes and refuses permutations that move three groups', () => {
    expect(axisSwapOf([1024, 512], [1, 0])).toEqual({ outer: 1, a: 1024, b: 512, inner: 1 });
    expect(axisSwapOf([16, 64, 4, 32], [0, 2, 1, 3])).toEqual({ outer: 16, a: 64, b: 4, inner: 32 });
    expect(axisSwapOf([2, 3, 4], [1, 2, 0])).toEqual({ outer: 1, a: 2, b: 12, inner: 1 });
    expect(axisSwapOf([2, 3, 4], [2, 1, 0])).toBeNull();
    expect(axisSwapOf([2, 3, 4, 5], [0, 3, 2, 1])).toBeNull();
  });

  it('columnSumsJs sums the rows (tiles wider than a tile and narrower than one)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 40 }), (rows, cols) => {
        const x = Float32Array.from({ length: rows * cols }, (_, i) => ((i * 7919) % 13) - 6);
        const out = new Float32Array(cols);
        columnSumsJs(x, rows, out);
        for (let j = 0; j < cols; j++) {
          let s = 0;
          for (let r = 0; r < rows; r++) s += x[r * cols + j];
          expect(out[j]).toBe(s);
        }
      }),
    );
  });
});

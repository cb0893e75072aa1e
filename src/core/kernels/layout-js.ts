/*
 * Transposes and leading-axis sums as plain loops over typed arrays. tfjs-backend-wasm 4.22 runs
 * both through generic index arithmetic (a [1024,512] transpose 4.7 ms, its column sums 6.3 ms, as a
 * transpose then a row sum), and a training step asks for dozens of each: every matmul gradient's
 * transposed operand, every bias gradient, every move into and out of the attention heads. These
 * loops take 0.8 and 0.7 ms for the same (docs/performance.md).
 */

/** A transpose as a swap of two adjacent axis groups: [outer, A, B, inner] → [outer, B, A, inner]. */
export interface AxisSwap {
  outer: number;
  a: number;
  b: number;
  inner: number;
}

const prod = (xs: readonly number[]) => xs.reduce((p, x) => p * x, 1);

/**
 * The swap a permutation makes, or null when it is not one (three or more groups move). Axes that
 * stay in place at either end become `outer` and `inner`; the rest must be two runs of consecutive
 * axes that trade places.
 */
export function axisSwapOf(shape: readonly number[], perm: readonly number[]): AxisSwap | null {
  const n = perm.length;
  let lo = 0;
  while (lo < n && perm[lo] === lo) lo++;
  let hi = n;
  while (hi > lo && perm[hi - 1] === hi - 1) hi--;
  if (lo === hi) return { outer: prod(shape), a: 1, b: 1, inner: 1 };
  // The middle of perm reads q, q+1, …, hi−1, lo, lo+1, …, q−1 for a split q.
  const q = perm[lo];
  const bLen = hi - q;
  for (let i = 0; i < hi - lo; i++) {
    const want = i < bLen ? q + i : lo + (i - bLen);
    if (perm[lo + i] !== want) return null;
  }
  return { outer: prod(shape.slice(0, lo)), a: prod(shape.slice(lo, q)), b: prod(shape.slice(q, hi)), inner: prod(shape.slice(hi)) };
}

const TILE = 32;

/** out ← x with its axis groups swapped as `s` says. */
export function swapAxesJs(x: ArrayLike<number>, out: { [i: number]: number }, s: AxisSwap): void {
  const { outer, a: A, b: B, inner } = s;
  const block = A * B * inner;
  for (let o = 0; o < outer; o++) {
    const base = o * block;
    if (inner === 1) {
      // Tiles keep both the rows read and the rows written in cache.
      for (let a0 = 0; a0 < A; a0 += TILE) {
        const a1 = Math.min(a0 + TILE, A);
        for (let b0 = 0; b0 < B; b0 += TILE) {
          const b1 = Math.min(b0 + TILE, B);
          for (let b = b0; b < b1; b++) {
            const row = base + b * A;
            for (let a = a0; a < a1; a++) out[row + a] = x[base + a * B + b];
          }
        }
      }
      continue;
    }
    for (let a = 0; a < A; a++) {
      for (let b = 0; b < B; b++) {
        const src = base + (a * B + b) * inner;
        const dst = base + (b * A + a) * inner;
        for (let i = 0; i < inner; i++) out[dst + i] = x[src + i];
      }
    }
  }
}

/** out[j] ← Σ_r x[r·cols + j], accumulated in float64. */
export function columnSumsJs(x: ArrayLike<number>, rows: number, out: Float32Array): void {
  const cols = out.length;
  const acc = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let j = 0; j < cols; j++) acc[j] += x[o + j];
  }
  out.set(acc);
}

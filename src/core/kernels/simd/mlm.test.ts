import { describe, expect, it } from 'vitest';
import { mlmLossGradJs, mlmLossJs } from '../spec.ts';
import { SimdHeap, draws, maxScaledDiff } from './simd-heap.test-helper.ts';

/**
 * rows × V logits in [−spread, spread); labels on the first and the last column among them; every
 * third weight 0, and those rows NaN: a kernel that reads them (even to multiply by 0) returns NaN.
 */
function batch(rows: number, V: number, spread: number, allZero = false) {
  const logits = draws(rows * V, V + rows, -spread, spread);
  const labels = Int32Array.from(draws(rows, 7, 0, V), (v, r) => (r === 0 ? 0 : r === 1 ? V - 1 : Math.floor(v)));
  const weights = Float32Array.from(draws(rows, 8, 0.25, 2), (w, r) => (allZero || r % 3 === 2 ? 0 : w));
  for (let r = 0; r < rows; r++) if (weights[r] === 0) logits.fill(NaN, r * V, (r + 1) * V);
  return { logits, labels, weights };
}

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

const CASES = [4, 64, 2000].flatMap((V) => [
  { V, spread: 30, name: `V ${V}, logits ±30 (a peaked softmax)` },
  { V, spread: 1, name: `V ${V}, logits ±1 (a flat softmax: Σexp ≈ V)` },
]);

describe('SIMD MLM cross-entropy', () => {
  const rows = 23;

  it.each(CASES)('loss matches spec.ts mlmLossJs: $name', ({ V, spread }) => {
    const { logits, labels, weights } = batch(rows, V, spread);
    const h = new SimdHeap();
    const got = h.kernels.mlmLoss(h.put(logits), h.put(labels), h.put(weights), rows, V);
    const want = mlmLossJs(logits, labels, weights);
    expect(Number.isFinite(want)).toBe(true);
    // Tighter than the arrays: sums and log are float64, only exp is float32 (measured ≤ 1e−9).
    expect(Math.abs(got / want - 1)).toBeLessThan(1e-7);
  });

  it.each(CASES)('gradient matches spec.ts mlmLossGradJs: $name', ({ V, spread }) => {
    const { logits, labels, weights } = batch(rows, V, spread);
    const h = new SimdHeap();
    // Filled with NaN first: the kernel must write every element, the rows of weight 0 included.
    const dl = h.put(new Float32Array(rows * V).fill(NaN));
    h.kernels.mlmLossGrad(-0.7, h.put(logits), h.put(labels), h.put(weights), dl, rows, V);
    const want = new Float32Array(rows * V);
    mlmLossGradJs(-0.7, logits, labels, weights, want);
    const got = h.f32(dl, rows * V);
    expect(maxScaledDiff(got, want)).toBeLessThan(1e-6);
    // Row by row too, relative to the row's c = dy·w/Σw (rows differ by their weights): where the label's
    // p is nearly 1, c·p − c cancels, on both sides, to within float32 rounding of c, not of the result.
    const wsum = weights.reduce((s, v) => s + v, 0);
    for (let r = 0; r < rows; r++) {
      const [g, w] = [got.subarray(r * V, (r + 1) * V), want.subarray(r * V, (r + 1) * V)];
      if (weights[r] === 0) expect(g.every((v) => v === 0)).toBe(true);
      else expect(maxDiff(g, w) / ((0.7 * weights[r]) / wsum)).toBeLessThan(1e-6);
    }
  });

  it('all weights 0: loss 0 over a denominator of 1, and a zero gradient', () => {
    const V = 64;
    const { logits, labels, weights } = batch(rows, V, 30, true);
    const h = new SimdHeap();
    const [l, lab, w] = [h.put(logits), h.put(labels), h.put(weights)];
    expect(h.kernels.mlmLoss(l, lab, w, rows, V)).toBe(mlmLossJs(logits, labels, weights));
    const dl = h.put(new Float32Array(rows * V).fill(NaN));
    h.kernels.mlmLossGrad(1, l, lab, w, dl, rows, V);
    expect(h.f32(dl, rows * V).every((v) => v === 0)).toBe(true);
  });

  it('weights summing to 0 or less are divided by 1, as spec.ts divides them', () => {
    const V = 64;
    const { logits, labels } = batch(rows, V, 30);
    const weights = Float32Array.from({ length: rows }, (_, r) => (r === 0 ? 1 : r === 1 ? -1 : r === 3 ? -0.5 : 0));
    const h = new SimdHeap();
    const [l, lab, w] = [h.put(logits), h.put(labels), h.put(weights)];
    expect(Math.abs(h.kernels.mlmLoss(l, lab, w, rows, V) / mlmLossJs(logits, labels, weights) - 1)).toBeLessThan(1e-7);
    const dl = h.alloc(rows * V);
    h.kernels.mlmLossGrad(1, l, lab, w, dl, rows, V);
    const want = new Float32Array(rows * V);
    mlmLossGradJs(1, logits, labels, weights, want);
    expect(maxScaledDiff(h.f32(dl, rows * V), want)).toBeLessThan(1e-6);
  });
});

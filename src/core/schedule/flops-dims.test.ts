import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../model/config.ts';
import { layerFlops, scheduleFlops, stageFlops } from './flops.ts';
import type { ScheduleSpec, StageShape } from './spec.ts';

/** Σ 2·m·k·n over hand-listed [m,k]·[k,n] products, each with a repeat count. */
const count = (products: [m: number, k: number, n: number, times?: number][]) =>
  products.reduce((s, [m, k, n, times = 1]) => s + 2 * m * k * n * times, 0);

const base: ModelConfig = {
  vocabSize: 50, hidden: 8, layers: 2, heads: 2, ffn: 16, ffnRank: 0, maxLen: 10, norm: 'pre', dropout: 0, lnEps: 1e-12,
};
// Batch 3 of n = 10, 2 predicted positions per sequence.
const batch = { batchSize: 3, seqLen: 10, predsPerSeq: 2, pool: null };

/** One dense layer on 3 sequences of 10, listed per sequence and per head as the model runs it. */
function handLayer(d: number, heads: number, f: number): number {
  const dh = d / heads;
  return count([
    [30, d, d], [30, d, d], [30, d, d], [30, d, d], // Q, K, V, O on all 30 rows
    [10, dh, 10, 3 * heads], // QKᵀ per (sequence, head)
    [10, 10, dh, 3 * heads], // A·V per (sequence, head)
    [30, d, f], [30, f, d],
  ]);
}

describe('FLOPs when d and the heads grow', () => {
  // hidden.tile (heads fixed, head dim ×2), heads.add (head dim fixed, heads ×2), and both.
  const grown: [string, Partial<ModelConfig>][] = [
    ['d 8, 2 heads of 4', {}],
    ['hidden.tile: d 16, 2 heads of 8', { hidden: 16 }],
    ['heads.add: d 16, 4 heads of 4', { hidden: 16, heads: 4 }],
    ['both: d 32, 4 heads of 8', { hidden: 32, heads: 4 }],
    ['heads.add ×3: d 24, 6 heads of 4', { hidden: 24, heads: 6 }],
  ];
  it.each(grown)('%s: per layer and head match an independent count', (_, change) => {
    const cfg = { ...base, ...change };
    const layer = handLayer(cfg.hidden, cfg.heads, cfg.ffn);
    expect(layerFlops(cfg, { batchSize: 3, queryLen: 10, keyLen: 10 }).total).toBe(layer);
    const f = stageFlops(cfg, batch);
    expect(f.perLayer.map((l) => l.total)).toEqual([layer, layer]);
    expect(f.head).toBe(count([[6, cfg.hidden, cfg.hidden], [6, cfg.hidden, 50]]));
    expect(f.forward).toBe(2 * layer + f.head);
  });

  it('the attention count depends on d, not on how d is split into heads', () => {
    const rows = { batchSize: 3, queryLen: 10, keyLen: 10 };
    const a = layerFlops({ ...base, hidden: 16 }, rows);
    const split: ModelConfig = { ...base, hidden: 16, heads: 4 };
    const b = layerFlops(split, rows);
    expect(b).toEqual(a);
    // Doubling d doubles QKᵀ and A·V and quadruples the projections.
    const c = layerFlops({ ...base, hidden: 32 }, rows);
    expect(c.scores).toBe(2 * a.scores);
    expect(c.q).toBe(4 * a.q);
  });
});

describe('scheduleFlops when a schedule grows d and the heads', () => {
  const target: ModelConfig = { ...base, hidden: 32, heads: 4 }; // head dim 8
  const full: StageShape = { layers: 2, ffnDiv: 1, ffnRank: 0, length: 'full', lengthFactor: 1, poolReduce: 'mean' };
  const spec: ScheduleSpec = {
    preset: 'custom',
    stages: [
      { shape: { ...full, layers: 1, hiddenDiv: 4, headsDiv: 2 }, steps: 5, lrPolicy: 'paper', optPolicy: 'fresh' }, // d8, 2 heads of 4
      { shape: { ...full, hiddenDiv: 2, headsDiv: 2 }, steps: 3, lrPolicy: 'paper', optPolicy: 'carry' }, // d16, 2 heads of 8
      { shape: full, steps: 2, lrPolicy: 'paper', optPolicy: 'carry' }, // d32, 4 heads of 8
    ],
    ops: { depth: 'stack', width: 'share', widthNoise: 0, hidden: 'tile' },
  };

  it('costs each stage at its own d, heads and depth, against a hand count', () => {
    const plan = scheduleFlops(spec, target, { batchSize: 3, seqLen: 10, predsPerSeq: 2 });
    const head = (d: number) => count([[6, d, d], [6, d, 50]]);
    const perStep = [1 * handLayer(8, 2, 16) + head(8), 2 * handLayer(16, 2, 16) + head(16), 2 * handLayer(32, 4, 16) + head(32)];
    expect(plan.stages.map((s) => s.forwardFlopsPerStep)).toEqual(perStep);
    expect(plan.stages.map((s) => s.forwardFlops)).toEqual([5 * perStep[0], 3 * perStep[1], 2 * perStep[2]]);
    expect(plan.stages.map((s) => s.label)).toEqual(['L1 · d8 · H2', 'L2 · d16 · H2', 'L2']);
    expect(plan.baselineForwardFlops).toBe(10 * perStep[2]);
    expect(plan.flopsSpeedup).toBeCloseTo((10 * perStep[2]) / (5 * perStep[0] + 3 * perStep[1] + 2 * perStep[2]), 12);
  });
});


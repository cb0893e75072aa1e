import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../model/config.ts';
import { poolQueryLen } from '../model/pool-plan.ts';
import { FLOPS_MODELS, layerFlops, scheduleFlops, stageFlops } from './flops.ts';
import { buildPreset } from './presets.ts';
import type { ScheduleSpec } from './spec.ts';

/** Σ 2·m·k·n over hand-listed [m,k]·[k,n] products, each with a repeat count. */
const count = (products: [m: number, k: number, n: number, times?: number][]) =>
  products.reduce((s, [m, k, n, times = 1]) => s + 2 * m * k * n * times, 0);

// d = 8 (2 heads of 4), F = 16, V = 50; batch 2 of n = 10 with P = 2 predicted positions.
const model: ModelConfig = {
  vocabSize: 50, hidden: 8, layers: 2, heads: 2, ffn: 16, ffnRank: 0, maxLen: 10, norm: 'post', dropout: 0, lnEps: 1e-12,
};
const batch = { batchSize: 2, seqLen: 10, predsPerSeq: 2 };

describe('FLOPs by hand', () => {
  it('counts a dense, unpooled layer and the MLM head', () => {
    // Per layer: Q, K, V, O on 2·10 rows; per (sequence, head) QKᵀ [10,4]·[4,10] and A·V [10,10]·[10,4]; FFN.
    const layer = count([
      [20, 8, 8], [20, 8, 8], [20, 8, 8], [20, 8, 8],
      [10, 4, 10, 4], [10, 10, 4, 4],
      [20, 8, 16], [20, 16, 8],
    ]);
    const head = count([[4, 8, 8], [4, 8, 50]]); // 2·2 predicted rows: dense d×d, then d×V
    expect(layerFlops(model, { batchSize: 2, queryLen: 10, keyLen: 10 }).total).toBe(layer);
    const f = stageFlops(model, { ...batch, pool: null });
    expect(f.perLayer.map((l) => l.total)).toEqual([layer, layer]);
    expect(f.head).toBe(head);
    expect(f.forward).toBe(2 * layer + head);
    expect(f.training).toBe(3 * f.forward);
  });

  it('counts a pooled stage with a factorized FFN', () => {
    // [CLS] + P predicted positions + ⌈(n−1−P)/k⌉ windows of the other tokens (the model's padded length).
    expect(poolQueryLen(10, 2, 3)).toBe(1 + 2 + 3);
    expect(poolQueryLen(512, 76, 2)).toBe(1 + 76 + 218);
    const rank3: ModelConfig = { ...model, ffnRank: 3 };
    // FFN at rank 3 on 12 rows: W1 = [8,3]·[3,16], W2 = [16,3]·[3,8].
    const ffn: [number, number, number][] = [[12, 8, 3], [12, 3, 16], [12, 16, 3], [12, 3, 8]];
    const first = count([
      [12, 8, 8], // Q on the pooled stream
      [20, 8, 8], [20, 8, 8], // K, V on all 10 positions
      [6, 4, 10, 4], [6, 10, 4, 4], // per (sequence, head): 6 queries against 10 keys
      [12, 8, 8], // O
      ...ffn,
    ]);
    const later = count([
      [12, 8, 8], [12, 8, 8], [12, 8, 8], [12, 8, 8],
      [6, 4, 6, 4], [6, 6, 4, 4],
      ...ffn,
    ]);
    const head = count([[4, 8, 8], [4, 8, 50]]);
    const f = stageFlops(rank3, { ...batch, pool: { k: 3 } });
    expect(f.queryLen).toBe(6);
    expect(f.perLayer.map((l) => l.total)).toEqual([first, later]);
    expect(f.forward).toBe(first + later + head);
  });

  it("agrees with the 2·parameters·tokens rule for BERT-base, plus attention and the head", () => {
    const { model: bert, ...b } = FLOPS_MODELS['bert-base'];
    const f = stageFlops(bert, { ...b, pool: null });
    const tokens = b.batchSize * b.seqLen;
    // Encoder matmul weights: 12 × (4·768² + 2·768·3072) = 84,934,656. The rule (Kaplan et al.)
    // counts 2 FLOPs per weight per token, which is exactly what the projections and FFN cost here.
    const n = 12 * (4 * 768 * 768 + 2 * 768 * 3072);
    const weightPart = f.perLayer.reduce((s, l) => s + l.q + l.kv + l.out + l.ffn, 0);
    expect(weightPart / tokens).toBe(2 * n);
    // On top: QKᵀ and A·V, 4·n·d per token per layer = 18,874,368 (11.1% of 2N at n = 512), and
    // the head on 76 of 512 positions, 2·76·768·(768 + 30522) / 512 = 7,134,120 (4.2%). So the
    // total is 2N × (1 + 0.111 + 0.042) ≈ 2N × 1.153: within 20% of the rule, never below it.
    const perToken = f.forward / tokens;
    expect(perToken).toBe(2 * n + 12 * 4 * 512 * 768 + (2 * 76 * 768 * (768 + 30522)) / 512);
    expect(perToken / (2 * n)).toBeGreaterThan(1);
    expect(perToken / (2 * n)).toBeLessThan(1.2);
  });
});

describe('scheduleFlops', () => {
  const { model: bert, ...bertBatch } = FLOPS_MODELS['bert-base'];

  it('adds stage FLOPs and compares with the full model for the same steps', () => {
    const spec: ScheduleSpec = {
      preset: 'custom',
      ops: { depth: 'stack', width: 'share', widthNoise: 0 },
      stages: [
        { shape: { layers: 6, ffnDiv: 1, ffnRank: 0, length: 'truncate', lengthFactor: 2, poolReduce: 'mean' }, steps: 30, lrPolicy: 'reset', optPolicy: 'fresh' },
        { shape: { layers: 12, ffnDiv: 1, ffnRank: 0, length: 'full', lengthFactor: 1, poolReduce: 'mean' }, steps: 70, lrPolicy: 'reset', optPolicy: 'fresh' },
      ],
    };
    const plan = scheduleFlops(spec, bert, bertBatch);
    // The truncated stage predicts 76 · 256/512 = 38 positions per sequence.
    const short = stageFlops({ ...bert, layers: 6 }, { batchSize: 256, seqLen: 256, predsPerSeq: 38, pool: null });
    const fullStage = stageFlops(bert, { ...bertBatch, pool: null });
    expect(plan.stages.map((s) => s.label)).toEqual(['L6 · n/2', 'L12']);
    expect(plan.stages[0].forwardFlops).toBe(30 * short.forward);
    expect(plan.stages[0].flopsPerStep).toBe(short.training);
    expect(plan.forwardFlops).toBe(30 * short.forward + 70 * fullStage.forward);
    expect(plan.flops).toBe(3 * plan.forwardFlops);
    expect(plan.baselineForwardFlops).toBe(100 * fullStage.forward);
    expect(plan.flopsSpeedup).toBeCloseTo(plan.baselineFlops / plan.flops, 12);
  });

  it('gives the baseline a speed-up of 1 and compound > stack > 1 for BERT-base', () => {
    const speedup = (name: 'baseline' | 'stack' | 'compound') => scheduleFlops(buildPreset(name, 1_000_000, bert), bert, bertBatch).flopsSpeedup;
    expect(speedup('baseline')).toBe(1);
    const stack = speedup('stack');
    // The paper reports +68.7% forward FLOPs for stacking on BERT-base; this count gives +69.4%.
    expect(stack).toBeGreaterThan(1.67);
    expect(stack).toBeLessThan(1.71);
    expect(speedup('compound')).toBeGreaterThan(stack);
  });

  it('uses the data pipeline rule for predicted positions when none is given', () => {
    const tiny = FLOPS_MODELS.tiny;
    // n = 32: round(0.15 · 30) = 5 predicted positions (as FLOPS_MODELS.tiny says); n/2 = 16: round(2.1) = 2.
    expect(tiny.predsPerSeq).toBe(5);
    const plan = scheduleFlops(buildPreset('length-truncate', 10, tiny.model), tiny.model, { batchSize: 8, seqLen: 32 });
    const short = stageFlops(tiny.model, { batchSize: 8, seqLen: 16, predsPerSeq: 2, pool: null });
    expect(plan.stages[0].forwardFlopsPerStep).toBe(short.forward);
  });
});

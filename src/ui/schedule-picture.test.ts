import { describe, expect, it } from 'vitest';
import { SIZES } from '../core/model/config.ts';
import { buildPreset } from '../core/schedule/presets.ts';
import type { ScheduleSpec, StageShape } from '../core/schedule/spec.ts';
import { schedulePicture } from './schedule-picture.ts';

const tiny = SIZES.tiny;

describe('schedulePicture: compound at tiny (L2, d32, F128, V2000, batch 8 of n = 32)', () => {
  // At L = 2, compound's L/4 and L/2 stages both round to L1 and merge: 40% / 30% / 30% of 200 steps.
  const picture = schedulePicture({ schedule: buildPreset('compound', 200, tiny.model), model: tiny.model, train: tiny.train });

  /*
   * Forward FLOPs of one step, by hand (2·m·k·n per matmul; 8 sequences; 5 predictions each, 15% of
   * the 30 tokens between [CLS] and [SEP]). Pooling k = 2 keeps [CLS] and the 5 masked tokens and
   * halves the other 26: 1 + 5 + 13 = 19 positions.
   * A layer over Q query and K key positions with FFN width f, per sequence:
   *   Q/O 2·(2·Q·32·32), K/V 2·(2·K·32·32), QKᵀ and A·V 2·(2·Q·K·32), FFN 2·(2·Q·32·f).
   *   Q 19, K 32, f 64: 8 × 442,368 = 3,538,944   (the pooled first layer)
   *   Q 19, K 19, f 64: 8 × 357,504 = 2,860,032   (a later layer on the pooled stream)
   *   Q 32, K 32, f 128: 8 × 917,504 = 7,340,032  (the full layer)
   * MLM head on 40 predictions: 2·40·32·32 + 2·40·32·2000 = 5,201,920.
   */
  const head = 5_201_920;
  const perStep = [3_538_944 + head, 3_538_944 + 2_860_032 + head, 2 * 7_340_032 + head];
  const stageFlops = [80 * perStep[0], 60 * perStep[1], 60 * perStep[2]];
  const total = stageFlops[0] + stageFlops[1] + stageFlops[2];

  it('puts each stage along the steps in proportion to its steps', () => {
    expect(picture.totalSteps).toBe(200);
    expect(picture.stages.map((s) => [s.startStep, s.endStep])).toEqual([
      [0, 80],
      [80, 140],
      [140, 200],
    ]);
    expect(picture.stages.map((s) => s.steps)).toEqual([
      { start: 0, width: 0.4 },
      { start: 0.4, width: 0.3 },
      { start: 0.7, width: 0.3 },
    ]);
  });

  it('puts each stage along the FLOPs in proportion to its forward FLOPs', () => {
    const [a, b, c] = picture.stages.map((s) => s.flops);
    expect(a.start).toBe(0);
    expect(a.width).toBeCloseTo(stageFlops[0] / total, 12);
    expect(b.start).toBeCloseTo(stageFlops[0] / total, 12);
    expect(b.width).toBeCloseTo(stageFlops[1] / total, 12);
    expect(c.start).toBeCloseTo((stageFlops[0] + stageFlops[1]) / total, 12);
    expect(c.width).toBeCloseTo(stageFlops[2] / total, 12);
  });

  it('sizes depth, FFN width, d and length against the full model', () => {
    expect(picture.stages.map((s) => [s.depth, s.ffn, s.hidden, s.length, s.factorized])).toEqual([
      [1 / 2, 1 / 2, 1, 19 / 32, false],
      [1, 1 / 2, 1, 19 / 32, false],
      [1, 1, 1, 1, false],
    ]);
  });

  it('says each stage in words: its steps, FLOPs share and shape', () => {
    // 699,269,120 / 696,053,760 / 1,192,919,040 of 2,588,241,920.
    expect(picture.stages.map((s) => s.text)).toEqual([
      'stage 1: steps 0–80, 27% of FLOPs, L1 · FFN/2 · pool 2',
      'stage 2: steps 80–140, 27% of FLOPs, L2 · FFN/2 · pool 2',
      'stage 3: steps 140–200, 46% of FLOPs, L2',
    ]);
    expect(picture.title).toBe('Schedule picture: 3 stages over 200 steps');
  });
});

describe('schedulePicture: d, heads, a factorized FFN and truncation', () => {
  const full: StageShape = { layers: 2, ffnDiv: 1, ffnRank: 0, length: 'full', lengthFactor: 1, poolReduce: 'mean' };
  const small: StageShape = { layers: 1, ffnDiv: 1, ffnRank: 8, length: 'truncate', lengthFactor: 2, poolReduce: 'mean', hiddenDiv: 4, headsDiv: 2 };
  const policies = { lrPolicy: 'paper', optPolicy: 'fresh' } as const;
  const schedule: ScheduleSpec = {
    preset: 'custom',
    stages: [
      { shape: small, steps: 1, ...policies },
      { shape: full, steps: 999, ...policies },
    ],
    ops: { depth: 'stack', width: 'share', widthNoise: 0.05 },
  };
  const picture = schedulePicture({ schedule, model: tiny.model, train: tiny.train });

  it('draws d/4 as a quarter, n/2 as half, and a rank-8 FFN at full width but factorized', () => {
    const [s] = picture.stages;
    expect([s.depth, s.ffn, s.hidden, s.length, s.factorized]).toEqual([1 / 2, 1, 1 / 4, 1 / 2, true]);
    expect(picture.stages[1].steps).toEqual({ start: 0.001, width: 0.999 });
  });

  it('never rounds a stage that costs something down to 0% of FLOPs', () => {
    expect(picture.stages[0].flops.width).toBeGreaterThan(0);
    expect(picture.stages[0].flops.width).toBeLessThan(0.005);
    expect(picture.stages[0].text).toBe('stage 1: steps 0–1, <1% of FLOPs, L1 · d8 · H1 · FFN r8 · n/2');
    expect(picture.stages[1].text).toBe('stage 2: steps 1–1000, 100% of FLOPs, L2');
  });
});

import { describe, expect, it } from 'vitest';
import { cumulativeAt, growthMsBefore, piecewiseCost, speedupToReach, stepToReach, type CostedRun } from './reach.ts';

describe('cumulativeAt', () => {
  it('interpolates between recorded totals and clamps at both ends', () => {
    const cum = [0, 2, 5, 9];
    expect(cumulativeAt(cum, 1.5)).toBeCloseTo(3.5, 12);
    expect(cumulativeAt(cum, 2)).toBe(5);
    expect(cumulativeAt(cum, -1)).toBe(0);
    expect(cumulativeAt(cum, 10)).toBe(9);
    expect(cumulativeAt([], 3)).toBe(0);
  });
});

describe('piecewiseCost', () => {
  it('sums per-stage costs up to a (fractional) step', () => {
    const stages = [{ steps: 10, perStep: 1 }, { steps: 20, perStep: 4 }];
    expect(piecewiseCost(stages, 15)).toBe(10 + 5 * 4);
    expect(piecewiseCost(stages, 7.5)).toBe(7.5);
    expect(piecewiseCost(stages, 40)).toBe(90);
  });
});

describe('growthMsBefore', () => {
  it('counts a growth after step s from any point past s, and older events without a time as free', () => {
    const growth = [{ step: 10, wallMs: 300 }, { step: 20, wallMs: 500 }, { step: 30 }];
    expect(growthMsBefore(growth, 10)).toBe(0);
    expect(growthMsBefore(growth, 10.5)).toBe(300);
    expect(growthMsBefore(growth, 25)).toBe(800);
    expect(growthMsBefore(growth, 40)).toBe(800);
  });
});

describe('stepToReach', () => {
  const val = [{ step: 10, loss: 6 }, { step: 20, loss: 5 }, { step: 30, loss: 4 }];
  it('interpolates linearly between the evaluations around the crossing', () => {
    // 5 -> 4 between steps 20 and 30: 4.5 is half way.
    expect(stepToReach(val, 4.5)).toBeCloseTo(25, 12);
    expect(stepToReach(val, 5)).toBe(20);
  });
  it('counts a first point already below target at its own step, and never-reached as null', () => {
    expect(stepToReach(val, 7)).toBe(10);
    expect(stepToReach(val, 3)).toBeNull();
    expect(stepToReach([], 3)).toBeNull();
  });
  it('skips non-finite evaluations', () => {
    expect(stepToReach([{ step: 10, loss: 6 }, { step: 20, loss: NaN }, { step: 30, loss: 4 }], 5)).toBeCloseTo(20, 12);
  });
});

describe('speedupToReach', () => {
  // Baseline: 10 FLOPs and 100 ms per step; final validation loss 5 at step 40.
  const baseline: CostedRun = {
    validation: [{ step: 20, loss: 6 }, { step: 40, loss: 5 }],
    flopsAt: (s) => 10 * s,
    wallMsAt: (s) => 100 * s,
  };
  it('compares the cost of reaching the baseline final loss in FLOPs and in wall time', () => {
    const wallCum = Array.from({ length: 41 }, (_, s) => 50 * s);
    const run: CostedRun = {
      validation: [{ step: 20, loss: 5.5 }, { step: 40, loss: 4.5 }],
      flopsAt: (s) => piecewiseCost([{ steps: 20, perStep: 4 }, { steps: 20, perStep: 10 }], s),
      wallMsAt: (s) => cumulativeAt(wallCum, s),
    };
    // Reaches 5 at step 30: FLOPs 20*4 + 10*10 = 180 vs the baseline's 400; wall 1500 ms vs 4000 ms.
    const r = speedupToReach(baseline, run)!;
    expect(r.target).toBe(5);
    expect(r.flops).toBeCloseTo(400 / 180, 12);
    expect(r.wall).toBeCloseTo(4000 / 1500, 12);
  });
  it('is 1 for the baseline itself, "not reached" (null) for a run that stays above', () => {
    expect(speedupToReach(baseline, baseline)).toEqual({ target: 5, flops: 1, wall: 1 });
    const slow: CostedRun = { ...baseline, validation: [{ step: 20, loss: 6.5 }, { step: 40, loss: 5.5 }] };
    expect(speedupToReach(baseline, slow)).toEqual({ target: 5, flops: null, wall: null });
  });
  it('has nothing to compare before the baseline has a validation point', () => {
    expect(speedupToReach({ ...baseline, validation: [] }, baseline)).toBeNull();
  });
});

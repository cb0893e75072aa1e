import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { DEFAULT_LR_POLICY, LR_POLICIES, learningRate, stageLrFn, type LrPolicy } from './lr.ts';

const peak = 1e-3;
const at = (policy: LrPolicy, stepInStage: number, globalStep = stepInStage, stageSteps = 100, totalSteps = 200, warmupSteps = 10) =>
  learningRate({ peak, warmupSteps, policy, stepInStage, stageSteps, globalStep, totalSteps });

describe('learningRate', () => {
  it('reset: warms up linearly from the first step, (s+1)/W', () => {
    expect(at('reset', 0)).toBeCloseTo(peak / 10, 12);
    expect(at('reset', 4)).toBeCloseTo(peak / 2, 12); // warm-up midpoint
    expect(at('reset', 9)).toBeCloseTo(peak, 12); // peak at step W-1
  });

  it('reset: decays linearly to reach 0 one step after the stage ends', () => {
    // Decay: peak·(S−s)/(S−W+1) = peak·(100−s)/91.
    expect(at('reset', 10)).toBeCloseTo((peak * 90) / 91, 12);
    expect(at('reset', 54)).toBeCloseTo((peak * 46) / 91, 12);
    expect(at('reset', 99)).toBeCloseTo(peak / 91, 12);
  });

  it('reset: restarts the warm-up at each stage regardless of the global step', () => {
    expect(at('reset', 0, 100)).toBeCloseTo(peak / 10, 12);
    expect(at('reset', 9, 109)).toBeCloseTo(peak, 12);
  });

  it('reset: caps the warm-up at a quarter of a short stage', () => {
    // warmupSteps 50 on a 40-step stage becomes 10.
    expect(at('reset', 0, 0, 40, 40, 50)).toBeCloseTo(peak / 10, 12);
    expect(at('reset', 9, 9, 40, 40, 50)).toBeCloseTo(peak, 12);
    expect(at('reset', 39, 39, 40, 40, 50)).toBeCloseTo(peak / 31, 12);
  });

  it('paper: a 3-stage toy run (8 + 4 + 12 steps, W = 2), every step by hand', () => {
    // T = 24. Stage 1: W' = min(2, ⌊8/4⌋) = 2, rate = min((s+1)/2, (24−s)/23).
    // Stage 2: W' = min(2, ⌊4/4⌋) = 1, rate = (24−s)/24 (no warm-up left in a 4-step stage).
    // Stage 3: W' = min(2, ⌊12/4⌋) = 2, the same line as stage 1, counted from the stage's start.
    const stages = [8, 4, 12];
    const expected = [
      [1 / 2, 1, 22 / 23, 21 / 23, 20 / 23, 19 / 23, 18 / 23, 17 / 23],
      [1, 23 / 24, 22 / 24, 21 / 24],
      [1 / 2, 1, 22 / 23, 21 / 23, 20 / 23, 19 / 23, 18 / 23, 17 / 23, 16 / 23, 15 / 23, 14 / 23, 13 / 23],
    ];
    let g = 0;
    stages.forEach((S, j) => {
      const f = stageLrFn({ peak, warmupSteps: 2, policy: 'paper', stageSteps: S, totalSteps: 24 });
      const got = Array.from({ length: S }, (_, s) => f(s, g + s) / peak);
      got.forEach((r, s) => expect(r).toBeCloseTo(expected[j][s], 12));
      g += S;
    });
  });

  it('paper: restarts at the peak every stage and never decays to 0 before the run ends', () => {
    // Stage 2 of a 200-step run (steps 100..199): warm-up 10 again, then (200−s)/191.
    expect(at('paper', 0, 100)).toBeCloseTo(peak / 10, 12);
    expect(at('paper', 9, 109)).toBeCloseTo(peak, 12);
    expect(at('paper', 99, 199)).toBeCloseTo((peak * 101) / 191, 12);
    // The global step does not enter: the same step of the stage anywhere in the run has the same rate.
    expect(at('paper', 37, 37)).toBe(at('paper', 37, 137));
  });

  it('paper: one stage spanning the run is the reset and continue schedule', () => {
    for (const s of [0, 5, 9, 10, 150, 199]) {
      expect(at('paper', s, s, 200, 200)).toBeCloseTo(at('reset', s, s, 200, 200), 15);
      expect(at('paper', s, s, 200, 200)).toBeCloseTo(at('continue', s, s, 200, 200), 15);
    }
    expect(() => at('paper', 0, 0, 300, 200)).toThrow(/stageSteps/);
  });

  it('rewind: starts each stage at the peak and decays over the stage', () => {
    expect(at('rewind', 0, 100)).toBeCloseTo(peak, 12);
    expect(at('rewind', 50, 150)).toBeCloseTo(peak / 2, 12);
    expect(at('rewind', 99, 199)).toBeCloseTo(peak / 100, 12);
  });

  it('continue: one schedule by global step, continuous across a stage boundary', () => {
    expect(at('continue', 4, 4)).toBeCloseTo(peak / 2, 12);
    // Last step of stage 1 and first step of stage 2: (200−g)/191.
    expect(at('continue', 99, 99)).toBeCloseTo((peak * 101) / 191, 12);
    expect(at('continue', 0, 100)).toBeCloseTo((peak * 100) / 191, 12);
    expect(at('continue', 0, 100)).toBe(at('continue', 37, 100));
    expect(at('continue', 99, 199)).toBeCloseTo(peak / 191, 12);
  });

  it('warmupSteps 0 and 1 both start at the peak', () => {
    expect(at('reset', 0, 0, 100, 200, 0)).toBe(peak);
    expect(at('reset', 0, 0, 100, 200, 1)).toBe(peak);
    expect(at('reset', 50, 50, 100, 200, 0)).toBeCloseTo(peak / 2, 12);
  });

  it('is positive and at most the peak on every step', () => {
    for (const policy of LR_POLICIES) {
      for (let g = 0; g < 200; g++) {
        const lr = at(policy, g % 100, g);
        expect(lr).toBeGreaterThan(0);
        expect(lr).toBeLessThanOrEqual(peak * (1 + 1e-12));
      }
    }
  });

  it("defaults to the paper's policy", () => {
    expect(DEFAULT_LR_POLICY).toBe('paper');
  });

  it('stageLrFn binds a stage', () => {
    const f = stageLrFn({ peak, warmupSteps: 10, policy: 'reset', stageSteps: 100, totalSteps: 200 });
    expect(f(4, 104)).toBeCloseTo(peak / 2, 12);
  });

  it('rejects out-of-range steps and unknown policies with ConfigError naming the field', () => {
    expect(() => at('reset', 100)).toThrow(ConfigError);
    expect(() => at('reset', 100)).toThrow(/stepInStage/);
    expect(() => at('continue', 0, 200)).toThrow(/globalStep/);
    expect(() => at('bogus' as LrPolicy, 0)).toThrow(/lrPolicy/);
    expect(() => learningRate({ peak: 0, warmupSteps: 0, policy: 'reset', stepInStage: 0, stageSteps: 1, globalStep: 0, totalSteps: 1 })).toThrow(/lr/);
  });
});

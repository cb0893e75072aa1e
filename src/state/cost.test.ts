import { describe, expect, it } from 'vitest';
import { SIZES } from '../core/model/config.ts';
import type { ExperimentConfig } from '../core/run/config.ts';
import { buildPreset } from '../core/schedule/presets.ts';
import { scheduleFlops } from '../core/schedule/flops.ts';
import type { GrowthEventRecord } from '../core/train/record.ts';
import { runCost } from './cost.ts';
import { speedupToReach } from './reach.ts';
import { newRun, type Run } from './run.ts';

const { model, train } = SIZES.tiny;

function run(preset: 'baseline' | 'stack', patch: Partial<Run>): Run {
  const schedule = buildPreset(preset, 4, model);
  const config: ExperimentConfig = { size: 'tiny', model, train: { ...train, steps: 4 }, schedule, seed: 1 };
  return { ...newRun(preset, preset, preset, '#000', config, scheduleFlops(schedule, model, config.train)), ...patch };
}

const growth = (step: number, wallMs: number): GrowthEventRecord => ({
  step, fromLabel: 'L1', toLabel: 'L2', ops: ['depth.stack'], lossBefore: 7, lossAfter: 7, maxAbsLogitDiff: 0, wallMs,
});

describe('runCost', () => {
  it("counts a growth's wall time from the step after it, in the wall-time speed-up too", () => {
    const grown = run('stack', { step: 4, cumWallMs: [0, 100, 200, 300, 400], growth: [growth(2, 1000)], validation: [{ step: 4, loss: 5, accuracy: 0.1 }] });
    const cost = runCost(grown);
    expect(cost.wallMsAt(2)).toBe(200);
    expect(cost.wallMsAt(3)).toBe(1300);
    expect(cost.wallMsAt(4)).toBe(1400);
    // The baseline takes 700 ms to the same loss: growth time turns a 1.75x speed-up into 0.5x.
    const base = run('baseline', { step: 4, cumWallMs: [0, 175, 350, 525, 700], validation: [{ step: 4, loss: 5, accuracy: 0.1 }] });
    expect(speedupToReach(runCost(base), cost)?.wall).toBeCloseTo(700 / 1400, 12);
  });
});

describe('runCost with LiGO', () => {
  /** A run whose plan has two stages of 2 steps, 10 and 30 forward FLOPs a step, and a LiGO growth of 500 into the second. */
  function grownByLigo(step: number): Run {
    const base = run('stack', { step });
    const stage = (steps: number, perStep: number, growth: number) => ({
      label: '', steps, flopsPerStep: 3 * perStep, flops: 3 * perStep * steps, forwardFlopsPerStep: perStep, forwardFlops: perStep * steps,
      queryLen: 32, growthFlops: 3 * growth, growthForwardFlops: growth,
    });
    const stages = [stage(2, 10, 0), stage(2, 30, 500)];
    return { ...base, plan: { ...base.plan, stages, forwardFlops: 20 + 60 + 500, flops: 3 * 580 } };
  }

  it("counts the operator's training once the stage it makes has begun, and ends at the plan's total", () => {
    const cost = runCost(grownByLigo(3));
    // Stage 1 alone up to its end: 2 steps × 10.
    expect(cost.flopsAt(2)).toBe(20);
    // Half a step into stage 2: 20 + 0.5 × 30 + the growth's 500.
    expect(cost.flopsAt(2.5)).toBe(535);
    expect(cost.flopsAt(3)).toBe(550);
    // The queue's progress reaches the plan's total, growth included: 20 + 60 + 500.
    expect(cost.flopsAt(4)).toBe(580);
  });

  it('reaches the forward FLOPs of a real ligo plan at its last step', () => {
    const schedule = buildPreset('ligo', 40, model);
    const config: ExperimentConfig = { size: 'tiny', model, train: { ...train, steps: 40 }, schedule, seed: 1 };
    const plan = scheduleFlops(schedule, model, config.train);
    const r = { ...newRun('ligo', 'ligo', 'ligo', '#000', config, plan), step: 40 };
    const [first, second] = plan.stages;
    expect(second.growthForwardFlops).toBeGreaterThan(0);
    expect(runCost(r).flopsAt(first.steps)).toBe(first.forwardFlops);
    expect(runCost(r).flopsAt(first.steps + 1) / (first.forwardFlops + second.forwardFlopsPerStep + second.growthForwardFlops)).toBeCloseTo(1, 12);
    expect(runCost(r).flopsAt(40) / plan.forwardFlops).toBeCloseTo(1, 12);
  });
});

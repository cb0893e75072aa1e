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

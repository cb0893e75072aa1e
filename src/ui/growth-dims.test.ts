import { describe, expect, it } from 'vitest';
import { SIZES } from '../core/model/config.ts';
import type { StageShape, StageSpec } from '../core/schedule/spec.ts';
import { growthDimsText } from './growth-dims.ts';

const full: StageShape = { layers: 2, ffnDiv: 1, ffnRank: 0, length: 'full', lengthFactor: 1, poolReduce: 'mean' };
const stage = (shape: Partial<StageShape>, steps: number): StageSpec => ({ shape: { ...full, ...shape }, steps, lrPolicy: 'paper', optPolicy: 'carry' });

describe('growthDimsText', () => {
  const target = SIZES.tiny.model; // d32, 2 heads
  const schedule = { stages: [stage({ hiddenDiv: 4, headsDiv: 2 }, 3), stage({ hiddenDiv: 2 }, 3), stage({ layers: 2, ffnDiv: 1 }, 3)] };

  it("says what each growth did to d and the heads, from the run's schedule", () => {
    expect(growthDimsText(schedule, target, 3)).toBe('d 8 → 16, heads 1 → 2');
    expect(growthDimsText(schedule, target, 6)).toBe('d 16 → 32');
  });

  it('is null where d and the heads stay, and away from a stage boundary', () => {
    expect(growthDimsText({ stages: [stage({ layers: 1 }, 5), stage({}, 5)] }, target, 5)).toBeNull();
    expect(growthDimsText(schedule, target, 4)).toBeNull();
    expect(growthDimsText(schedule, target, 9)).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { SIZES, SIZE_NAMES } from '../core/model/config.ts';
import { DEFAULT_LR_POLICY } from '../core/train/lr.ts';
import { allocateSteps, buildPreset } from '../core/schedule/presets.ts';
import { PRESET_NAMES } from '../core/schedule/spec.ts';
import { matchingPreset, presetDims, scheduleFromDims, shapeKey } from './dims.ts';

const policies = { lrPolicy: DEFAULT_LR_POLICY, optPolicy: 'fresh' } as const;

describe('scheduleFromDims', () => {
  for (const size of SIZE_NAMES) {
    const target = SIZES[size].model;
    // stack, msg and ligo have their own timing (ligo: 30% small, then 70% full), which the toggles'
    // four stages (20/20/30/30) do not reproduce.
    for (const name of PRESET_NAMES.filter((n) => n !== 'stack' && n !== 'msg' && n !== 'ligo')) {
      it(`reproduces buildPreset("${name}") on ${size} from the preset's toggles`, () => {
        for (const total of [40, 200, 997]) {
          expect(scheduleFromDims(presetDims(name, target), total, target, policies)).toEqual(buildPreset(name, total, target));
        }
      });
    }
  }

  it('builds a depth×3, FFN/4 truncate schedule by hand-checked numbers', () => {
    const target = { ...SIZES.lab.model, layers: 9 };
    const d = presetDims('baseline', target);
    d.depth = { on: true, op: 'interleave', factor: 3 };
    d.width = { on: true, mode: 'random', factor: 4, noise: 0 };
    d.length = { on: true, mode: 'truncate', factor: 4, reduce: 'mean' };
    const s = scheduleFromDims(d, 100, target, { lrPolicy: 'continue', optPolicy: 'carry' });
    expect(s.preset).toBe('custom');
    expect(s.ops).toEqual({ depth: 'interleave', width: 'random', widthNoise: 0 });
    // Layers 9/9 = 1, 9/3 = 3, 9, 9; stages 1-3 are FFN/4 and n/4; weights 20/20/30/30 of 100 steps.
    expect(s.stages.map((st) => [st.shape.layers, st.shape.ffnDiv, st.shape.length, st.shape.lengthFactor, st.steps])).toEqual([
      [1, 4, 'truncate', 4, 20],
      [3, 4, 'truncate', 4, 20],
      [9, 4, 'truncate', 4, 30],
      [9, 1, 'full', 1, 30],
    ]);
    expect(s.stages.every((st) => st.lrPolicy === 'continue' && st.optPolicy === 'carry')).toBe(true);
  });

  it('names a matching preset only when the shapes match, ignoring the operators', () => {
    const target = SIZES.small.model;
    const d = presetDims('compound', target);
    d.depth.op = 'identity';
    expect(matchingPreset(d, target)).toBe('compound');
    d.width.factor = 4;
    expect(matchingPreset(d, target)).toBe('custom');
    expect(shapeKey(presetDims('stack', target))).toBe(shapeKey(presetDims('depth', target)));
  });

  it('names the toggle whose factor is impossible', () => {
    const target = SIZES.tiny.model;
    const d = presetDims('compound', target);
    d.width.factor = 1;
    expect(() => scheduleFromDims(d, 40, target, policies)).toThrow(/^dims\.width\.factor: .*at least 2, got 1/);
    d.width.factor = 2;
    d.depth.factor = 1.5;
    expect(() => scheduleFromDims(d, 40, target, policies)).toThrow(/^dims\.depth\.factor/);
  });

  it('refuses fewer steps than stages, naming train.steps', () => {
    const target = SIZES.tiny.model;
    expect(() => scheduleFromDims(presetDims('width-share', target), 1, target, policies)).toThrow(/train\.steps/);
    expect(() => scheduleFromDims(presetDims('width-share', target), NaN, target, policies)).toThrow(/train\.steps/);
  });
});

describe('allocateSteps', () => {
  it('splits by largest remainder and gives every stage a step', () => {
    // 7 steps over 20/20/30/30: floors 1,1,2,2 (remainders 40,40,10,10 of 100) -> +1 to the first.
    expect(allocateSteps([20, 20, 30, 30], 7)).toEqual([2, 1, 2, 2]);
    expect(allocateSteps([1, 99], 2)).toEqual([1, 1]);
    expect(allocateSteps([3, 5], 16)).toEqual([6, 10]);
  });
});

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
    // stack, msg, ligo and bert2bert have their own timing (ligo and bert2bert: 30% small, then 70%
    // full), which the toggles' four stages (20/20/30/30) do not reproduce.
    const ownTiming: string[] = ['stack', 'msg', 'ligo', 'bert2bert'];
    for (const name of PRESET_NAMES.filter((n) => !ownTiming.includes(n))) {
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

  it("turns on what the bert2bert preset grows: FFN share and d at every head by AKI (d only at an even head dimension)", () => {
    const d = presetDims('bert2bert', SIZES.tiny.model);
    expect(d.hidden).toEqual({ on: true, op: 'aki', factor: 2, heads: 1 });
    expect(d.width).toMatchObject({ on: true, mode: 'share', factor: 2 });
    expect([d.depth.on, d.length.on, d.msg.on, d.ligo.on]).toEqual([false, false, false, false]);
    expect(presetDims('bert2bert', { ...SIZES.tiny.model, hidden: 36, heads: 4 }).hidden).toMatchObject({ on: false, op: 'aki' });
    expect(matchingPreset(d, SIZES.tiny.model)).toBe('custom');
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

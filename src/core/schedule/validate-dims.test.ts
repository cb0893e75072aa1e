import { describe, expect, it } from 'vitest';
import { ConfigError, collectErrors } from '../errors.ts';
import { SIZES } from '../model/config.ts';
import type { GrowthOps, ScheduleSpec, StageShape, StageSpec } from './spec.ts';
import { validateSchedule } from './validate.ts';

const tiny = SIZES.tiny.model; // L2, d32, 2 heads (head dim 16)
const full: StageShape = { layers: 2, ffnDiv: 1, ffnRank: 0, length: 'full', lengthFactor: 1, poolReduce: 'mean' };
const stage = (s: Partial<StageShape>): StageSpec => ({ shape: { ...full, ...s }, steps: 10, lrPolicy: 'reset', optPolicy: 'fresh' });
const spec = (shapes: Partial<StageShape>[], ops: Partial<GrowthOps> = {}): ScheduleSpec => ({
  preset: 'custom', stages: shapes.map(stage), ops: { depth: 'stack', width: 'share', widthNoise: 0, ...ops },
});
const check = (s: ScheduleSpec, target = tiny) => validateSchedule(s, target, { seqLen: 32, steps: s.stages.length * 10 });

/** Expects a ConfigError on exactly `field`; returns its message. */
function rejects(s: ScheduleSpec, field: string, target = tiny): string {
  try {
    check(s, target);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).field).toBe(field);
    return (e as ConfigError).message;
  }
  throw new Error(`expected a ConfigError on ${field}`);
}

describe('validateSchedule: hidden size and heads', () => {
  it('accepts d growing alone (tile or random), heads.add, and both at once', () => {
    expect(check(spec([{ hiddenDiv: 2 }, {}]))).toBe(true);
    expect(check(spec([{ hiddenDiv: 2 }, {}], { hidden: 'random' }))).toBe(true);
    expect(check(spec([{ hiddenDiv: 2, headsDiv: 2 }, {}]))).toBe(true);
    expect(check(spec([{ layers: 1, hiddenDiv: 4, headsDiv: 2, ffnDiv: 2 }, { hiddenDiv: 2, headsDiv: 2 }, {}]))).toBe(true);
    // Explicit 1s are the same as absent ones.
    expect(check(spec([{ hiddenDiv: 1, headsDiv: 1 }]))).toBe(true);
  });

  it('rejects factors that do not divide the target, naming the valid ones', () => {
    expect(rejects(spec([{ hiddenDiv: 3 }, {}]), 'stages[0].shape.hiddenDiv')).toMatch(/32 is not divisible by 3; valid divisors: 1, 2, 4, 8, 16, 32/);
    expect(rejects(spec([{ headsDiv: 4 }, {}]), 'stages[0].shape.headsDiv')).toMatch(/head count 2 is not divisible by 4; valid divisors: 1, 2/);
    expect(rejects(spec([{ hiddenDiv: 0 }, {}]), 'stages[0].shape.hiddenDiv')).toMatch(/positive integer/);
  });

  it('rejects a stage whose d is not divisible by its heads', () => {
    const target = { ...tiny, hidden: 24, heads: 4, ffn: 96 }; // head dim 6
    // d 24/8 = 3 at 4 heads.
    const msg = rejects(spec([{ hiddenDiv: 8 }, {}]), 'stages[0].shape.headsDiv', target);
    expect(msg).toMatch(/hidden size 3 is not divisible by 4 heads; at this hiddenDiv, valid headsDiv: 4/);
  });

  it('never shrinks d, the heads or the head dimension, and says why heads.split is missing', () => {
    expect(rejects(spec([{}, { hiddenDiv: 2 }, {}]), 'stages[1].shape.hiddenDiv')).toMatch(/cannot shrink the hidden size: stage 0 has d\/1, so hiddenDiv must be at most 1/);
    expect(rejects(spec([{ hiddenDiv: 2 }, { hiddenDiv: 2, headsDiv: 2 }, {}]), 'stages[1].shape.headsDiv')).toMatch(/cannot remove heads/);
    // 1 head of 32 → 2 heads of 16 at d32: fewer, wider heads run backwards.
    const msg = rejects(spec([{ headsDiv: 2 }, {}]), 'stages[1].shape.headsDiv');
    expect(msg).toMatch(/heads grow 2× but the hidden size only 1×/);
    expect(msg).toMatch(/heads\.split is not supported/);
  });

  it('needs a whole head-dimension factor for hidden.tile, not for hidden.random, .fpi or .aki', () => {
    const target = { ...tiny, hidden: 48, heads: 1, ffn: 192 };
    // d 16 → 24 → 48 at one head: ×1.5 then ×2.
    const s = spec([{ hiddenDiv: 3 }, { hiddenDiv: 2 }, {}]);
    expect(rejects(s, 'stages[1].shape.hiddenDiv', target)).toMatch(/hidden\.tile grows the head dimension by a whole factor/);
    for (const hidden of ['random', 'fpi', 'aki'] as const) expect(check({ ...s, ops: { ...s.ops, hidden } }, target), hidden).toBe(true);
  });

  it('ends at the target d and heads, and checks ops.hidden', () => {
    expect(rejects(spec([{ hiddenDiv: 2 }]), 'stages[0].shape.hiddenDiv')).toMatch(/last stage must be the full target model.*hiddenDiv 1/);
    const bad = spec([{}], { hidden: 'ligo' as GrowthOps['hidden'] });
    expect(rejects(bad, 'ops.hidden')).toMatch(/must be one of tile, fpi, aki, random/);
  });

  it('bounds a factorized stage\'s rank by its own hidden size', () => {
    // d 16 at hiddenDiv 2: rank 20 is below the target's 32 but not the stage's 16.
    expect(rejects(spec([{ hiddenDiv: 2, ffnRank: 20 }, {}]), 'stages[0].shape.ffnRank')).toMatch(/min\(hidden 16, FFN 128\).*1\.\.15/);
  });

  it('collects every problem of a bad stage at once', () => {
    const errs = collectErrors((c) => validateSchedule(spec([{ hiddenDiv: 3, headsDiv: 4 }, {}]), tiny, { seqLen: 32, steps: 20 }, c));
    expect(errs.map((e) => e.field)).toEqual(expect.arrayContaining(['stages[0].shape.hiddenDiv', 'stages[0].shape.headsDiv']));
  });
});

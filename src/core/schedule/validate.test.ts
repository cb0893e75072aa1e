import { describe, expect, it } from 'vitest';
import { ConfigError, collectErrors } from '../errors.ts';
import { SIZES, type ModelConfig } from '../model/config.ts';
import type { ScheduleSpec, StageShape, StageSpec } from './spec.ts';
import { validateSchedule } from './validate.ts';

const tiny = SIZES.tiny.model; // L2, d32, 2 heads, F128, n32
const train = (steps: number, seqLen = 32) => ({ seqLen, steps });

const full: StageShape = { layers: 2, ffnDiv: 1, ffnRank: 0, length: 'full', lengthFactor: 1, poolReduce: 'mean' };
const stage = (s: Partial<StageShape>, steps = 10, extra: Partial<StageSpec> = {}): StageSpec => ({
  shape: { ...full, ...s }, steps, lrPolicy: 'reset', optPolicy: 'fresh', ...extra,
});
const spec = (stages: StageSpec[], extra: Partial<ScheduleSpec> = {}): ScheduleSpec => ({
  preset: 'custom', stages, ops: { depth: 'stack', width: 'share', widthNoise: 0 }, ...extra,
});

/** Runs validation expecting a ConfigError on exactly `field`; returns its message. */
function rejects(s: ScheduleSpec, field: string, target: ModelConfig = tiny, steps?: number, seqLen = 32): string {
  const total = steps ?? (Array.isArray(s.stages) ? s.stages.reduce((a, st) => a + st.steps, 0) : 0);
  try {
    validateSchedule(s, target, train(total, seqLen));
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).field).toBe(field);
    return (e as ConfigError).message;
  }
  throw new Error(`expected a ConfigError on ${field}`);
}

describe('validateSchedule', () => {
  it("checks MSG's ramp: a whole number of steps, at least 1, no longer than a stage whose growth it masks", () => {
    const ops = (msgRamp: number) => ({ ops: { depth: 'stack' as const, width: 'share' as const, widthNoise: 0, msgRamp } });
    const grows = [stage({ layers: 1, ffnDiv: 2 }, 40), stage({ ffnDiv: 2 }, 20), stage({}, 30)];
    expect(() => validateSchedule(spec(grows, ops(20)), tiny, train(90))).not.toThrow();
    for (const bad of [0, -3, 2.5, NaN]) expect(rejects(spec(grows, ops(bad)), 'ops.msgRamp')).toMatch(/whole number of steps, at least 1/);
    expect(rejects(spec(grows, ops(21)), 'ops.msgRamp')).toBe(
      "ops.msgRamp: MSG's ramp of 21 steps is longer than stage 1 (stages[1].steps = 20), which starts with a growth it masks; " +
        'the ramp must end inside the stage, so at most 20, or give stages[1] at least 21 steps',
    );
    // A stage whose growth adds nothing MSG masks (length only) may be shorter than the ramp.
    const lengthOnly = [stage({ length: 'pool', lengthFactor: 2 }, 40), stage({}, 5)];
    expect(() => validateSchedule(spec(lengthOnly, ops(20)), tiny, train(45))).not.toThrow();
  });

  it('accepts a compound-like growth ending at the full model', () => {
    const s = spec([
      stage({ layers: 1, ffnDiv: 2, length: 'pool', lengthFactor: 2 }, 40),
      stage({ ffnDiv: 2, length: 'pool', lengthFactor: 2 }, 30),
      stage({}, 30),
    ]);
    expect(() => validateSchedule(s, tiny, train(100))).not.toThrow();
  });

  it('accepts consecutive stages of the same shape: a deliberate learning-rate restart without growth', () => {
    const s = spec([stage({}, 20, { lrPolicy: 'paper' }), stage({}, 20, { lrPolicy: 'paper' }), stage({}, 60, { lrPolicy: 'paper' })]);
    expect(() => validateSchedule(s, tiny, train(100))).not.toThrow();
  });

  it('rejects an FFN size not divisible by ffnDiv and lists the divisors', () => {
    const msg = rejects(spec([stage({ ffnDiv: 3 }), stage({})]), 'stages[0].shape.ffnDiv');
    expect(msg).toContain('valid divisors: 1, 2, 4, 8, 16, 32, 64, 128');
  });

  it('rejects a stage with 0 steps', () => {
    rejects(spec([stage({ layers: 1 }), stage({}, 0)]), 'stages[1].steps');
    rejects(spec([stage({}, 2.5)]), 'stages[0].steps', tiny, 2.5);
  });

  it('rejects growth that shrinks a dimension', () => {
    const big: ModelConfig = { ...tiny, layers: 4, ffn: 96 };
    const last = stage({ layers: 4 });
    rejects(spec([stage({ layers: 3 }), stage({ layers: 2 }), last]), 'stages[1].shape.layers', big);
    rejects(spec([stage({ ffnDiv: 2 }), stage({ ffnDiv: 4 }), stage({})]), 'stages[1].shape.ffnDiv');
    rejects(spec([stage({}), stage({ length: 'pool', lengthFactor: 2 }), stage({})]), 'stages[1].shape.length');
    rejects(spec([stage({ length: 'pool', lengthFactor: 2 }), stage({ length: 'truncate', lengthFactor: 2 }), stage({})]), 'stages[1].shape.length');
    rejects(spec([stage({ length: 'pool', lengthFactor: 2 }), stage({ length: 'pool', lengthFactor: 4 }), stage({})]), 'stages[1].shape.lengthFactor');
    rejects(spec([stage({ length: 'truncate', lengthFactor: 2 }), stage({ length: 'truncate', lengthFactor: 4 }), stage({})]), 'stages[1].shape.lengthFactor');
    rejects(spec([stage({ ffnRank: 8 }), stage({}), stage({ ffnRank: 8 }), stage({})]), 'stages[2].shape.ffnRank');
    rejects(spec([stage({ ffnRank: 8 }), stage({ ffnRank: 12 }), stage({})]), 'stages[1].shape.ffnRank');
    // Share tiles F/3 into F/2? Not a whole number of copies; random widening can.
    const msg = rejects(spec([stage({ layers: 4, ffnDiv: 3 }), stage({ layers: 4, ffnDiv: 2 }), last]), 'stages[1].shape.ffnDiv', big);
    expect(msg).toContain('valid: 1, 3');
    const random = spec([stage({ layers: 4, ffnDiv: 3 }), stage({ layers: 4, ffnDiv: 2 }), last], { ops: { depth: 'stack', width: 'random', widthNoise: 0 } });
    expect(() => validateSchedule(random, big, train(30))).not.toThrow();
    // A truncated stage may move on to pooling the full-length input.
    const ok = spec([stage({ length: 'truncate', lengthFactor: 2 }), stage({ length: 'pool', lengthFactor: 2 }), stage({})]);
    expect(() => validateSchedule(ok, tiny, train(30))).not.toThrow();
  });

  it('rejects a pooling factor not below the sequence length, or below 2', () => {
    const msg = rejects(spec([stage({ length: 'pool', lengthFactor: 32 }), stage({})]), 'stages[0].shape.lengthFactor');
    expect(msg).toContain('allowed 2..31');
    rejects(spec([stage({ length: 'pool', lengthFactor: 1 }), stage({})]), 'stages[0].shape.lengthFactor');
    const ok = spec([stage({ length: 'pool', lengthFactor: 31 }), stage({})]);
    expect(() => validateSchedule(ok, tiny, train(20))).not.toThrow();
  });

  it('rejects a truncation that does not divide n or leaves fewer than 4 tokens', () => {
    const msg = rejects(spec([stage({ length: 'truncate', lengthFactor: 3 }), stage({})]), 'stages[0].shape.lengthFactor');
    expect(msg).toContain('valid factors: 2, 4, 8');
    rejects(spec([stage({ length: 'truncate', lengthFactor: 16 }), stage({})]), 'stages[0].shape.lengthFactor');
    rejects(spec([stage({ length: 'full', lengthFactor: 2 })]), 'stages[0].shape.lengthFactor');
  });

  it('rejects unknown preset, ops and policies, listing the allowed values', () => {
    const good = [stage({})];
    expect(rejects(spec(good, { preset: 'fast' as never }), 'preset')).toContain('baseline, stack, depth, width-share, width-factorize, length-truncate, length-pool, compound, msg, ligo, bert2bert, custom');
    expect(rejects(spec(good, { ops: { depth: 'clone' as never, width: 'share', widthNoise: 0 } }), 'ops.depth')).toContain('stack, interleave, identity, random');
    expect(rejects(spec(good, { ops: { depth: 'stack', width: 'net2net' as never, widthNoise: 0 } }), 'ops.width')).toContain('share, random');
    rejects(spec(good, { ops: { depth: 'stack', width: 'share', widthNoise: -0.1 } }), 'ops.widthNoise');
    expect(rejects(spec([stage({}, 10, { lrPolicy: 'cosine' as never })]), 'stages[0].lrPolicy')).toContain('reset, continue, rewind');
    expect(rejects(spec([stage({}, 10, { optPolicy: 'keep' as never })]), 'stages[0].optPolicy')).toContain('fresh, carry');
    rejects(spec([stage({ length: 'half' as never })]), 'stages[0].shape.length');
    rejects(spec([stage({ poolReduce: 'sum' as never })]), 'stages[0].shape.poolReduce');
  });

  it('rejects shapes the target cannot have', () => {
    expect(rejects(spec([stage({ layers: 3 })]), 'stages[0].shape.layers')).toContain('allowed 1..2');
    // Rank must stay below min(d = 32, F/ffnDiv).
    expect(rejects(spec([stage({ ffnRank: 32 }), stage({})]), 'stages[0].shape.ffnRank')).toContain('1..31');
    rejects(spec([stage({ ffnDiv: 8, ffnRank: 16 }), stage({})]), 'stages[0].shape.ffnRank');
    // The stage model inherits the target's heads, which must still divide d.
    rejects(spec([stage({})]), 'stages[0].model.heads', { ...tiny, heads: 3 });
  });

  it('requires stages, a full-model last stage, and steps adding up to train.steps', () => {
    rejects(spec([]), 'stages', tiny, 10);
    expect(rejects(spec([stage({ layers: 1 })]), 'stages[0].shape.layers')).toContain('last stage must be the full target model');
    rejects(spec([stage({ ffnDiv: 2 })]), 'stages[0].shape.ffnDiv');
    rejects(spec([stage({ length: 'pool', lengthFactor: 2 })]), 'stages[0].shape.length');
    expect(rejects(spec([stage({ layers: 1 }, 10), stage({}, 20)]), 'train.steps', tiny, 25)).toContain('10 + 20 = 30');
  });

  it('collects every error at once, one per broken check, without echoes of an earlier one', () => {
    // Stage 0: steps and length factor wrong; stage 1 narrower than stage 0; the last stage not full width.
    const s = spec([stage({ length: 'pool', lengthFactor: 1 }, 0), stage({ ffnDiv: 4 }), stage({ ffnDiv: 2 })], { ops: { depth: 'stack', width: 'share', widthNoise: 2 } });
    const fields = collectErrors((checks) => validateSchedule(s, tiny, train(20), checks)).map((e) => e.field);
    // No growth check for stage 1 (its neighbour is invalid), no step-sum check (a stage's steps are).
    expect(fields).toEqual(['ops.widthNoise', 'stages[0].steps', 'stages[0].shape.lengthFactor', 'stages[2].shape.ffnDiv']);
    // Stopping at the first is the same rule set.
    expect(rejects(s, 'ops.widthNoise', tiny, 20)).toContain('[0, 1)');
    // A shape that is valid on its own but shrinks: growth and final-stage checks both speak.
    const shrink = spec([stage({ ffnDiv: 2 }), stage({ ffnDiv: 4 })]);
    expect(collectErrors((checks) => validateSchedule(shrink, tiny, train(20), checks)).map((e) => e.field)).toEqual(['stages[1].shape.ffnDiv', 'stages[1].shape.ffnDiv']);
  });
});

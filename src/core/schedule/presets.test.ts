import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { FLOPS_MODELS, FLOPS_MODEL_NAMES, layerFlops } from './flops.ts';
import { buildPreset, factorizeRank, msgPresetRamp, withRestartsOf } from './presets.ts';
import { DEFAULT_WIDTH_NOISE, PRESET_NAMES, stageLabel, type ScheduleSpec } from './spec.ts';
import { validateSchedule } from './validate.ts';

const summary = (s: ScheduleSpec) => s.stages.map((st) => [stageLabel(st.shape), st.steps]);

describe('buildPreset', () => {
  it('builds valid schedules with steps summing exactly, for every preset, size and step count', () => {
    for (const size of FLOPS_MODEL_NAMES) {
      const { model, seqLen } = FLOPS_MODELS[size];
      for (const name of PRESET_NAMES) {
        // msg has five stages at most sizes, so needs five steps.
        for (const total of name === 'msg' ? [5, 7, 11, 333, 1_000_000] : [4, 7, 11, 333, 1_000_000]) {
          const s = buildPreset(name, total, model);
          expect(s.preset).toBe(name);
          expect(s.stages.reduce((a, st) => a + st.steps, 0)).toBe(total);
          expect(s.stages.every((st) => st.steps >= 1)).toBe(true);
          expect(() => validateSchedule(s, model, { seqLen, steps: total })).not.toThrow();
          const labels = s.stages.map((st) => stageLabel(st.shape));
          expect(new Set(labels).size).toBe(labels.length);
        }
      }
    }
  });

  it("scales CompoundGrow's and stacking's proportions to BERT-base", () => {
    const bert = FLOPS_MODELS['bert-base'].model;
    expect(summary(buildPreset('compound', 1_000_000, bert))).toEqual([
      ['L3 · FFN/2 · pool 2', 200_000],
      ['L6 · FFN/2 · pool 2', 200_000],
      ['L12 · FFN/2 · pool 2', 300_000],
      ['L12', 300_000],
    ]);
    expect(summary(buildPreset('stack', 1_000_000, bert))).toEqual([['L3', 300_000], ['L6', 400_000], ['L12', 300_000]]);
    // Single-dimension presets treat exactly where compound does.
    expect(summary(buildPreset('depth', 1_000_000, bert))).toEqual([['L3', 200_000], ['L6', 200_000], ['L12', 600_000]]);
    expect(summary(buildPreset('length-pool', 1_000_000, bert))).toEqual([['L12 · pool 2', 700_000], ['L12', 300_000]]);
    expect(summary(buildPreset('width-share', 1_000_000, bert))).toEqual([['L12 · FFN/2', 700_000], ['L12', 300_000]]);
    expect(summary(buildPreset('length-truncate', 1_000_000, bert))).toEqual([['L12 · n/2', 700_000], ['L12', 300_000]]);
    expect(summary(buildPreset('baseline', 1_000_000, bert))).toEqual([['L12', 1_000_000]]);
  });

  it('merges stages that rounding makes identical (L = 2: L/4 and L/2 are both 1 layer)', () => {
    const tiny = FLOPS_MODELS.tiny.model;
    expect(summary(buildPreset('compound', 100, tiny))).toEqual([
      ['L1 · FFN/2 · pool 2', 40],
      ['L2 · FFN/2 · pool 2', 30],
      ['L2', 30],
    ]);
    expect(summary(buildPreset('stack', 100, tiny))).toEqual([['L1', 70], ['L2', 30]]);
  });

  it('rounds by largest remainder and gives every stage at least one step', () => {
    const bert = FLOPS_MODELS['bert-base'].model;
    // 11 × (20, 20, 30, 30)% = 2.2, 2.2, 3.3, 3.3: floors 2, 2, 3, 3 and the one left goes to the first .3.
    expect(buildPreset('compound', 11, bert).stages.map((s) => s.steps)).toEqual([2, 2, 4, 3]);
    // 3 × (20, 20, 60)% = 0.6, 0.6, 1.8: largest remainders give 1, 0, 2, then the empty stage borrows one.
    expect(buildPreset('depth', 3, bert).stages.map((s) => s.steps)).toEqual([1, 1, 1]);
  });

  it('uses the paper policies by default and takes overrides', () => {
    const lab = FLOPS_MODELS.lab.model;
    const d = buildPreset('compound', 100, lab);
    expect(d.stages.every((s) => s.lrPolicy === 'paper' && s.optPolicy === 'fresh')).toBe(true);
    expect(d.ops).toEqual({ depth: 'stack', width: 'share', widthNoise: DEFAULT_WIDTH_NOISE });
    expect(DEFAULT_WIDTH_NOISE).toBeGreaterThan(0);
    // The exact-copies control stays one option away.
    expect(buildPreset('width-share', 100, lab, { widthNoise: 0 }).ops.widthNoise).toBe(0);
    const o = buildPreset('compound', 100, lab, { lrPolicy: 'continue', optPolicy: 'carry', depth: 'interleave', width: 'random', widthNoise: 0.01, poolReduce: 'max' });
    expect(o.stages.every((s) => s.lrPolicy === 'continue' && s.optPolicy === 'carry')).toBe(true);
    expect(o.ops).toEqual({ depth: 'interleave', width: 'random', widthNoise: 0.01 });
    expect(stageLabel(o.stages[0].shape)).toBe('L2 · FFN/2 · max-pool 2');
  });

  it("scales LiGO's BERT-Small → BERT-Base growth: L/2, d/2 at the head dimension, F/2 for 30%; 100 operator steps", () => {
    const bert = FLOPS_MODELS['bert-base'].model;
    const s = buildPreset('ligo', 1_000_000, bert);
    expect(s.stages.map((st) => [stageLabel(st.shape, bert), st.steps])).toEqual([
      ['L6 · d384 · H6 · FFN/2', 300_000],
      ['L12', 700_000],
    ]);
    expect(s.ops).toEqual({ depth: 'stack', width: 'share', widthNoise: DEFAULT_WIDTH_NOISE, ligoSteps: 100 });
    expect(buildPreset('ligo', 200, bert).ops.ligoSteps).toBe(10);
    expect(buildPreset('compound', 100, bert).ops.ligoSteps).toBeUndefined();
  });

  it("scales bert2BERT's width growth: d/2 at every head (the head dimension grows) and F/2 at full depth for 30%, by AKI", () => {
    for (const [size, small] of [['tiny', 'L2 · d16 · H2 · FFN/2'], ['small', 'L4 · d64 · H4 · FFN/2']] as const) {
      const { model, seqLen } = FLOPS_MODELS[size];
      const s = buildPreset('bert2bert', 200, model);
      expect(s.stages.map((st) => [stageLabel(st.shape, model), st.steps])).toEqual([[small, 60], [`L${model.layers}`, 140]]);
      expect(s.stages[0].shape.headsDiv).toBeUndefined();
      expect(s.stages.reduce((a, st) => a + st.steps, 0)).toBe(200);
      expect(s.ops).toEqual({ depth: 'stack', width: 'share', widthNoise: DEFAULT_WIDTH_NOISE, hidden: 'aki' });
      expect(() => validateSchedule(s, model, { seqLen, steps: 200 })).not.toThrow();
    }
    // An odd head dimension cannot halve at fixed heads: d stays and only the FFN grows.
    const odd = { ...FLOPS_MODELS.tiny.model, hidden: 36, heads: 4 };
    expect(summary(buildPreset('bert2bert', 100, odd))).toEqual([['L2 · FFN/2', 30], ['L2', 70]]);
    // The hidden operator is an option like the others; the default (tile) is left unnamed, as an absent ops.hidden means it.
    expect(buildPreset('bert2bert', 100, FLOPS_MODELS.tiny.model, { hidden: 'fpi' }).ops.hidden).toBe('fpi');
    expect(buildPreset('bert2bert', 100, FLOPS_MODELS.tiny.model, { hidden: 'tile' }).ops.hidden).toBeUndefined();
    expect(buildPreset('compound', 100, FLOPS_MODELS.tiny.model).ops.hidden).toBeUndefined();
  });

  it("scales MSG's BERT schedule: FFN at 10%, depth at 20%, d with the heads at 30%, depth at 50%, ramps of 5%", () => {
    const bert = FLOPS_MODELS['bert-base'].model;
    const s = buildPreset('msg', 1_000_000, bert);
    expect(s.stages.map((st) => [stageLabel(st.shape, bert), st.steps])).toEqual([
      ['L3 · d384 · H6 · FFN/2', 100_000],
      ['L3 · d384 · H6', 100_000],
      ['L6 · d384 · H6', 100_000],
      ['L6', 200_000],
      ['L12', 500_000],
    ]);
    expect(s.ops).toEqual({ depth: 'stack', width: 'share', widthNoise: DEFAULT_WIDTH_NOISE, msgRamp: 50_000 });
    expect(msgPresetRamp(1_000_000)).toBe(50_000);
    expect(msgPresetRamp(10)).toBe(1);
    // At 7 steps every stage has one or two, so the ramp is one step; an explicit ramp wins.
    expect(buildPreset('msg', 7, bert).ops.msgRamp).toBe(1);
    expect(buildPreset('msg', 1000, bert, { msgRamp: 20 }).ops.msgRamp).toBe(20);
    // MSG applies to any preset when asked; none has it by default.
    expect(buildPreset('compound', 100, bert, { msgRamp: 5 }).ops.msgRamp).toBe(5);
    expect(buildPreset('compound', 100, bert).ops.msgRamp).toBeUndefined();
    // Odd heads cannot halve: the d-and-heads treatment is left out.
    const odd = { ...bert, heads: 3, hidden: 768 };
    expect(buildPreset('msg', 100, odd).stages.every((st) => st.shape.headsDiv === undefined)).toBe(true);
  });

  it("picks the factorization rank that costs what width-share's F/2 costs", () => {
    const bert = FLOPS_MODELS['bert-base'].model;
    // 768·3072 / (2·(768 + 3072)) = 307.2.
    expect(factorizeRank(bert)).toBe(307);
    const rows = { batchSize: 1, queryLen: 1, keyLen: 1 };
    const factorized = layerFlops({ ...bert, ffnRank: 307 }, rows).ffn;
    const half = layerFlops({ ...bert, ffn: 1536 }, rows).ffn;
    expect(Math.abs(factorized / half - 1)).toBeLessThan(1e-3);
    expect(buildPreset('width-factorize', 10, bert).stages[0].shape.ffnRank).toBe(307);
  });

  it('rejects unknown presets and too few steps', () => {
    const tiny = FLOPS_MODELS.tiny.model;
    expect(() => buildPreset('fast' as never, 100, tiny)).toThrow(ConfigError);
    try {
      buildPreset('fast' as never, 100, tiny);
    } catch (e) {
      expect((e as ConfigError).field).toBe('preset');
    }
    for (const bad of [3, 0, 10.5]) {
      try {
        buildPreset('compound', bad, FLOPS_MODELS.small.model);
        throw new Error('accepted');
      } catch (e) {
        expect((e as ConfigError).field).toBe('steps');
      }
    }
  });
});

describe('withRestartsOf', () => {
  it("cuts the baseline at compound's boundaries: full shape, compound's steps and policies, a valid schedule", () => {
    const { model, seqLen } = FLOPS_MODELS.small;
    const compound = buildPreset('compound', 1000, model);
    const r = withRestartsOf(buildPreset('baseline', 1000, model), compound);
    // small has L4: compound is 20/20/30/30% at L1, L2, L4 (FFN/2, pool 2), then L4 full.
    expect(summary(r)).toEqual([['L4', 200], ['L4', 200], ['L4', 300], ['L4', 300]]);
    expect(r.stages.map((s) => s.steps)).toEqual(compound.stages.map((s) => s.steps));
    expect(r.stages.every((s) => s.lrPolicy === 'paper' && s.optPolicy === 'fresh')).toBe(true);
    expect(r.preset).toBe('custom');
    expect(() => validateSchedule(r, model, { seqLen, steps: 1000 })).not.toThrow();
    const carried = withRestartsOf(buildPreset('baseline', 1000, model), buildPreset('compound', 1000, model, { lrPolicy: 'rewind', optPolicy: 'carry' }));
    expect(carried.stages.every((s) => s.lrPolicy === 'rewind' && s.optPolicy === 'carry')).toBe(true);
  });

  it('refuses a baseline with more than one stage or a different step count, naming the field', () => {
    const { model } = FLOPS_MODELS.small;
    const compound = buildPreset('compound', 1000, model);
    expect(() => withRestartsOf(compound, compound)).toThrow(ConfigError);
    expect(() => withRestartsOf(compound, compound)).toThrow(/single full-size stage/);
    try {
      withRestartsOf(buildPreset('baseline', 999, model), compound);
      throw new Error('accepted');
    } catch (e) {
      expect((e as ConfigError).field).toBe('steps');
    }
  });
});

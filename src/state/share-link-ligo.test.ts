import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.ts';
import { SIZES } from '../core/model/config.ts';
import { buildPreset, ligoPresetSteps } from '../core/schedule/presets.ts';
import { initialBuilder, useBuilder, type BuilderState } from './builder.ts';
import { presetDims } from './dims.ts';
import { builderSchedule, buildExperiment, presetVariant } from './experiment.ts';
import { decodeShareLink, encodeShareLink } from './share-link.ts';

/* LiGO in the lab: the toggle and its operator steps (`ligo` key), ops.ligoSteps of hand-edited stages, the ligo preset. */

const bad = (hash: string): string => {
  try {
    decodeShareLink(hash);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('LiGO in share links and the builder', () => {
  it('round-trips the toggle and its steps, which reach the schedule as ops.ligoSteps', () => {
    const s0 = initialBuilder();
    const s: BuilderState = { ...s0, dims: { ...s0.dims, ligo: { on: true, steps: 7 } } };
    const link = encodeShareLink(s);
    expect(decodeURIComponent(link)).toContain('ligo=on_7');
    const back = decodeShareLink(link);
    expect(back.warnings).toEqual([]);
    expect(back.state.dims.ligo).toEqual({ on: true, steps: 7 });
    // compound (the default preset) with LiGO on: same stages, learned growths.
    const schedule = builderSchedule(back.state);
    expect(schedule.preset).toBe('compound');
    expect(schedule.ops.ligoSteps).toBe(7);
    expect(buildExperiment(back.state).issues).toEqual([]);
  });

  it('reads links without the ligo key or steps tail as before: LiGO off', () => {
    const old = decodeShareLink('#v=3&size=tiny&steps=300&source=hand&stages=1_1_0_full_1_mean_150_paper_carry~2_1_0_full_1_mean_150_paper_carry&ops=stack_share_0_tile_msg5');
    expect(old.state.dims.ligo.on).toBe(false);
    expect(old.state.handOps).toEqual({ depth: 'stack', width: 'share', widthNoise: 0, hidden: 'tile', msgRamp: 5 });
    expect(encodeShareLink(initialBuilder())).toBe('#v=3');
  });

  it('carries the steps of hand-edited stages last in ops, after a hidden operator and an MSG ramp, or alone', () => {
    const s0 = initialBuilder();
    const opsList = [{ ...s0.handOps, ligoSteps: 3 }, { ...s0.handOps, hidden: 'fpi' as const, ligoSteps: 12 }, { ...s0.handOps, hidden: 'aki' as const, msgRamp: 4, ligoSteps: 9 }];
    for (const ops of opsList) {
      const s: BuilderState = { ...s0, source: 'hand', handStages: buildPreset('depth', 200, SIZES.tiny.model).stages, handOps: ops };
      const link = decodeURIComponent(encodeShareLink(s));
      expect(link).toMatch(new RegExp(`&ops=[^&]*_ligo${ops.ligoSteps}(&|$)`));
      expect(decodeShareLink(encodeShareLink(s)).state.handOps).toEqual(ops);
    }
  });

  it('names the field of a bad ligo value, and loads LiGO with MSG with the validator\'s field in the warning', () => {
    expect(bad('#v=3&ligo=on')).toMatch(/^ligo: .*should have 2 parts, on\|off_steps/);
    expect(bad('#v=3&ligo=yes_4')).toMatch(/^ligo: .*"yes" is not one of on, off/);
    expect(bad('#v=3&ligo=on_x')).toMatch(/^ligo\.steps: /);
    expect(bad('#v=3&ops=stack_share_0_ligox')).toMatch(/^ops\.ligoSteps: /);
    expect(bad('#v=3&ops=stack_share_0_ligo3_msg2')).toMatch(/^ops\.hidden: /);
    expect(bad('#v=3&ops=stack_share_0_tile_fpi_msg2_ligo3')).toMatch(/^ops: .*should have 3 to 6 parts/);
    expect(bad('#v=3&ops=stack_share_0_tile_fpi_ligo3')).toMatch(/^ops: .*at most a hidden operator and an MSG ramp/);
    const both = decodeShareLink('#v=3&msg=on_5&ligo=on_5');
    expect(both.warnings.join(' ')).toMatch(/ops\.ligoSteps: LiGO and MSG .* cannot be combined/);
    const zero = decodeShareLink('#v=3&ligo=on_0');
    expect(zero.warnings.join(' ')).toMatch(/ops\.ligoSteps: /);
  });

  it("the ligo preset turns LiGO on at its steps, follows the run's length, and can be switched off", () => {
    const s0 = initialBuilder();
    const model = SIZES.tiny.model;
    const s: BuilderState = { ...s0, preset: 'ligo', dims: presetDims('ligo', model, 400), totalSteps: 400 };
    const schedule = builderSchedule(s);
    expect(schedule.ops.ligoSteps).toBe(ligoPresetSteps(400));
    expect(schedule).toEqual(buildPreset('ligo', 400, model));
    expect(buildExperiment(s).issues).toEqual([]);
    const off = builderSchedule({ ...s, dims: { ...s.dims, ligo: { ...s.dims.ligo, on: false } } });
    expect(off.ops.ligoSteps).toBeUndefined();
    expect(off.stages).toEqual(schedule.stages);
    // Queued from a builder with LiGO off, the ligo preset still learns its growth; with MSG on, it drops the masks.
    expect(presetVariant({ ...s0, totalSteps: 400 }, 'ligo').schedule!.ops.ligoSteps).toBe(20);
    const masked: BuilderState = { ...s0, totalSteps: 400, dims: { ...s0.dims, msg: { on: true, ramp: 5 } } };
    const ligo = presetVariant(masked, 'ligo');
    expect(ligo.schedule!.ops).toMatchObject({ ligoSteps: 20 });
    expect(ligo.schedule!.ops.msgRamp).toBeUndefined();
    expect(ligo.issues).toEqual([]);
    expect(presetVariant(masked, 'compound').schedule!.ops.ligoSteps).toBeUndefined();
    // The msg preset, queued with LiGO on, masks and drops LiGO.
    const learned: BuilderState = { ...s0, totalSteps: 400, dims: { ...s0.dims, ligo: { on: true, steps: 8 } } };
    expect(presetVariant(learned, 'msg').schedule!.ops).toMatchObject({ msgRamp: 20 });
    expect(presetVariant(learned, 'msg').schedule!.ops.ligoSteps).toBeUndefined();
  });

  it('choosing the ligo preset turns the toggle on (MSG off) at its steps, which follow the total steps; another preset keeps the choice', () => {
    useBuilder.setState(initialBuilder());
    const b = () => useBuilder.getState();
    b().setDims({ ...b().dims, msg: { on: true, ramp: 3 } });
    b().choosePreset('ligo', [], b().handOps);
    expect(b().dims.ligo).toEqual({ on: true, steps: ligoPresetSteps(b().totalSteps) });
    expect(b().dims.msg).toEqual({ on: false, ramp: 3 });
    b().setTotalSteps(1000);
    expect(b().dims.ligo.steps).toBe(50);
    // Capped at the paper's 100 steps.
    b().setTotalSteps(10000);
    expect(b().dims.ligo.steps).toBe(100);
    b().choosePreset('compound', [], b().handOps);
    expect(b().dims.ligo).toEqual({ on: true, steps: 100 });
    expect(builderSchedule(b()).ops.ligoSteps).toBe(100);
    b().choosePreset('msg', [], b().handOps);
    expect(b().dims.ligo.on).toBe(false);
    expect(b().dims.msg.on).toBe(true);
    useBuilder.setState(initialBuilder());
  });

  it("the ligo preset's toggles grow what it grows: depth, FFN share, d with the heads (every head when they are odd)", () => {
    const even = presetDims('ligo', SIZES.tiny.model, 200);
    expect([even.depth.on, even.width.on, even.width.mode, even.length.on]).toEqual([true, true, 'share', false]);
    expect(even.hidden).toMatchObject({ on: true, factor: 2, heads: 2 });
    expect(presetDims('ligo', { ...SIZES.tiny.model, heads: 1 }, 200).hidden).toMatchObject({ on: true, factor: 2, heads: 1 });
    expect(presetDims('ligo', { ...SIZES.tiny.model, hidden: 33, heads: 3 }, 200).hidden.on).toBe(false);
  });
});

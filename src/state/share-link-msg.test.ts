import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.ts';
import { SIZES } from '../core/model/config.ts';
import { buildPreset, msgPresetRamp } from '../core/schedule/presets.ts';
import { initialBuilder, useBuilder, type BuilderState } from './builder.ts';
import { builderSchedule, buildExperiment, presetVariant } from './experiment.ts';
import { decodeShareLink, encodeShareLink } from './share-link.ts';

/* MSG in the lab: the toggle and ramp (`msg` key), ops.msgRamp of hand-edited stages, the msg preset. */

const bad = (hash: string): string => {
  try {
    decodeShareLink(hash);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('MSG in share links and the builder', () => {
  it('round-trips the toggle and its ramp, which reach the schedule as ops.msgRamp', () => {
    const s0 = initialBuilder();
    const s: BuilderState = { ...s0, dims: { ...s0.dims, msg: { on: true, ramp: 7 } } };
    const link = encodeShareLink(s);
    expect(decodeURIComponent(link)).toContain('msg=on_7');
    const back = decodeShareLink(link);
    expect(back.warnings).toEqual([]);
    expect(back.state.dims.msg).toEqual({ on: true, ramp: 7 });
    // compound (the default preset) with MSG on: same stages, masked growths.
    const schedule = builderSchedule(back.state);
    expect(schedule.preset).toBe('compound');
    expect(schedule.ops.msgRamp).toBe(7);
    expect(buildExperiment(back.state).issues).toEqual([]);
  });

  it('reads links without the msg key or ramp tail as before: MSG off', () => {
    const old = decodeShareLink('#v=3&size=tiny&steps=300&source=hand&stages=1_1_0_full_1_mean_150_paper_carry~2_1_0_full_1_mean_150_paper_carry&ops=stack_share_0_tile');
    expect(old.state.dims.msg.on).toBe(false);
    expect(old.state.handOps).toEqual({ depth: 'stack', width: 'share', widthNoise: 0, hidden: 'tile' });
    expect(encodeShareLink(initialBuilder())).toBe('#v=3');
  });

  it('carries the ramp of hand-edited stages after the hidden operator, or alone', () => {
    const s0 = initialBuilder();
    for (const ops of [{ ...s0.handOps, hidden: 'fpi' as const, msgRamp: 12 }, { ...s0.handOps, msgRamp: 3 }]) {
      const s: BuilderState = { ...s0, source: 'hand', handStages: buildPreset('depth', 200, SIZES.tiny.model).stages, handOps: ops };
      const link = decodeURIComponent(encodeShareLink(s));
      expect(link).toContain(`_msg${ops.msgRamp}`);
      expect(decodeShareLink(encodeShareLink(s)).state.handOps).toEqual(ops);
    }
  });

  it('names the field of a bad msg value', () => {
    expect(bad('#v=3&msg=on')).toMatch(/^msg: .*should have 2 parts, on\|off_ramp/);
    expect(bad('#v=3&msg=yes_4')).toMatch(/^msg: .*"yes" is not one of on, off/);
    expect(bad('#v=3&msg=on_x')).toMatch(/^msg\.ramp: /);
    expect(bad('#v=3&ops=stack_share_0_msgx')).toMatch(/^ops\.msgRamp: /);
    expect(bad('#v=3&ops=stack_share_0_tile_fpi')).toMatch(/^ops: .*at most a hidden operator and an MSG ramp/);
    // A ramp longer than a growing stage loads, with the validator's field in the warning.
    const long = decodeShareLink('#v=3&msg=on_500');
    expect(long.warnings.join(' ')).toMatch(/ops\.msgRamp/);
  });

  it("the msg preset turns MSG on at 5% of the run, follows the run's length, and can be switched off", () => {
    const s0 = initialBuilder();
    const s: BuilderState = { ...s0, preset: 'msg', dims: { ...s0.dims, msg: { on: true, ramp: msgPresetRamp(400) } }, totalSteps: 400 };
    const schedule = builderSchedule(s);
    expect(schedule.ops.msgRamp).toBe(20);
    expect(schedule.stages.map((st) => st.steps)).toEqual(buildPreset('msg', 400, SIZES.tiny.model).stages.map((st) => st.steps));
    expect(buildExperiment(s).issues).toEqual([]);
    const off = builderSchedule({ ...s, dims: { ...s.dims, msg: { ...s.dims.msg, on: false } } });
    expect(off.ops.msgRamp).toBeUndefined();
    expect(off.stages).toEqual(schedule.stages);
    // Queued from a builder with MSG off, the msg preset still masks.
    expect(presetVariant({ ...s0, totalSteps: 400 }, 'msg').schedule!.ops.msgRamp).toBe(20);
    expect(presetVariant({ ...s0, totalSteps: 400 }, 'compound').schedule!.ops.msgRamp).toBeUndefined();
  });

  it('choosing the msg preset turns the toggle on at its ramp, which follows the total steps; another preset keeps the choice', () => {
    useBuilder.setState(initialBuilder());
    const b = () => useBuilder.getState();
    b().choosePreset('msg', [], b().handOps);
    expect(b().dims.msg).toEqual({ on: true, ramp: msgPresetRamp(b().totalSteps) });
    b().setTotalSteps(1000);
    expect(b().dims.msg.ramp).toBe(50);
    b().choosePreset('compound', [], b().handOps);
    expect(b().dims.msg).toEqual({ on: true, ramp: 50 });
    expect(builderSchedule(b()).ops.msgRamp).toBe(50);
    useBuilder.setState(initialBuilder());
  });
});

import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.ts';
import { HIDDEN_OP_NAMES, type StageShape, type StageSpec } from '../core/schedule/spec.ts';
import { initialBuilder, useBuilder, type BuilderState } from './builder.ts';
import { hiddenOperators } from './dims.ts';
import { buildExperiment } from './experiment.ts';
import { decodeShareLink, encodeShareLink } from './share-link.ts';

/* The link codec carrying hidden size and heads growth: hiddenDiv/headsDiv per stage, ops.hidden. */

const full: StageShape = { layers: 2, ffnDiv: 1, ffnRank: 0, length: 'full', lengthFactor: 1, poolReduce: 'mean' };
const stage = (shape: Partial<StageShape>, steps: number): StageSpec => ({ shape: { ...full, ...shape }, steps, lrPolicy: 'paper', optPolicy: 'carry' });

/** A hand-edited tiny schedule: d8 with 1 head → d16 with 2 → the full d32 (300 steps in all). */
function grownByHand(): BuilderState {
  const s = initialBuilder();
  return {
    ...s,
    size: 'tiny',
    totalSteps: 300,
    source: 'hand',
    handStages: [stage({ hiddenDiv: 4, headsDiv: 2 }, 100), stage({ hiddenDiv: 2, headsDiv: 1 }, 100), stage({}, 100)],
    handOps: { ...s.handOps, hidden: 'tile' },
  };
}

describe('share links with d and heads growth', () => {
  it('round-trips hiddenDiv, headsDiv and ops.hidden, and the experiment they build', () => {
    const s = grownByHand();
    const link = encodeShareLink(s);
    expect(link).toMatch(/^#v=3&/);
    expect(decodeURIComponent(link)).toContain('stages=2_1_0_full_1_mean_100_paper_carry_4_2~2_1_0_full_1_mean_100_paper_carry_2_1~2_1_0_full_1_mean_100_paper_carry&');
    expect(decodeURIComponent(link)).toMatch(/ops=stack_share_[\d.]+_tile(&|$)/);
    const back = decodeShareLink(link);
    expect(back.warnings).toEqual([]);
    expect(back.state.handStages).toEqual(s.handStages);
    expect(back.state.handOps).toEqual(s.handOps);
    const built = buildExperiment(back.state);
    expect(built.issues).toEqual([]);
    expect(built.config!.schedule.stages.map((st) => st.shape.hiddenDiv ?? 1)).toEqual([4, 2, 1]);
  });

  it('writes stages and ops without d or heads exactly as before, so older links read unchanged', () => {
    const s = { ...grownByHand(), handStages: [stage({ layers: 1 }, 150), stage({}, 150)], handOps: initialBuilder().handOps };
    const link = decodeURIComponent(encodeShareLink(s));
    expect(link).toContain('stages=1_1_0_full_1_mean_150_paper_carry~2_1_0_full_1_mean_150_paper_carry');
    expect(link).not.toContain('ops=');
    const old = decodeShareLink('#v=3&size=tiny&steps=300&source=hand&stages=1_1_0_full_1_mean_150_paper_carry~2_1_0_full_1_mean_150_paper_carry&ops=stack_share_0');
    expect(old.state.handStages.map((st) => st.shape)).toEqual([{ ...full, layers: 1 }, full]);
    expect(old.state.handOps).toEqual({ depth: 'stack', width: 'share', widthNoise: 0 });
  });

  it('names the field of a malformed tail', () => {
    const bad = (hash: string) => {
      try {
        decodeShareLink(hash);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return `${(e as ConfigError).field}: ${(e as Error).message}`;
      }
      throw new Error('expected a ConfigError');
    };
    expect(bad('#v=3&source=hand&stages=2_1_0_full_1_mean_100_paper_carry_2')).toMatch(/^stages\[0\]: .*should have 9 or 11 parts/);
    expect(bad('#v=3&source=hand&stages=2_1_0_full_1_mean_100_paper_carry_x_1')).toMatch(/^stages\[0\]\.hiddenDiv: /);
    // The allowed list is the schedule spec's, which grows as operators are added.
    expect(bad('#v=3&ops=stack_share_0_wide')).toMatch(new RegExp(`^ops\\.hidden: .*"wide" is not one of ${HIDDEN_OP_NAMES.join(', ')}$`));
    expect(bad('#v=3&hidden=on_tile_2')).toMatch(/^hidden: .*should have 4 parts, on\|off_op_factor_heads/);
    expect(bad('#v=3&hidden=yes_tile_2_1')).toMatch(/^hidden: .*"yes" is not one of on, off/);
    expect(bad('#v=3&hidden=on_wide_2_1')).toMatch(/^hidden\.op: .*"wide" is not one of tile/);
    expect(bad('#v=3&hidden=on_tile_two_1')).toMatch(/^hidden\.factor: /);
    expect(bad('#v=3&hidden=on_tile_2_x')).toMatch(/^hidden\.heads: /);
  });

  it('loads a link whose d does not divide into its heads, warning with the field', () => {
    const s = { ...grownByHand(), handStages: [stage({ headsDiv: 2 }, 150), stage({}, 150)] };
    const back = decodeShareLink(encodeShareLink(s));
    expect(back.warnings.join(' ')).toMatch(/stages\[1\]\.shape\.headsDiv: .*heads\.split is not supported/);
  });
});

/** The builder's data, without its actions. */
function snapshot(): BuilderState {
  const { set: _set, setNorm: _n, setPolicies: _p, setSize: _s, setTotalSteps: _t, choosePreset: _c, setDims: _d, editStages: _e, ...data } = useBuilder.getState();
  return data;
}

describe('share links with the Grow hidden toggle and the stage divisor fields', () => {
  it('round-trips the toggle (operator, k, m) and the schedule it builds', () => {
    useBuilder.setState(initialBuilder());
    const b = useBuilder.getState();
    const d = b.dims;
    b.setDims({ ...d, depth: { ...d.depth, on: false }, width: { ...d.width, on: false }, length: { ...d.length, on: false }, hidden: { on: true, op: 'tile', factor: 4, heads: 2 } });
    const s = snapshot();
    const link = decodeURIComponent(encodeShareLink(s));
    expect(link).toContain('&source=dims&');
    expect(link).toContain('&hidden=on_tile_4_2');
    const back = decodeShareLink(link);
    expect(back.warnings).toEqual([]);
    expect(back.state).toEqual(s);
    const built = buildExperiment(back.state);
    expect(built.issues).toEqual([]);
    expect(built.config!.schedule.stages.map((st) => [st.shape.hiddenDiv ?? 1, st.shape.headsDiv ?? 1])).toEqual([
      [4, 2],
      [1, 1],
    ]);
    expect(built.config).toEqual(buildExperiment(s).config);
  });

  it('leaves the key out at the default, and reads a link without it with the toggle off', () => {
    expect(encodeShareLink(initialBuilder())).toBe('#v=3');
    expect(decodeShareLink('#v=3&seed=4').state.dims.hidden).toEqual(initialBuilder().dims.hidden);
    expect(decodeShareLink('#v=2&seed=4').state.dims.hidden).toEqual(initialBuilder().dims.hidden);
  });

  it('round-trips every hidden operator the lab offers, in the toggle and in hand-edited ops', () => {
    for (const { op } of hiddenOperators()) {
      useBuilder.setState(initialBuilder());
      const b = useBuilder.getState();
      b.setDims({ ...b.dims, hidden: { ...b.dims.hidden, on: true, op } });
      const shown = buildExperiment(snapshot()).schedule!;
      useBuilder.getState().choosePreset('custom', shown.stages, shown.ops);
      const s = snapshot();
      expect(s.handOps.hidden).toBe(op === 'tile' ? undefined : op);
      const back = decodeShareLink(encodeShareLink(s));
      expect(back.state).toEqual(s);
      expect(buildExperiment(back.state).config).toEqual(buildExperiment(s).config);
    }
  });

  it('round-trips stages edited through the divisor fields, which set both divisors', () => {
    // The stage fields write hiddenDiv and headsDiv together, so a stage reads back as it was written.
    const s = { ...grownByHand(), handStages: [stage({ hiddenDiv: 2, headsDiv: 1 }, 100), stage({ hiddenDiv: 1, headsDiv: 1 }, 200)] };
    const back = decodeShareLink(encodeShareLink(s));
    expect(back.state.handStages).toEqual(s.handStages);
    expect(buildExperiment(back.state).issues).toEqual([]);
    // An emptied divisor field (NaN) round-trips too, and is shown as that field's issue.
    const emptied = { ...s, handStages: [stage({ hiddenDiv: Number.NaN, headsDiv: 1 }, 100), s.handStages[1]] };
    const again = decodeShareLink(encodeShareLink(emptied));
    expect(again.state.handStages[0].shape.hiddenDiv).toBeNaN();
    expect(buildExperiment(again.state).issues.map((i) => i.field)).toContain('stages[0].shape.hiddenDiv');
  });
});

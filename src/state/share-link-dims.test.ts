import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.ts';
import type { StageShape, StageSpec } from '../core/schedule/spec.ts';
import { initialBuilder, type BuilderState } from './builder.ts';
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
    expect(bad('#v=3&ops=stack_share_0_fpi')).toMatch(/^ops\.hidden: .*"fpi" is not one of tile, random/);
  });

  it('loads a link whose d does not divide into its heads, warning with the field', () => {
    const s = { ...grownByHand(), handStages: [stage({ headsDiv: 2 }, 150), stage({}, 150)] };
    const back = decodeShareLink(encodeShareLink(s));
    expect(back.warnings.join(' ')).toMatch(/stages\[1\]\.shape\.headsDiv: .*heads\.split is not supported/);
  });
});

import { describe, expect, it } from 'vitest';
import { GROWTH_OPERATORS } from '../core/growth/registry.ts';
import { SIZES } from '../core/model/config.ts';
import { buildPreset } from '../core/schedule/presets.ts';
import { HIDDEN_OP_NAMES, type StageShape, type StageSpec } from '../core/schedule/spec.ts';
import { DEFAULT_LR_POLICY } from '../core/train/lr.ts';
import { initialBuilder, useBuilder, type BuilderState } from './builder.ts';
import { headsOperators, hiddenOperators, matchingPreset, opsOf, presetDims, scheduleFromDims, shapeKey, type Dims } from './dims.ts';
import { buildExperiment, builderSchedule, presetVariant } from './experiment.ts';

/* The Grow hidden toggle and the stages' d and heads divisors, from the builder's state to the core's checks. */

const policies = { lrPolicy: DEFAULT_LR_POLICY, optPolicy: 'fresh' } as const;
const tinyModel = SIZES.tiny.model;

/** Only the hidden toggle on (tiny: d32, 2 heads). */
function hiddenOnly(hidden: Partial<Dims['hidden']>): Dims {
  const d = presetDims('baseline', tinyModel);
  return { ...d, hidden: { ...d.hidden, on: true, ...hidden } };
}

const full: StageShape = { layers: 2, ffnDiv: 1, ffnRank: 0, length: 'full', lengthFactor: 1, poolReduce: 'mean' };
const stage = (shape: Partial<StageShape>, steps = 10): StageSpec => ({ shape: { ...full, ...shape }, steps, lrPolicy: 'paper', optPolicy: 'carry' });
const tiny = (patch: Partial<BuilderState>): BuilderState => ({ ...initialBuilder(), totalSteps: 30, evalEvery: 10, ...patch });
const fields = (s: BuilderState) => buildExperiment(s).issues.map((i) => i.field);

describe('the hidden operators the lab offers', () => {
  it("are the growth registry's hidden.* operators, in its order, each one a schedule can name", () => {
    // The hidden.*+msg variants are what ops.msgRamp makes of these, not operators ops.hidden names.
    const registry = GROWTH_OPERATORS.filter((o) => o.dimension === 'hidden' && !o.msg).map((o) => o.id);
    // A registry operator missing here is one ops.hidden (HIDDEN_OP_NAMES in schedule/spec.ts) does not accept yet.
    expect(hiddenOperators().map((h) => h.operator.id)).toEqual(registry);
    expect(hiddenOperators().map((h) => `hidden.${h.op}`)).toEqual(registry);
    expect([...HIDDEN_OP_NAMES].sort()).toEqual(hiddenOperators().map((h) => h.op).sort());
    expect(hiddenOperators()[0].op).toBe('tile');
  });

  it('the heads grow by the registry heads operators', () => {
    expect(headsOperators().map((o) => o.id)).toContain('heads.add');
  });
});

describe('scheduleFromDims with Grow hidden', () => {
  it('trains the grown-from stages at d/k with H/m heads, then the full model', () => {
    const s = scheduleFromDims(hiddenOnly({ factor: 4, heads: 2 }), 10, tinyModel, policies);
    expect(s.preset).toBe('custom');
    // Three identical treated stages (20/20/30) merge into one 70% stage; the full one keeps 30%.
    expect(s.stages.map((st) => [st.shape.hiddenDiv, st.shape.headsDiv, st.steps])).toEqual([
      [4, 2, 7],
      [undefined, undefined, 3],
    ]);
    expect(s.ops).toEqual({ depth: 'stack', width: 'share', widthNoise: expect.any(Number) });
  });

  it('combines with the other toggles, and names its operator in the ops only when it is not the default', () => {
    const d = presetDims('compound', tinyModel);
    d.hidden = { on: true, op: 'random', factor: 2, heads: 1 };
    const s = scheduleFromDims(d, 40, tinyModel, policies);
    expect(s.stages.map((st) => [st.shape.layers, st.shape.ffnDiv, st.shape.hiddenDiv ?? 1, st.shape.headsDiv ?? 1])).toEqual([
      [1, 2, 2, 1],
      [2, 2, 2, 1],
      [2, 1, 1, 1],
    ]);
    expect(s.ops.hidden).toBe('random');
    expect(opsOf({ ...d, hidden: { ...d.hidden, op: 'tile' } }).hidden).toBeUndefined();
  });

  it('is part of the shape key: on, a preset no longer matches; only the operator changed, it still does', () => {
    const d = presetDims('compound', tinyModel);
    expect(matchingPreset({ ...d, hidden: { ...d.hidden, on: true } }, tinyModel)).toBe('custom');
    expect(matchingPreset({ ...d, hidden: { ...d.hidden, op: 'random' } }, tinyModel)).toBe('compound');
    expect(shapeKey({ ...d, hidden: { ...d.hidden, on: true, factor: 4 } })).not.toBe(shapeKey({ ...d, hidden: { ...d.hidden, on: true, factor: 2 } }));
  });

  it("names the toggle's own field for a factor that is no growth", () => {
    expect(() => scheduleFromDims(hiddenOnly({ factor: 1 }), 10, tinyModel, policies)).toThrow(/^dims\.hidden\.factor: .*at least 2, got 1/);
    expect(() => scheduleFromDims(hiddenOnly({ heads: 0 }), 10, tinyModel, policies)).toThrow(/^dims\.hidden\.heads: .*at least 1, got 0/);
    expect(() => scheduleFromDims(hiddenOnly({ heads: Number.NaN }), 10, tinyModel, policies)).toThrow(/^dims\.hidden\.heads/);
    expect(fields(tiny({ source: 'dims', dims: hiddenOnly({ factor: 1 }) }))).toContain('dims.hidden.factor');
  });
});

describe('the builder: the core validation of d and heads, each under its field', () => {
  it('a toggle-built schedule that grows d and heads (tiny, d8 with 1 head, then d32 with 2) is valid, with its FLOPs plan', () => {
    const b = buildExperiment(tiny({ source: 'dims', dims: hiddenOnly({ factor: 4, heads: 2 }) }));
    expect(b.issues).toEqual([]);
    expect(b.plan!.flopsSpeedup).toBeGreaterThan(1);
  });

  it('a k or m the target does not divide: the generated stage field the toggle maps back to', () => {
    const k = buildExperiment(tiny({ source: 'dims', dims: hiddenOnly({ factor: 64 }) }));
    expect(k.issues[0]).toEqual({ field: 'stages[0].shape.hiddenDiv', message: expect.stringMatching(/hidden size 32 is not divisible by 64; valid divisors: 1, 2, 4, 8, 16, 32$/) });
    const m = buildExperiment(tiny({ source: 'dims', dims: hiddenOnly({ factor: 4, heads: 4 }) }));
    expect(m.issues[0]).toEqual({ field: 'stages[0].shape.headsDiv', message: expect.stringMatching(/head count 2 is not divisible by 4/) });
  });

  it('hand-edited stages: d not divisible by the heads, on the heads field', () => {
    const s = tiny({ source: 'hand', handStages: [stage({ hiddenDiv: 32, headsDiv: 1 }), stage({}, 20)] });
    const issue = buildExperiment(s).issues.find((i) => i.field === 'stages[0].shape.headsDiv');
    expect(issue?.message).toMatch(/hidden size 1 is not divisible by 2 heads/);
  });

  it('hand-edited stages: a growth that shrinks d, or the head dimension, is refused on the later stage', () => {
    const shrinkD = tiny({ source: 'hand', handStages: [stage({ hiddenDiv: 2, headsDiv: 1 }), stage({ hiddenDiv: 4, headsDiv: 1 }), stage({})] });
    expect(buildExperiment(shrinkD).issues.find((i) => i.field === 'stages[1].shape.hiddenDiv')?.message).toMatch(/cannot shrink the hidden size/);
    const shrinkHeads = tiny({ source: 'hand', handStages: [stage({ hiddenDiv: 1, headsDiv: 1 }), stage({ hiddenDiv: 1, headsDiv: 2 }), stage({})] });
    expect(fields(shrinkHeads)).toContain('stages[1].shape.headsDiv');
    // Twice the heads at the same d halves the head dimension: heads.split, which no operator preserves.
    const split = tiny({ source: 'hand', handStages: [stage({ hiddenDiv: 1, headsDiv: 2 }, 15), stage({}, 15)] });
    expect(buildExperiment(split).issues.find((i) => i.field === 'stages[1].shape.headsDiv')?.message).toMatch(/heads\.split is not supported/);
    // The last stage must be the full model.
    expect(fields(tiny({ source: 'hand', handStages: [stage({ hiddenDiv: 2, headsDiv: 1 }, 30)] }))).toEqual(['stages[0].shape.hiddenDiv']);
  });

  it('the hidden operator choice reaches the schedule from a preset, the toggles and hand-edited stages', () => {
    useBuilder.setState(initialBuilder());
    const b = useBuilder.getState();
    const op = hiddenOperators().find((h) => h.op !== 'tile')!.op;
    b.setDims({ ...b.dims, hidden: { ...b.dims.hidden, op } });
    // Only an operator changed: the preset stays, and its ops name the operator for stages edited later.
    expect(useBuilder.getState().source).toBe('preset');
    expect(buildExperiment(useBuilder.getState()).schedule!.ops.hidden).toBe(op);
    const shown = buildExperiment(useBuilder.getState()).schedule!;
    useBuilder.getState().choosePreset('custom', shown.stages, shown.ops);
    expect(useBuilder.getState().handOps.hidden).toBe(op);
    useBuilder.getState().setDims({ ...useBuilder.getState().dims, hidden: { ...useBuilder.getState().dims.hidden, op: 'tile' } });
    expect(useBuilder.getState().source).toBe('hand');
    expect(useBuilder.getState().handOps.hidden).toBeUndefined();
  });

  it('the bert2bert preset brings AKI when chosen or queued; the toggles can swap it; another preset keeps it', () => {
    useBuilder.setState(initialBuilder());
    const b = () => useBuilder.getState();
    b().choosePreset('bert2bert', [], b().handOps);
    expect(b().dims.hidden).toMatchObject({ on: true, op: 'aki', heads: 1 });
    expect(builderSchedule(b())).toEqual(buildPreset('bert2bert', b().totalSteps, tinyModel));
    expect(buildExperiment(b()).issues).toEqual([]);
    // Only the operator changed: the preset's stages, grown by tile (named by no ops.hidden).
    b().setDims({ ...b().dims, hidden: { ...b().dims.hidden, op: 'tile' } });
    expect(b().source).toBe('preset');
    expect(builderSchedule(b()).ops.hidden).toBeUndefined();
    expect(builderSchedule(b()).stages).toEqual(buildPreset('bert2bert', b().totalSteps, tinyModel).stages);
    expect(presetVariant(b(), 'bert2bert').schedule!.ops.hidden).toBe('aki');
    b().choosePreset('bert2bert', [], b().handOps);
    b().choosePreset('compound', [], b().handOps);
    expect(builderSchedule(b()).ops.hidden).toBe('aki');
    useBuilder.setState(initialBuilder());
  });
});

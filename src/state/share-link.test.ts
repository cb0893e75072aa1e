import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.ts';
import { labEvalBatches } from '../core/model/config.ts';
import { DEFAULT_WIDTH_NOISE, PRESET_NAMES } from '../core/schedule/spec.ts';
import { initialBuilder, useBuilder, type BuilderState } from './builder.ts';
import { buildExperiment } from './experiment.ts';
import { decodeShareLink, encodeShareLink } from './share-link.ts';

/** The builder's data, without its actions (what a link stands for). */
function snapshot(): BuilderState {
  const { size, norm, seed, backend, totalSteps, lr, evalEvery, evalBatches, policies, dims, source, preset, handStages, handOps } = useBuilder.getState();
  return { size, norm, seed, backend, totalSteps, lr, evalEvery, evalBatches, policies, dims, source, preset, handStages, handOps };
}

/** Which link keys a state must carry, worked out field by field from the state (not by the codec). */
function expectedKeys(s: BuilderState): string[] {
  const d = initialBuilder();
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b) || (Number.isNaN(a) && Number.isNaN(b));
  const pairs: [string, unknown, unknown][] = [
    ['size', s.size, d.size],
    ['norm', s.norm, d.norm],
    ['seed', s.seed, d.seed],
    ['backend', s.backend, d.backend],
    ['steps', s.totalSteps, d.totalSteps],
    ['lr', s.lr, d.lr],
    ['evalEvery', s.evalEvery, d.evalEvery],
    ['evalBatches', s.evalBatches, d.evalBatches],
    ['lrPolicy', s.policies.lrPolicy, d.policies.lrPolicy],
    ['optPolicy', s.policies.optPolicy, d.policies.optPolicy],
    ['source', s.source, d.source],
    ['preset', s.preset, d.preset],
    ['depth', s.dims.depth, d.dims.depth],
    ['width', s.dims.width, d.dims.width],
    ['length', s.dims.length, d.dims.length],
    ['hidden', s.dims.hidden, d.dims.hidden],
    ['msg', s.dims.msg, d.dims.msg],
    ['ligo', s.dims.ligo, d.dims.ligo],
    ['stages', s.handStages, d.handStages],
    ['ops', s.handOps, d.handOps],
  ];
  return pairs.filter(([, a, b]) => !same(a, b)).map(([k]) => k);
}

function keysOf(link: string): string[] {
  return link
    .slice(1)
    .split('&')
    .map((p) => p.split('=')[0]);
}

/** Encodes, checks the link carries exactly the changed keys, decodes, and checks the state and its experiment came back. */
function roundTrip(s: BuilderState): void {
  const link = encodeShareLink(s);
  expect(keysOf(link)).toEqual(['v', ...expectedKeys(s)]);
  const { state, warnings } = decodeShareLink(link);
  expect(state).toEqual(s);
  const a = buildExperiment(s);
  const b = buildExperiment(state);
  expect(b.config).toEqual(a.config);
  expect(b.issues).toEqual(a.issues);
  if (!a.issues.length) expect(warnings).toEqual([]);
}

function configError(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw new Error(`expected a ConfigError, got ${String(e)}`);
  }
  throw new Error('expected a ConfigError, but it decoded');
}

beforeEach(() => useBuilder.setState(initialBuilder()));

describe('encodeShareLink', () => {
  it('writes only the version for the default builder, which decodes to the default', () => {
    expect(encodeShareLink(initialBuilder())).toBe('#v=3');
    expect(decodeShareLink('#v=3')).toEqual({ state: initialBuilder(), warnings: [] });
    expect(decodeShareLink('v=3').state).toEqual(initialBuilder());
  });

  it('writes readable values', () => {
    const b = useBuilder.getState();
    b.setSize('small');
    b.choosePreset('stack', [], b.handOps);
    b.set({ seed: 7 });
    // Size sets small's pre-LN learning rate and the lab's validation batches for small.
    expect(encodeShareLink(snapshot())).toBe(`#v=3&size=small&seed=7&lr=0.001&evalBatches=${labEvalBatches('small')}&preset=stack&width=off_share_2_${DEFAULT_WIDTH_NOISE}&length=off_pool_2_mean`);
  });
});

describe('share link round trip', () => {
  it.each(PRESET_NAMES)('restores preset %s with a non-default size, seed, steps, norm and policies', (preset) => {
    const b = useBuilder.getState();
    b.setSize('small');
    b.setTotalSteps(40);
    b.setNorm('post');
    b.set({ seed: 7, lr: 0.0007, evalEvery: 9, evalBatches: 3, backend: 'wasm' });
    b.setPolicies({ lrPolicy: 'continue', optPolicy: 'carry' });
    b.choosePreset(preset, [], b.handOps);
    const s = snapshot();
    expect(s.preset).toBe(preset);
    roundTrip(s);
    expect(buildExperiment(decodeShareLink(encodeShareLink(s)).state).config?.schedule.preset).toBe(preset);
  });

  it('restores dimension toggles and operators', () => {
    const b = useBuilder.getState();
    const d = b.dims;
    const variants = [
      { ...d, depth: { ...d.depth, on: false } },
      { ...d, depth: { on: true, op: 'interleave' as const, factor: 3 }, width: { ...d.width, mode: 'factorize' as const, factor: 8 } },
      { ...d, width: { on: true, mode: 'random' as const, factor: 4, noise: 0.05 }, length: { on: true, mode: 'truncate' as const, factor: 4, reduce: 'max' as const } },
      { ...d, depth: { ...d.depth, op: 'identity' as const }, width: { ...d.width, noise: 1e-7 }, length: { ...d.length, on: false, reduce: 'max' as const } },
      { ...d, hidden: { on: true, op: 'tile' as const, factor: 4, heads: 2 } },
      { ...d, depth: { ...d.depth, on: false }, hidden: { on: true, op: 'random' as const, factor: 2, heads: 1 } },
      // Only the operator: stays a preset, and the ops name it.
      { ...d, hidden: { ...d.hidden, op: 'random' as const } },
    ];
    for (const dims of variants) {
      useBuilder.setState(initialBuilder());
      useBuilder.getState().setDims(dims);
      roundTrip(snapshot());
    }
  });

  it('restores hand-edited stages, their own policies and operators, and emptied fields', () => {
    const b = useBuilder.getState();
    b.setTotalSteps(60);
    const shown = buildExperiment(snapshot()).schedule!;
    b.choosePreset('custom', shown.stages, { ...shown.ops, depth: 'random', widthNoise: 0.01 });
    const [first, ...rest] = snapshot().handStages;
    b.editStages([{ ...first, steps: 5, lrPolicy: 'rewind', optPolicy: 'carry' }, ...rest, { ...rest[rest.length - 1], shape: { ...rest[rest.length - 1].shape, layers: Number.NaN } }], snapshot().handOps);
    const s = snapshot();
    expect(s.source).toBe('hand');
    expect(s.handStages.length).toBe(shown.stages.length + 1);
    roundTrip(s);

    b.editStages([], s.handOps);
    roundTrip(snapshot());
  });
});

describe('decodeShareLink', () => {
  it('ignores unknown keys with a warning naming them', () => {
    const { state, warnings } = decodeShareLink('#v=1&size=small&colour=red&x=1');
    expect(state.size).toBe('small');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('"colour"');
    expect(warnings[0]).toContain('"x"');
  });

  it('reads a link without a version as version 1, and says so', () => {
    const { state, warnings } = decodeShareLink('#seed=4');
    expect(state).toEqual({ ...decodeShareLink('#v=1').state, seed: 4 });
    expect(warnings.join(' ')).toMatch(/no format version/);
  });

  it("keeps a version 1 link's meaning: the keys it leaves out take v1's defaults (reset, exact copies, post-LN)", () => {
    const d = initialBuilder();
    const v1 = decodeShareLink('#v=1&seed=4').state;
    const v2 = { ...d, norm: 'post', lr: 2e-3, evalBatches: 4 };
    expect(v1).toEqual({
      ...v2,
      seed: 4,
      policies: { ...d.policies, lrPolicy: 'reset' },
      dims: { ...d.dims, width: { ...d.dims.width, noise: 0 } },
      handOps: { ...d.handOps, widthNoise: 0 },
    });
    expect(buildExperiment(v1).config!.schedule.stages.every((st) => st.lrPolicy === 'reset')).toBe(true);
    expect(buildExperiment(v1).config!.schedule.ops.widthNoise).toBe(0);
    // What a v1 link spells out it keeps; the same keys left out of a v2 link mean today's defaults.
    expect(decodeShareLink('#v=1&lrPolicy=rewind&width=on_share_2_0.2').state.policies.lrPolicy).toBe('rewind');
    expect(decodeShareLink('#v=1&lrPolicy=rewind&width=on_share_2_0.2').state.dims.width.noise).toBe(0.2);
    expect(decodeShareLink('#v=2&seed=4').state).toEqual({ ...v2, seed: 4 });
    expect(decodeShareLink('#v=3&seed=4').state).toEqual({ ...d, seed: 4 });
  });

  it("keeps a version 2 link's meaning: post-LN at 2e-3 unless it says otherwise, and its size's old validation batches", () => {
    const v2 = decodeShareLink('#v=2&size=small&lr=0.001').state;
    expect([v2.norm, v2.lr, v2.evalBatches]).toEqual(['post', 0.001, 8]);
    expect(buildExperiment(v2).config!.model.norm).toBe('post');
    expect(decodeShareLink('#v=2&norm=pre').state.norm).toBe('pre');
    expect(initialBuilder().norm).toBe('pre');
  });

  it('refuses a link from a newer GrowLab and versions that never existed', () => {
    const newer = configError(() => decodeShareLink('#v=4&size=small'));
    expect(newer.field).toBe('v');
    expect(newer.message).toMatch(/newer GrowLab/);
    expect(configError(() => decodeShareLink('#v=0')).field).toBe('v');
    expect(configError(() => decodeShareLink('#v=one')).message).toMatch(/whole number/);
  });

  it('names the key and what is allowed for a bad value', () => {
    const size = configError(() => decodeShareLink('#v=1&size=huge'));
    expect(size.field).toBe('size');
    expect(size.message).toContain('"huge" is not one of tiny, small, deep, lab');
    expect(configError(() => decodeShareLink('#v=1&preset=grow')).message).toContain('baseline');
    expect(configError(() => decodeShareLink('#v=1&seed=7x')).field).toBe('seed');
    expect(configError(() => decodeShareLink('#v=1&depth=on_stack')).field).toBe('depth');
    expect(configError(() => decodeShareLink('#v=1&width=on_wide_2_0')).field).toBe('width.mode');
    expect(configError(() => decodeShareLink('#v=1&stages=2_1_0_full_1_mean_10_reset_fresh~2_1_0_full_1_mean_10_reset')).field).toBe('stages[1]');
    expect(configError(() => decodeShareLink('#v=1&stages=2_1_0_wide_1_mean_10_reset_fresh')).field).toBe('stages[0].length');
    expect(configError(() => decodeShareLink('#v=1&seed=1&seed=2')).message).toMatch(/twice/);
    expect(configError(() => decodeShareLink('#v=1&seed')).message).toMatch(/no value/);
    expect(configError(() => decodeShareLink('#v=1&seed=')).message).toMatch(/empty/);
    expect(configError(() => decodeShareLink('#v=1&seed=%E0%A4%A')).field).toBe('link');
  });

  it('loads a well-formed experiment that cannot run, with a warning naming the field', () => {
    const { state, warnings } = decodeShareLink('#v=1&steps=0');
    expect(state.totalSteps).toBe(0);
    expect(warnings.join(' ')).toMatch(/cannot start yet: train\.steps/);
  });

  it('either decodes or throws ConfigError for a link cut at any position', () => {
    const b = useBuilder.getState();
    b.setSize('small');
    b.set({ seed: 12, lr: 0.00075, backend: 'cpu' });
    const shown = buildExperiment(snapshot()).schedule!;
    b.choosePreset('custom', shown.stages, shown.ops);
    b.setDims({ ...snapshot().dims, width: { on: true, mode: 'random', factor: 4, noise: 0.25 } });
    const link = encodeShareLink(snapshot());
    let refused = 0;
    for (let i = 0; i <= link.length; i++) {
      try {
        decodeShareLink(link.slice(0, i));
      } catch (e) {
        expect(e, `cut at ${i}: ${link.slice(0, i)}`).toBeInstanceOf(ConfigError);
        refused++;
      }
    }
    // Cuts inside a structured value (a stage, a dimension) cannot be read; the whole link can.
    expect(refused).toBeGreaterThan(0);
    expect(decodeShareLink(link).state).toEqual(snapshot());
  });
});

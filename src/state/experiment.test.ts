import { describe, expect, it } from 'vitest';
import { SIZES, defaultLr, labEvalBatches } from '../core/model/config.ts';
import { scheduleFlops } from '../core/schedule/flops.ts';
import { initialBuilder, useBuilder, type BuilderState } from './builder.ts';
import { buildExperiment, presetVariant, type BuiltExperiment } from './experiment.ts';

const tiny = (patch: Partial<BuilderState> = {}): BuilderState => ({ ...initialBuilder(), totalSteps: 40, evalEvery: 8, ...patch });

describe('buildExperiment', () => {
  it('turns the default builder into a valid compound config with its FLOPs plan', () => {
    const b = buildExperiment(tiny());
    expect(b.issues).toEqual([]);
    expect(b.config!.schedule.preset).toBe('compound');
    // The lab's quick validation set; the CLI's is the size's full one.
    expect(b.config!.train).toEqual({ ...SIZES.tiny.train, steps: 40, evalEvery: 8, evalBatches: labEvalBatches('tiny') });
    expect(b.config!.model.norm).toBe('pre');
    expect(b.config!.schedule.stages.reduce((s, st) => s + st.steps, 0)).toBe(40);
    const plan = scheduleFlops(b.config!.schedule, SIZES.tiny.model, b.config!.train);
    expect(b.plan!.forwardFlops).toBe(plan.forwardFlops);
    expect(b.plan!.flopsSpeedup).toBeGreaterThan(1);
  });

  it('gives post-LN its own tested learning rate when the norm is picked', () => {
    useBuilder.setState(initialBuilder());
    useBuilder.getState().setNorm('post');
    expect(useBuilder.getState().lr).toBe(defaultLr('tiny', 'post'));
    expect(defaultLr('tiny', 'post')).not.toBe(defaultLr('tiny', 'pre'));
    useBuilder.getState().setSize('small');
    expect(useBuilder.getState().lr).toBe(defaultLr('small', 'post'));
    expect(buildExperiment(useBuilder.getState()).config!.model.norm).toBe('post');
    useBuilder.getState().setNorm('pre');
    expect(useBuilder.getState().lr).toBe(SIZES.small.train.lr);
  });

  it('names the field of each impossible value', () => {
    expect(buildExperiment(tiny({ evalBatches: 0 })).issues[0]?.field).toBe('train.evalBatches');
    expect(buildExperiment(tiny({ totalSteps: 0 })).issues[0]?.field).toBe('train.steps');
    expect(buildExperiment(tiny({ lr: -0.001 })).issues[0]?.field).toBe('train.lr');
    expect(buildExperiment(tiny({ seed: -1 })).issues[0]?.field).toBe('seed');
    // FFN 128 is not divisible by 3: the schedule validator names the first narrow stage.
    const d = initialBuilder().dims;
    const bad = buildExperiment(tiny({ source: 'dims', dims: { ...d, width: { ...d.width, factor: 3 } } }));
    expect(bad.issues[0]?.field).toBe('stages[0].shape.ffnDiv');
    expect(bad.issues[0]?.message).toMatch(/not divisible by 3/);
    expect(bad.plan).toBeNull();
  });

  it('reports every problem at once, each under its own field', () => {
    const fields = (b: BuiltExperiment) => b.issues.map((i) => i.field);
    expect(fields(buildExperiment(tiny({ lr: -1, evalEvery: 0, seed: -1 }))).sort()).toEqual(['seed', 'train.evalEvery', 'train.lr']);
    // No schedule can be built from 0 steps, and the other settings still speak for themselves.
    const noSteps = buildExperiment(tiny({ totalSteps: 0, lr: Number.NaN }));
    expect(noSteps.schedule).toBeNull();
    expect(fields(noSteps)).toEqual(expect.arrayContaining(['train.steps', 'train.lr']));
    const stages = buildExperiment(tiny()).config!.schedule.stages;
    const hand = tiny({ source: 'hand', lr: 0, handStages: stages.map((s, i) => (i === 0 ? { ...s, steps: 0, shape: { ...s.shape, ffnDiv: 3 } } : s)) });
    expect(fields(buildExperiment(hand)).sort()).toEqual(['stages[0].shape.ffnDiv', 'stages[0].steps', 'train.lr']);
  });

  it('checks hand-edited stages against the total steps', () => {
    const stages = buildExperiment(tiny()).config!.schedule.stages;
    const hand = tiny({ source: 'hand', handStages: stages.map((s, i) => (i === 0 ? { ...s, steps: 0 } : s)) });
    expect(buildExperiment(hand).issues[0]?.field).toBe('stages[0].steps');
  });

  it('builds queue variants from the same size, steps and seed', () => {
    const v = presetVariant(tiny({ seed: 7 }), 'baseline');
    expect(v.issues).toEqual([]);
    expect(v.config!.seed).toBe(7);
    expect(v.config!.schedule.stages).toHaveLength(1);
    expect(v.plan!.flopsSpeedup).toBe(1);
  });
});

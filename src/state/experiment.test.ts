import { describe, expect, it } from 'vitest';
import { SIZES, defaultLr, labEvalBatches } from '../core/model/config.ts';
import { scheduleFlops } from '../core/schedule/flops.ts';
import { initialBuilder, useBuilder, type BuilderState } from './builder.ts';
import { buildExperiment, presetVariant } from './experiment.ts';

const tiny = (patch: Partial<BuilderState> = {}): BuilderState => ({ ...initialBuilder(), totalSteps: 40, evalEvery: 8, ...patch });

describe('buildExperiment', () => {
  it('turns the default builder into a valid compound config with its FLOPs plan', () => {
    const b = buildExperiment(tiny());
    expect(b.issue).toBeNull();
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
    expect(buildExperiment(tiny({ evalBatches: 0 })).issue?.field).toBe('train.evalBatches');
    expect(buildExperiment(tiny({ totalSteps: 0 })).issue?.field).toBe('train.steps');
    expect(buildExperiment(tiny({ lr: -0.001 })).issue?.field).toBe('train.lr');
    expect(buildExperiment(tiny({ seed: -1 })).issue?.field).toBe('seed');
    // FFN 128 is not divisible by 3: the schedule validator names the first narrow stage.
    const d = initialBuilder().dims;
    const bad = buildExperiment(tiny({ source: 'dims', dims: { ...d, width: { ...d.width, factor: 3 } } }));
    expect(bad.issue?.field).toBe('stages[0].shape.ffnDiv');
    expect(bad.issue?.message).toMatch(/not divisible by 3/);
    expect(bad.plan).toBeNull();
  });

  it('checks hand-edited stages against the total steps', () => {
    const stages = buildExperiment(tiny()).config!.schedule.stages;
    const hand = tiny({ source: 'hand', handStages: stages.map((s, i) => (i === 0 ? { ...s, steps: 0 } : s)) });
    expect(buildExperiment(hand).issue?.field).toBe('stages[0].steps');
  });

  it('builds queue variants from the same size, steps and seed', () => {
    const v = presetVariant(tiny({ seed: 7 }), 'baseline');
    expect(v.issue).toBeNull();
    expect(v.config!.seed).toBe(7);
    expect(v.config!.schedule.stages).toHaveLength(1);
    expect(v.plan!.flopsSpeedup).toBe(1);
  });
});

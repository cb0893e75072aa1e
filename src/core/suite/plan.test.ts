import { describe, expect, it } from 'vitest';
import { scheduleFlops } from '../schedule/flops.ts';
import { DESIGNS, DESIGN_NAMES, SUITE_SIZES, SUITE_STEPS, armConfig, planSuite } from './plan.ts';
import { GROWTH_REFERENCE } from './designs.ts';

const stepsOf = (stages: { steps: number }[]) => stages.reduce((s, st) => s + st.steps, 0);

describe('planSuite', () => {
  it.each(DESIGN_NAMES.flatMap((d) => SUITE_SIZES.map((size) => [d, size] as const)))('plans the %s design for %s: valid arms, matched arms at their reference\'s FLOPs', (design, size) => {
    const plan = planSuite(size, undefined, design);
    expect(plan.steps).toBe(SUITE_STEPS[size]);
    expect(plan.arms.map((a) => a.name)).toEqual(DESIGNS[design].arms);
    const arm = (name: string) => plan.arms.find((a) => a.name === name)!;
    for (const a of plan.arms) {
      const steps = stepsOf(a.config.schedule.stages);
      expect(a.config.train.steps).toBe(steps);
      expect(scheduleFlops(a.config.schedule, a.config.model, a.config.train).forwardFlops).toBe(a.forwardFlops);
      if (a.flopsGap !== null) {
        // Re-timed arms keep their last stage's steps and land within 1% of the reference's FLOPs.
        expect(Math.abs(a.flopsGap)).toBeLessThan(0.01);
        expect(a.about).toMatch(/re-timed to (\S+)'s forward FLOPs/);
        const reference = arm(/re-timed to (\S+)'s/.exec(a.about)![1]);
        expect(Math.abs(a.forwardFlops - reference.forwardFlops) / reference.forwardFlops).toBeCloseTo(Math.abs(a.flopsGap), 12);
        expect(a.config.schedule.stages.at(-1)!.steps).toBe(reference.config.schedule.stages.at(-1)!.steps);
      }
    }
    // The budget sweep: the baseline at half and three quarters of its steps.
    expect(stepsOf(arm('baseline-x0.5').config.schedule.stages)).toBe(Math.round(0.5 * plan.steps));
    expect(stepsOf(arm('baseline-x0.75').config.schedule.stages)).toBe(Math.round(0.75 * plan.steps));
    // The restart control: the baseline's model and steps, cut where the design's growth schedule grows.
    const restarts = arm('baseline-restarts').config.schedule.stages;
    const compound = arm(GROWTH_REFERENCE[design]).config.schedule.stages;
    expect(stepsOf(restarts)).toBe(plan.steps);
    expect(restarts.map((s) => s.steps)).toEqual(compound.map((s) => s.steps));
    for (const s of restarts) expect(s.shape).toEqual(arm('baseline').config.schedule.stages[0].shape);
    // The gate's smallest stage model: that schedule's first stage, trained alone, as a smaller model.
    const smallest = arm('smallest').config;
    expect(smallest.size).toBe('custom');
    expect(smallest.model.layers).toBe(compound[0].shape.layers);
    expect(smallest.model.ffn).toBe(arm('baseline').config.model.ffn / compound[0].shape.ffnDiv);
    expect(smallest.model.hidden).toBe(arm('baseline').config.model.hidden / (compound[0].shape.hiddenDiv ?? 1));
    expect(arm('smallest').forwardFlops).toBeLessThan(arm('baseline').forwardFlops);
  });

  it('lab: width-share splits its copies by ε > 0 and its control keeps them exact', () => {
    const plan = planSuite('tiny');
    const ops = (name: string) => plan.arms.find((a) => a.name === name)!.config.schedule.ops;
    expect(ops('width-share').widthNoise).toBeGreaterThan(0);
    expect(ops('width-share-exact').widthNoise).toBe(0);
  });

  it('paper: one low-cost stage (70% of the steps) then the full model, with the paper\'s treatments', () => {
    const plan = planSuite('small', 140, 'paper');
    const first = (name: string) => plan.arms.find((a) => a.name === name)!.config.schedule.stages[0];
    const L = plan.arms[0].config.model.layers;
    const d = plan.arms[0].config.model.hidden;
    expect(first('fig1-depth').shape.layers).toBe(L / 4);
    expect(first('fig1-length').shape).toMatchObject({ layers: L, length: 'truncate', lengthFactor: 4 });
    expect(first('fig1-compound').shape).toMatchObject({ layers: L / 2, length: 'truncate', lengthFactor: 2 });
    expect(first('share-k4').shape.ffnDiv).toBe(4);
    expect(first('factorize-h0.2d').shape.ffnRank).toBe(Math.round(0.2 * d));
    expect(first('pool-k2').shape).toMatchObject({ length: 'pool', lengthFactor: 2 });
    expect(first('truncate-n2').shape).toMatchObject({ length: 'truncate', lengthFactor: 2 });
    for (const name of ['fig1-depth', 'share-k4', 'pool-k2']) expect(first(name).steps).toBe(98);
  });

  it('gives every arm of a seed the same seed and refuses what it cannot plan', () => {
    const plan = planSuite('tiny', 40);
    const names = plan.arms.map((a) => a.name);
    expect(names.map((a) => armConfig(plan, a, 7).seed)).toEqual(names.map(() => 7));
    expect(() => planSuite('huge' as 'tiny')).toThrow(/size: must be one of tiny, small, deep, lab, got "huge"/);
    expect(() => planSuite('tiny', 19)).toThrow(/steps: must be a whole number of at least 20, got 19/);
    expect(() => planSuite('tiny', 40, 'grand' as 'lab')).toThrow(/design: must be one of lab, paper, operators, got "grand"/);
  });

  it('compares arms of its own design, each against a reference in its list', () => {
    for (const design of DESIGN_NAMES) {
      for (const c of DESIGNS[design].comparisons) {
        expect(c.arms).toContain(c.reference);
        for (const a of c.arms) expect(DESIGNS[design].arms).toContain(a);
      }
    }
  });
});

describe('the operators design', () => {
  it('grows the same stages with each operator, and LiGO re-timed to the same FLOPs', () => {
    const plan = planSuite('small', 200, 'operators');
    const arm = (name: string) => plan.arms.find((a) => a.name === name)!;
    const target = arm('baseline').config.model;
    const stack = arm('ops-stack').config.schedule;
    expect(stack.stages.map((s) => s.shape)).toEqual([
      { ...stack.stages[1].shape, layers: target.layers / 2, ffnDiv: 2, hiddenDiv: 2 },
      stack.stages[1].shape,
    ]);
    expect(stack.stages[0].steps).toBe(60);
    for (const name of ['ops-msg', 'ops-bert2bert']) {
      expect(arm(name).config.schedule.stages).toEqual(stack.stages);
      expect(arm(name).forwardFlops).toBe(arm('ops-stack').forwardFlops);
    }
    expect(arm('ops-msg').config.schedule.ops.msgRamp).toBe(10);
    expect(arm('ops-bert2bert').config.schedule.ops.hidden).toBe('aki');
    const ligo = arm('ops-ligo').config.schedule;
    expect(ligo.ops.ligoSteps).toBe(2);
    // The operator's training is paid for by fewer small-stage steps; the full stage is the same.
    expect(ligo.stages[0].steps).toBeLessThan(stack.stages[0].steps);
    expect(ligo.stages[1].steps).toBe(stack.stages[1].steps);
    expect(Math.abs(arm('ops-ligo').flopsGap!)).toBeLessThan(0.01);
  });
});

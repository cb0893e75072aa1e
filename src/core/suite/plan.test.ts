import { describe, expect, it } from 'vitest';
import { scheduleFlops } from '../schedule/flops.ts';
import { ARM_NAMES, COMPARISONS, MATCHED_ARMS, SUITE_STEPS, armConfig, planSuite } from './plan.ts';

describe('planSuite', () => {
  it.each(['tiny', 'small'] as const)('plans eight valid arms for %s, matched arms at compound\'s FLOPs', (size) => {
    const plan = planSuite(size);
    expect(plan.steps).toBe(SUITE_STEPS[size]);
    expect(plan.arms.map((a) => a.name)).toEqual(ARM_NAMES);
    const compound = plan.arms.find((a) => a.name === 'compound')!;
    for (const a of plan.arms) {
      const steps = a.config.schedule.stages.reduce((s, st) => s + st.steps, 0);
      expect(a.config.train.steps).toBe(steps);
      expect(scheduleFlops(a.config.schedule, a.config.model, a.config.train).forwardFlops).toBe(a.forwardFlops);
      if (MATCHED_ARMS.includes(a.name)) {
        expect(Math.abs(a.forwardFlops - compound.forwardFlops) / compound.forwardFlops).toBeCloseTo(Math.abs(a.flopsGap!), 12);
        expect(Math.abs(a.flopsGap!)).toBeLessThan(0.01);
        expect(a.config.schedule.stages.at(-1)!.steps).toBe(compound.config.schedule.stages.at(-1)!.steps);
      } else {
        expect(a.flopsGap).toBeNull();
        expect(steps).toBe(plan.steps);
      }
    }
  });

  it('gives every arm of a seed the same seed and refuses what it cannot plan', () => {
    const plan = planSuite('tiny', 40);
    expect(ARM_NAMES.map((a) => armConfig(plan, a, 7).seed)).toEqual(ARM_NAMES.map(() => 7));
    expect(() => planSuite('huge' as 'tiny')).toThrow(/size: must be one of tiny, small, got "huge"/);
    expect(() => planSuite('tiny', 19)).toThrow(/steps: must be a whole number of at least 20, got 19/);
  });

  it('compares arms that exist, each against a reference in its list', () => {
    for (const c of COMPARISONS) {
      expect(c.arms).toContain(c.reference);
      for (const a of c.arms) expect(ARM_NAMES).toContain(a);
    }
  });
});

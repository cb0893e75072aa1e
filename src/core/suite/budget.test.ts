import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import type { ModelConfig } from '../model/config.ts';
import { FLOPS_MODELS } from '../schedule/flops.ts';
import { scheduleFlops } from '../schedule/flops.ts';
import { buildPreset } from '../schedule/presets.ts';
import type { PresetName } from '../schedule/spec.ts';
import { matchBudget } from './budget.ts';

// A model small enough to count its matmuls by hand: B=2, n=8, d=8, F=32, V=16, one prediction per sequence.
const model: ModelConfig = { vocabSize: 16, hidden: 8, layers: 2, heads: 2, ffn: 32, ffnRank: 0, maxLen: 8, norm: 'post', dropout: 0, lnEps: 1e-12 };
const batch = { batchSize: 2, seqLen: 8, predsPerSeq: 1 };

/** 2·m·k·n per product; one layer with q query rows and kv key rows per sequence. */
function handLayer(q: number, kv: number, f: number): number {
  const B = 2, d = 8;
  const mm = (m: number, k: number, n: number) => 2 * m * k * n;
  return mm(B * q, d, d) * 2 /* Q, O */ + mm(B * kv, d, d) * 2 /* K, V */ + B * mm(q, d, kv) + B * mm(q, kv, d) + mm(B * q, d, f) + mm(B * q, f, d);
}
const head = 2 * 2 * 8 * 8 + 2 * 2 * 8 * 16; // dense d×d and output d×V on B·P = 2 rows
// Pooled stream: [CLS] + 1 prediction + ceil(6 / 2) windows = 5 queries.
const fullStep = 2 * handLayer(8, 8, 32) + head;
const compoundSteps = [15104, 26944, 58112];

describe('matchBudget', () => {
  it('has hand-counted per-step FLOPs to match against', () => {
    expect(fullStep).toBe(58112);
    expect(handLayer(5, 8, 16) + head).toBe(compoundSteps[0]);
    expect(handLayer(5, 8, 16) + handLayer(5, 5, 16) + head).toBe(compoundSteps[1]);
  });

  it('gives width-share the low-cost steps that come closest to compound\'s FLOPs', () => {
    const compound = buildPreset('compound', 100, model);
    expect(compound.stages.map((s) => s.steps)).toEqual([40, 30, 30]);
    const ref = 40 * compoundSteps[0] + 30 * compoundSteps[1] + 30 * fullStep;
    const shareStep = 2 * handLayer(8, 8, 16) + head; // 41728
    // (ref − 30·full) / shareStep = 33.85: 34 steps overshoot by 6,272, 33 undershoot by 35,456.
    const m = matchBudget(compound, buildPreset('width-share', 100, model), model, batch);
    expect(m.schedule.stages.map((s) => s.steps)).toEqual([34, 30]);
    expect(m.referenceForwardFlops).toBe(ref);
    expect(m.forwardFlops).toBe(34 * shareStep + 30 * fullStep);
    expect(m.forwardFlops - ref).toBe(6272);
    expect(m.gap).toBeCloseTo(6272 / ref, 12);
    expect(m.stepFlops).toBe(shareStep);
    expect(scheduleFlops(m.schedule, model, batch).forwardFlops).toBe(m.forwardFlops);
  });

  it('keeps the proportions of several low-cost stages and stays within one step of the budget', () => {
    for (const size of ['tiny', 'small', 'bert-base'] as const) {
      const { model: target, batchSize, seqLen } = FLOPS_MODELS[size];
      const b = { batchSize, seqLen };
      for (const total of [60, 200, 1000]) {
        const compound = buildPreset('compound', total, target);
        const ref = scheduleFlops(compound, target, b).forwardFlops;
        for (const name of ['depth', 'width-share', 'width-factorize', 'length-pool', 'length-truncate'] as PresetName[]) {
          const arm = buildPreset(name, total, target);
          const m = matchBudget(compound, arm, target, b);
          const steps = m.schedule.stages.map((s) => s.steps);
          expect(steps[steps.length - 1]).toBe(compound.stages[compound.stages.length - 1].steps);
          expect(Math.abs(m.forwardFlops - ref)).toBeLessThan(m.stepFlops);
          expect(scheduleFlops(m.schedule, target, b).forwardFlops).toBe(m.forwardFlops);
          // Each low-cost stage within one step of its proportional share.
          const w = arm.stages.slice(0, -1).map((s) => s.steps);
          const n = steps.slice(0, -1).reduce((a, c) => a + c, 0);
          const wSum = w.reduce((a, c) => a + c, 0);
          w.forEach((wi, i) => expect(Math.abs(steps[i] - (wi * n) / wSum)).toBeLessThan(1));
        }
      }
    }
  });

  it('gives depth at BERT-base more low-cost steps than compound\'s 400: its L3/L6 stages buy back the cost of compound\'s L12·FFN/2·pool stage', () => {
    const { model: target, batchSize, seqLen } = FLOPS_MODELS['bert-base'];
    const b = { batchSize, seqLen };
    const compound = buildPreset('compound', 1000, target);
    const m = matchBudget(compound, buildPreset('depth', 1000, target), target, b);
    const [l3, l6, l12] = m.schedule.stages.map((s) => s.steps);
    expect(l3).toBe(l6);
    expect(l12).toBe(300);
    // Compound spends 400 steps at L3/L6 and 300 at L12·FFN/2·pool; depth spends that budget at L3/L6 alone.
    expect(l3 + l6).toBeGreaterThan(400);
  });

  it('refuses schedules that cannot be matched, saying why', () => {
    const compound = buildPreset('compound', 100, model);
    expect(() => matchBudget(compound, buildPreset('baseline', 100, model), model, batch)).toThrow(/no low-cost stage/);
    expect(() => matchBudget(compound, buildPreset('width-share', 100, { ...model, layers: 1 }), model, batch)).toThrow(/last stages differ/);
    // A two-step reference leaves no budget once width-share's 30-step last stage is paid.
    const tinyRef = { ...compound, stages: [{ ...compound.stages[0], steps: 1 }, { ...compound.stages[2], steps: 1 }] };
    expect(() => matchBudget(tinyRef, buildPreset('width-share', 100, model), model, batch)).toThrow(ConfigError);
  });
});

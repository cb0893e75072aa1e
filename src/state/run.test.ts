import { describe, expect, it } from 'vitest';
import { SIZES } from '../core/model/config.ts';
import type { ExperimentConfig } from '../core/run/config.ts';
import { buildPreset } from '../core/schedule/presets.ts';
import { scheduleFlops } from '../core/schedule/flops.ts';
import type { StepMetrics } from '../core/train/record.ts';
import { applyRunEvent, newRun } from './run.ts';

const { model, train } = SIZES.tiny;
const schedule = buildPreset('compound', 40, model);
const config: ExperimentConfig = { size: 'tiny', model, train: { ...train, steps: 40 }, schedule, seed: 1 };
const plan = scheduleFlops(schedule, model, config.train);
const metric = (step: number, loss: number, wallMs: number): StepMetrics => ({ step, loss, lr: 1e-3, gradNorm: 1, tokens: 200, wallMs });

describe('applyRunEvent', () => {
  it('appends metrics and keeps cumulative wall time per step', () => {
    let r = newRun('a', 'compound', 'compound', '#000', config, plan);
    r = applyRunEvent(r, { type: 'started', runId: 'a', flops: plan }, 1000);
    r = applyRunEvent(r, { type: 'metrics', runId: 'a', steps: [metric(1, 7, 10), metric(2, 6.5, 20)] }, 1100);
    r = applyRunEvent(r, { type: 'metrics', runId: 'a', steps: [metric(3, 6, 5)] }, 1200);
    expect(r.status).toBe('running');
    expect(r.startedAt).toBe(1000);
    expect(r.step).toBe(3);
    expect(r.steps.map((m) => m.loss)).toEqual([7, 6.5, 6]);
    expect(r.cumWallMs).toEqual([0, 10, 30, 35]);
    // An evaluation at step 8 moves the counter before the next metrics read.
    r = applyRunEvent(r, { type: 'validation', runId: 'a', point: { step: 8, loss: 6.2, accuracy: 0.1 } }, 1300);
    expect(r.step).toBe(8);
    expect(r.cumWallMs.length).toBe(4);
  });

  it('keeps the recorded curve and the message of a run that failed on NaN', () => {
    let r = newRun('a', 'x', 'custom', '#000', config, plan);
    r = applyRunEvent(r, { type: 'started', runId: 'a', flops: plan }, 0);
    r = applyRunEvent(r, { type: 'metrics', runId: 'a', steps: [metric(1, 7, 1), metric(2, NaN, 1)] }, 0);
    const msg = 'loss became NaN at step 2 in stage 1 (L1 · FFN/2 · pool 2)';
    r = applyRunEvent(r, { type: 'state', runId: 'a', state: 'failed', step: 2, message: msg }, 50);
    expect(r.status).toBe('failed');
    expect(r.message).toBe(msg);
    expect(r.endedAt).toBe(50);
    expect(r.steps.length).toBe(2);
  });

  it('replaces a growth event sent again with its copy separation, keeping the order', () => {
    let r = newRun('a', 'x', 'custom', '#000', config, plan);
    const g = (step: number) => ({ step, fromLabel: 'L1', toLabel: 'L2', ops: ['width.share'], lossBefore: 6, lossAfter: 6, maxAbsLogitDiff: 1e-7 });
    r = applyRunEvent(r, { type: 'growth', runId: 'a', event: g(16) }, 0);
    r = applyRunEvent(r, { type: 'growth', runId: 'a', event: g(28) }, 0);
    const measured = { ...g(16), copySeparation: { step: 20, perLayer: [0.1, 0.2], maxRelDiff: 0.2, minRelDiff: 0.1 } };
    r = applyRunEvent(r, { type: 'growth', runId: 'a', event: measured }, 0);
    expect(r.growth).toEqual([measured, g(28)]);
  });

  it('replaces a stage record when it ends and marks a refused start as failed', () => {
    let r = newRun('a', 'x', 'custom', '#000', config, plan);
    const stage = { index: 0, label: 'L1', startStep: 0, endStep: 16, wallMs: 0 };
    r = applyRunEvent(r, { type: 'stage', runId: 'a', stage, phase: 'start' }, 0);
    r = applyRunEvent(r, { type: 'stage', runId: 'a', stage: { ...stage, wallMs: 123 }, phase: 'end' }, 0);
    expect(r.stages).toEqual([{ ...stage, wallMs: 123 }]);
    const starting = { ...newRun('b', 'y', 'custom', '#000', config, plan), status: 'starting' as const };
    const refused = applyRunEvent(starting, { type: 'error', runId: 'b', message: 'a run is already training' }, 9);
    expect(refused.status).toBe('failed');
    expect(refused.message).toBe('a run is already training');
  });
});

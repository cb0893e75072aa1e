import { describe, expect, it } from 'vitest';
import { SIZES } from '../core/model/config.ts';
import type { ExperimentConfig } from '../core/run/config.ts';
import { buildPreset } from '../core/schedule/presets.ts';
import { scheduleFlops } from '../core/schedule/flops.ts';
import { newRun, type Run } from '../state/run.ts';
import { runSeries } from './series.ts';

const { model, train } = SIZES.tiny;
const schedule = buildPreset('stack', 4, model);
const config: ExperimentConfig = { size: 'tiny', model, train: { ...train, steps: 4 }, schedule, seed: 1 };
const metric = (step: number) => ({ step, loss: 7 - step / 10, lr: 1e-3, gradNorm: 1, tokens: 200, wallMs: 10 });

describe('runSeries', () => {
  const run: Run = { ...newRun('a', 'a', 'stack', '#000', config, scheduleFlops(schedule, model, config.train)), steps: [metric(1), metric(2)], cumWallMs: [0, 10, 20], step: 2 };

  it('hands back the same series while only the run around them changes', () => {
    const first = runSeries(run, 'step');
    expect(runSeries({ ...run, status: 'stopped', checkpointStep: 2 }, 'step')).toBe(first);
    // A growth moves the wall-time axis, not the step axis.
    const grown = { ...run, growth: [{ step: 2, fromLabel: 'L1', toLabel: 'L2', ops: [], lossBefore: 7, lossAfter: 7, maxAbsLogitDiff: 0, wallMs: 5 }] };
    expect(runSeries(grown, 'step')).toBe(first);
    expect(runSeries(grown, 'time')).not.toBe(runSeries(run, 'time'));
  });

  it('makes new series when points arrive', () => {
    const first = runSeries(run, 'step');
    const more = { ...run, steps: [...run.steps, metric(3)] };
    expect(runSeries(more, 'step').train).toHaveLength(3);
    // A validation point redraws the loss chart only: the other series stay the same arrays.
    const validated = runSeries({ ...run, validation: [{ step: 2, loss: 6.5, accuracy: 0.1 }] }, 'step');
    expect(validated.validation).toHaveLength(1);
    expect(validated.lr).toBe(first.lr);
    expect(validated.tokensPerSec).toBe(first.tokensPerSec);
  });
});

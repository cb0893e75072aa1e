import { beforeEach, describe, expect, it } from 'vitest';
import type { GenreEvalResult } from '../core/eval/genre.ts';
import { SIZES } from '../core/model/config.ts';
import { scheduleFlops } from '../core/schedule/flops.ts';
import { buildPreset } from '../core/schedule/presets.ts';
import { comparisonRows } from './export-rows.ts';
import { applyEvaluationEvent, isEvaluating, useEvaluations } from './evaluations.ts';
import { newRun, type Run } from './run.ts';
import { useRuns } from './runs.ts';

function finishedRun(id: string): Run {
  const { model, train } = SIZES.tiny;
  const schedule = buildPreset('baseline', 10, model);
  const config = { size: 'tiny' as const, model, train: { ...train, steps: 10 }, schedule, seed: 1 };
  return { ...newRun(id, id, 'baseline', '#000', config, scheduleFlops(schedule, model, config.train)), status: 'done', checkpointStep: 10 };
}

function result(task: 'genre4' | 'genre15', accuracy: number): GenreEvalResult {
  return {
    task, mode: 'finetune', classes: ['a', 'b'], accuracy, macroF1: accuracy / 2,
    majority: { label: 'a', accuracy: 0.5, macroF1: 0.33 }, confusion: [[1, 0], [0, 1]],
    perClass: [], trainCounts: [1, 1], trainPassages: 2, testPassages: 2, steps: 1,
    trainLoss: { first: 1, last: 0.5 },
    budget: { steps: 1, batchSize: 1, lr: 1e-3, headLr: 1e-2, dropout: 0, pool: 'cls', seqLen: 8, trainPerDoc: 0, testPerDoc: 0 },
    wallMs: 1,
  };
}

beforeEach(() => {
  useEvaluations.setState({ byRun: {} });
  useRuns.setState({ runs: [finishedRun('r1'), finishedRun('r2')] });
});

describe('evaluations store', () => {
  it('puts a result on its run (stored with it, exported with it) and ends "running"', () => {
    useEvaluations.getState().set('r1', 'genre4', { status: 'running' });
    expect(isEvaluating()).toBe(true);
    applyEvaluationEvent({ type: 'evaluation', runId: 'r1', result: result('genre4', 0.6) });
    applyEvaluationEvent({ type: 'evaluation', runId: 'r2', result: result('genre15', 0.3) });
    expect(isEvaluating()).toBe(false);
    expect(useEvaluations.getState().byRun.r1.genre4).toBeUndefined();
    const [r1, r2] = useRuns.getState().runs;
    expect(r1.genre).toEqual({ genre4: result('genre4', 0.6) });
    expect(r2.genre).toEqual({ genre15: result('genre15', 0.3) });
    const { rows } = comparisonRows(useRuns.getState().runs);
    expect(rows.map((r) => [r.genre4Acc, r.genre15Acc, r.genre15MacroF1])).toEqual([[0.6, null, null], [null, 0.3, 0.15]]);
  });

  it('shows progress while running', () => {
    applyEvaluationEvent({ type: 'evaluation-progress', runId: 'r1', task: 'genre4', phase: 'train', done: 10, total: 100 });
    expect(useEvaluations.getState().byRun.r1.genre4).toEqual({ status: 'running', progress: { phase: 'train', done: 10, total: 100 } });
    expect(isEvaluating()).toBe(true);
  });

  it('records why an evaluation failed, and ignores other worker events', () => {
    applyEvaluationEvent({ type: 'evaluation-failed', runId: 'r1', task: 'genre15', message: 'a run is training' });
    applyEvaluationEvent({ type: 'error', runId: 'r1', message: 'unrelated' });
    expect(useEvaluations.getState().byRun).toEqual({ r1: { genre15: { status: 'failed', message: 'a run is training' } } });
  });
});

import { beforeEach, describe, expect, it } from 'vitest';
import type { GenreEvalResult } from '../core/eval/genre.ts';
import { applyEvaluationEvent, isEvaluating, useEvaluations } from './evaluations.ts';

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

beforeEach(() => useEvaluations.setState({ byRun: {} }));

describe('evaluations store', () => {
  it('keeps each run and task apart, and a result replaces "running"', () => {
    useEvaluations.getState().set('r1', 'genre4', { status: 'running' });
    expect(isEvaluating()).toBe(true);
    applyEvaluationEvent({ type: 'evaluation', runId: 'r1', result: result('genre4', 0.6) });
    applyEvaluationEvent({ type: 'evaluation', runId: 'r2', result: result('genre15', 0.3) });
    const { byRun } = useEvaluations.getState();
    expect(isEvaluating()).toBe(false);
    expect(byRun.r1.genre4).toEqual({ status: 'done', result: result('genre4', 0.6) });
    expect(byRun.r1.genre15).toBeUndefined();
    expect(byRun.r2.genre15?.status).toBe('done');
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

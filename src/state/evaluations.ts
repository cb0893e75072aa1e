import { create } from 'zustand';
import type { GenreEvalResult, GenreTask } from '../core/eval/genre.ts';
import type { WorkerEvent } from '../worker/protocol.ts';

/** One task's evaluation of a run: under way, finished, or refused with a reason. */
export type Evaluation =
  | { status: 'running'; progress?: { phase: 'train' | 'features' | 'test'; done: number; total: number } }
  | { status: 'done'; result: GenreEvalResult }
  | { status: 'failed'; message: string };

interface EvaluationsState {
  /** byRun[runId][task] */
  byRun: Record<string, Partial<Record<GenreTask, Evaluation>>>;
  set(runId: string, task: GenreTask, e: Evaluation): void;
}

export const useEvaluations = create<EvaluationsState>((set) => ({
  byRun: {},
  set: (runId, task, e) => set((s) => ({ byRun: { ...s.byRun, [runId]: { ...s.byRun[runId], [task]: e } } })),
}));

/** Folds the worker's evaluation events into the store; other events are ignored. */
export function applyEvaluationEvent(e: WorkerEvent): void {
  const { set } = useEvaluations.getState();
  if (e.type === 'evaluation') set(e.runId, e.result.task, { status: 'done', result: e.result });
  else if (e.type === 'evaluation-failed') set(e.runId, e.task, { status: 'failed', message: e.message });
  else if (e.type === 'evaluation-progress') set(e.runId, e.task, { status: 'running', progress: { phase: e.phase, done: e.done, total: e.total } });
}

export function isEvaluating(): boolean {
  return Object.values(useEvaluations.getState().byRun).some((tasks) => Object.values(tasks).some((t) => t?.status === 'running'));
}

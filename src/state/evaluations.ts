import { create } from 'zustand';
import type { GenreTask } from '../core/eval/genre.ts';
import type { WorkerEvent } from '../worker/protocol.ts';
import { useRuns } from './runs.ts';

/**
 * One task's evaluation of a run while it is under way, or why it was refused. A finished result
 * goes to the run itself (Run.genre), which is stored with the run.
 */
export type Evaluation =
  | { status: 'running'; progress?: { phase: 'train' | 'features' | 'test'; done: number; total: number } }
  | { status: 'failed'; message: string };

interface EvaluationsState {
  /** byRun[runId][task] */
  byRun: Record<string, Partial<Record<GenreTask, Evaluation>>>;
  /** null: nothing under way or failed for this run and task. */
  set(runId: string, task: GenreTask, e: Evaluation | null): void;
}

export const useEvaluations = create<EvaluationsState>((set) => ({
  byRun: {},
  set: (runId, task, e) => set((s) => {
    const tasks: Partial<Record<GenreTask, Evaluation>> = { ...s.byRun[runId] };
    if (e) tasks[task] = e;
    else delete tasks[task];
    return { byRun: { ...s.byRun, [runId]: tasks } };
  }),
}));

/** Folds the worker's evaluation events into the store; other events are ignored. */
export function applyEvaluationEvent(e: WorkerEvent): void {
  const { set } = useEvaluations.getState();
  if (e.type === 'evaluation') {
    useRuns.getState().update(e.runId, (r) => ({ ...r, genre: { ...r.genre, [e.result.task]: e.result } }));
    set(e.runId, e.result.task, null);
  }
  else if (e.type === 'evaluation-failed') set(e.runId, e.task, { status: 'failed', message: e.message });
  else if (e.type === 'evaluation-progress') set(e.runId, e.task, { status: 'running', progress: { phase: e.phase, done: e.done, total: e.total } });
}

export function isEvaluating(): boolean {
  return Object.values(useEvaluations.getState().byRun).some((tasks) => Object.values(tasks).some((t) => t?.status === 'running'));
}

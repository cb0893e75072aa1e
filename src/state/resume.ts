import type { Checkpoint } from '../core/checkpoint/format.ts';
import { paramShapes } from '../core/model/shapes.ts';
import { experimentFlops, type ExperimentConfig } from '../core/run/config.ts';
import type { RunRecord, StepMetrics } from '../core/train/record.ts';
import { isActive, type Run } from './run.ts';

/** Float32 bytes of a checkpoint of the full-size model: weights plus Adam's two moments. */
export function checkpointBytes(config: ExperimentConfig): number {
  let n = 0;
  for (const shape of paramShapes(config.model).values()) n += shape.reduce((a, b) => a * b, 1);
  return n * 3 * 4;
}

/**
 * Steps between the lab's checkpoints. Each one reads every weight back from the GPU and writes
 * it to IndexedDB, whose put copies the bytes on the page's main thread (about 10 ms for a `tiny`
 * checkpoint, a third of the page's own work while a tiny run trains at 50 per run), so: about 20
 * per run, never closer than 10 steps, and for models whose checkpoints pass 16 MB no closer than
 * 50 steps. Growth, the end and a stop always checkpoint as well.
 */
export function checkpointEvery(config: ExperimentConfig): number {
  const floor = checkpointBytes(config) > 16 * 2 ** 20 ? 50 : 10;
  const every = Math.max(floor, Math.ceil(config.train.steps / 20));
  return Math.ceil(every / 10) * 10;
}

/** cumWallMs of a run from its per-step metrics: cum[s] = wall time after s steps. */
export function cumulativeWall(steps: readonly StepMetrics[]): number[] {
  const cum = [0];
  for (const m of steps) cum[m.step] = (cum[m.step - 1] ?? cum[cum.length - 1]) + m.wallMs;
  return cum;
}

/** A run found in storage after a reload: one that was training is now interrupted and says where it can go on from. */
export function interruptedOnLoad(run: Run): Run {
  if (!isActive(run)) return run;
  const from = run.checkpointStep === null
    ? 'no checkpoint was saved yet, so it cannot resume'
    : `resume from step ${run.checkpointStep}`;
  return { ...run, status: 'interrupted', message: `interrupted by a reload at step ${run.step}; ${from}`, endedAt: run.endedAt ?? Date.now() };
}

/**
 * Whether a run can go on from its stored checkpoint: one interrupted by a reload, or one the user
 * stopped before its last step (the checkpoint taken at the stop carries its place in the stage).
 */
export function canContinue(run: Run): boolean {
  if (run.checkpointStep === null) return false;
  return run.status === 'interrupted' || (run.status === 'stopped' && run.checkpointStep < run.config.train.steps);
}

/** The run's recorded history replaced by a checkpoint's: the record in the checkpoint is the truth. */
export function withRecord(run: Run, record: RunRecord, step: number): Run {
  return {
    ...run,
    step,
    steps: record.steps.filter((m) => m.step <= step),
    cumWallMs: cumulativeWall(record.steps.filter((m) => m.step <= step)),
    validation: record.validation.filter((v) => v.step <= step),
    stages: record.stages.map((s) => ({ ...s })),
    growth: record.growthEvents.filter((g) => g.step <= step),
    checkpointStep: step,
  };
}

/** A run about to continue from its checkpoint: cut back to it and waiting for the worker. */
export function resumingRun(run: Run, c: Checkpoint): Run {
  // startedAt is set again when the worker acknowledges (a refused start then reads as one).
  return { ...withRecord(run, c.record, c.step), status: 'starting', message: null, startedAt: null, endedAt: null, summary: null };
}

/** A run rebuilt from an imported checkpoint file: done if it reached its last step, else interrupted (and resumable). */
export function importedRun(id: string, label: string, color: string, c: Checkpoint, now: number): Run {
  const done = c.step >= c.config.train.steps;
  const base: Run = {
    id, label, color,
    preset: c.config.schedule.preset,
    config: c.config,
    plan: experimentFlops(c.config),
    status: done ? 'done' : 'interrupted',
    message: done ? null : `imported at step ${c.step} of ${c.config.train.steps}; resume to continue`,
    step: 0, steps: [], cumWallMs: [0], validation: [], stages: [], growth: [],
    startedAt: null,
    endedAt: now,
    summary: done ? c.record.summary : null,
    checkpointStep: c.step,
  };
  return withRecord(base, c.record, c.step);
}

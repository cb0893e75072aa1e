import type { GenreEvalResult, GenreTask } from '../core/eval/genre.ts';
import type { ExperimentConfig } from '../core/run/config.ts';
import type { ScheduleFlops } from '../core/schedule/flops.ts';
import type { GrowthEventRecord, RunSummary, StageRecord, StepMetrics, ValidationPoint } from '../core/train/record.ts';
import type { RunState, WorkerEvent } from '../worker/protocol.ts';

/**
 * queued: waiting its turn; starting: sent to the worker, not yet acknowledged; interrupted: it was
 * training when the page went away (reload, closed tab) and can resume from its last checkpoint.
 */
export type RunStatus = 'queued' | 'starting' | 'interrupted' | RunState;

/** One run as the lab shows it: its config, its plan, and everything recorded so far. */
export interface Run {
  id: string;
  label: string;
  /** Growth preset the schedule came from, or "custom". */
  preset: string;
  color: string;
  config: ExperimentConfig;
  /** FLOPs plan of the schedule (known before the run starts). */
  plan: ScheduleFlops;
  status: RunStatus;
  /** Why a run failed or stopped (which step and stage, for a diverged run). */
  message: string | null;
  /** Optimizer steps completed. */
  step: number;
  steps: StepMetrics[];
  /** cumWallMs[s] = training wall time after s steps; cumWallMs[0] = 0. */
  cumWallMs: number[];
  validation: ValidationPoint[];
  stages: StageRecord[];
  growth: GrowthEventRecord[];
  /** Date.now() when the worker acknowledged the start, and when the run ended. */
  startedAt: number | null;
  endedAt: number | null;
  summary: RunSummary | null;
  /** Step of the latest checkpoint stored for this run (src/state/db.ts), null when none. */
  checkpointStep: number | null;
  /** Finished genre evaluations of the run's final checkpoint: stored with the run, so they survive a reload and travel in exports. */
  genre?: Partial<Record<GenreTask, GenreEvalResult>>;
}

export function newRun(id: string, label: string, preset: string, color: string, config: ExperimentConfig, plan: ScheduleFlops): Run {
  return {
    id, label, preset, color, config, plan,
    status: 'queued',
    message: null,
    step: 0,
    steps: [],
    cumWallMs: [0],
    validation: [],
    stages: [],
    growth: [],
    startedAt: null,
    endedAt: null,
    summary: null,
    checkpointStep: null,
  };
}

export function isActive(r: Run): boolean {
  return r.status === 'starting' || r.status === 'running' || r.status === 'paused';
}

export function isEnded(r: Run): boolean {
  return r.status === 'done' || r.status === 'stopped' || r.status === 'failed' || r.status === 'interrupted';
}

/** Folds one worker event about this run into it; returns a new object, never mutates. */
export function applyRunEvent(run: Run, e: WorkerEvent, now: number): Run {
  switch (e.type) {
    case 'started':
      // A resumed run started its clock as long ago as it had already trained, so elapsed-time ETAs hold.
      return { ...run, plan: e.flops, status: 'running', startedAt: now - (run.cumWallMs[run.step] ?? 0) };
    case 'metrics': {
      if (e.steps.length === 0) return run;
      const cum = run.cumWallMs.slice();
      for (const m of e.steps) cum[m.step] = (cum[m.step - 1] ?? cum[cum.length - 1]) + m.wallMs;
      return { ...run, steps: run.steps.concat(e.steps), cumWallMs: cum, step: Math.max(run.step, e.steps[e.steps.length - 1].step) };
    }
    // Evaluations and growth happen at known steps: the counter moves before the next metrics read.
    case 'validation':
      return { ...run, validation: [...run.validation, e.point], step: Math.max(run.step, e.point.step) };
    case 'stage': {
      const stages = run.stages.filter((s) => s.index !== e.stage.index);
      stages.push(e.stage);
      stages.sort((a, b) => a.index - b.index);
      return { ...run, stages };
    }
    case 'growth': {
      // One event per step: a repeat is the same growth, measured further (copy separation).
      const known = run.growth.some((g) => g.step === e.event.step);
      const growth = known ? run.growth.map((g) => (g.step === e.event.step ? e.event : g)) : [...run.growth, e.event];
      return { ...run, growth, step: Math.max(run.step, e.event.step) };
    }
    case 'state': {
      const ended = e.state === 'done' || e.state === 'stopped' || e.state === 'failed';
      return {
        ...run,
        status: e.state,
        step: e.step,
        message: e.message ?? (ended ? run.message : null),
        endedAt: ended ? now : run.endedAt,
      };
    }
    case 'finished':
      return { ...run, summary: e.record.summary, endedAt: run.endedAt ?? now };
    case 'error':
      // A start the worker refused never becomes a run; anything later keeps its curve.
      return run.status === 'starting' ? { ...run, status: 'failed', message: e.message, endedAt: now } : { ...run, message: e.message };
    default:
      return run;
  }
}

import type { BackendChoice, BackendName } from '../core/backend.ts';
import type { ExperimentConfig } from '../core/run/experiment.ts';
import type { ScheduleFlops } from '../core/schedule/flops.ts';
import type { GrowthEventRecord, RunRecord, StageRecord, StepMetrics, ValidationPoint } from '../core/train/record.ts';

/** Messages the page sends to the training worker. */
export type WorkerRequest =
  /** Picks the backend (once per worker) and loads the corpus shards from dataUrl. */
  | { type: 'init'; backend: 'auto' | BackendName; dataUrl: string }
  | { type: 'start'; runId: string; config: ExperimentConfig }
  | { type: 'pause' }
  | { type: 'resume' }
  /** One optimizer step while paused. */
  | { type: 'step' }
  | { type: 'stop' };

export type RunState = 'running' | 'paused' | 'done' | 'stopped' | 'failed';

/** Messages the training worker sends to the page. */
export type WorkerEvent =
  | { type: 'ready'; backend: BackendChoice }
  | { type: 'init-failed'; message: string }
  | { type: 'started'; runId: string; flops: ScheduleFlops }
  | { type: 'metrics'; runId: string; steps: StepMetrics[] }
  | { type: 'validation'; runId: string; point: ValidationPoint }
  | { type: 'stage'; runId: string; stage: StageRecord; phase: 'start' | 'end' }
  | { type: 'growth'; runId: string; event: GrowthEventRecord }
  /** step = optimizer steps completed; message explains failed/stopped runs (e.g. NaN loss at step s in stage i). */
  | { type: 'state'; runId: string; state: RunState; step: number; message?: string }
  | { type: 'finished'; runId: string; record: RunRecord }
  | { type: 'error'; runId?: string; message: string };

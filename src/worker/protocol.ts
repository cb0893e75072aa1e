import type { BackendChoice, BackendName } from '../core/backend.ts';
import type { ExperimentConfig } from '../core/run/experiment.ts';
import type { GenreEvalResult, GenreMode, GenreTask } from '../core/eval/genre.ts';
import type { ScheduleFlops } from '../core/schedule/flops.ts';
import type { GrowthEventRecord, RunRecord, StageRecord, StepMetrics, ValidationPoint } from '../core/train/record.ts';

/** Messages the page sends to the training worker. */
export type WorkerRequest =
  /** Picks the backend (once per worker) and loads the corpus shards from dataUrl. */
  | { type: 'init'; backend: 'auto' | BackendName; dataUrl: string }
  /**
   * checkpointEvery: steps between checkpoints (0: only at growth and the end); checkpoint: a
   * safetensors checkpoint (src/core/checkpoint) of this run to continue from instead of starting afresh.
   */
  | { type: 'start'; runId: string; config: ExperimentConfig; checkpointEvery?: number; checkpoint?: ArrayBuffer }
  | { type: 'pause' }
  | { type: 'resume' }
  /** One optimizer step while paused. */
  | { type: 'step' }
  | { type: 'stop' }
  /** Genre classification (src/core/eval/genre.ts) of a checkpoint's encoder; refused while a run trains. */
  | { type: 'evaluate'; runId: string; checkpoint: ArrayBuffer; task: GenreTask; mode?: GenreMode };

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
  /** An encoded checkpoint (encodeCheckpoint) taken after `step` optimizer steps; the buffer is transferred. */
  | { type: 'checkpoint'; runId: string; step: number; bytes: ArrayBuffer }
  | { type: 'error'; runId?: string; message: string }
  | { type: 'evaluation'; runId: string; result: GenreEvalResult }
  | { type: 'evaluation-progress'; runId: string; task: GenreTask; phase: 'train' | 'features' | 'test'; done: number; total: number }
  | { type: 'evaluation-failed'; runId: string; task: GenreTask; message: string };

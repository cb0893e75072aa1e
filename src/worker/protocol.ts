import type { BackendChoice, BackendName } from '../core/backend-names.ts';
import type { SizeName } from '../core/model/config.ts';
import type { ExperimentConfig } from '../core/run/config.ts';
import type { GenreEvalResult, GenreMode, GenreTask } from '../core/eval/genre.ts';
import type { ScheduleFlops } from '../core/schedule/flops.ts';
import type { GrowthEventRecord, RunRecord, StageRecord, StepMetrics, ValidationPoint } from '../core/train/record.ts';

/** Messages the page sends to the training worker. */
export type WorkerRequest =
  /**
   * Picks the backend (once per worker) and loads the corpus shards from dataUrl. 'auto' times a few
   * training steps of `size` (the builder's model size; tiny when absent) on every backend that
   * starts and keeps the fastest (src/worker/auto-backend.ts); a named backend is used as asked,
   * falling back in BACKEND_NAMES order when it cannot start. reuse: an earlier measurement on this
   * browser (at `size`) whose choice is taken without timing again, unless that backend cannot start.
   */
  | { type: 'init'; backend: 'auto' | BackendName; dataUrl: string; size?: SizeName; reuse?: BackendMeasurement }
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

/** One backend's trial while 'auto' chooses. */
export interface BackendTrial {
  backend: BackendName;
  /** A software rasteriser (SwiftShader WebGPU, a fallback adapter): never preferred over a faster backend. */
  software: boolean;
  /** WebGPU adapter description (webgpu only). */
  adapter: string | null;
  /** wasm: threads its pool runs (1 without cross-origin isolation). */
  threads: number | null;
  /** Mean wall time of the timed training steps; null when the backend did not start or the trial failed. */
  msPerStep: number | null;
  /** Timed steps behind msPerStep. */
  steps: number;
  /** Wall time of the whole trial: start-up, warm-up and timed steps. */
  trialMs: number;
  /** Why there is no time (did not start, a step threw, or it was stopped at its time limit). */
  error: string | null;
  /** Set when the trial was stopped at its time limit before it had timed a step: how long it had run. */
  stoppedAfterMs?: number;
}

/** How tfjs-wasm runs: its threaded SIMD build needs a cross-origin-isolated page (SharedArrayBuffer). */
export interface WasmInfo {
  /** tf.env WASM_HAS_MULTITHREAD_SUPPORT: the threaded SIMD binary was loaded. */
  multithread: boolean;
  simd: boolean;
  /** XNNPACK's thread pool (tfjs picks it from the logical cores). */
  threads: number;
}

/** What 'auto' measured to choose its backend. */
export interface BackendMeasurement {
  size: SizeName;
  /** In the order they ran. */
  trials: BackendTrial[];
  /** The backend picked (fastest measured; cpu only when nothing else could run). */
  chosen: BackendName;
  /** Wall time of the whole choice. */
  totalMs: number;
  /** When it was measured (ISO 8601). */
  measuredAt: string;
}

export type RunState = 'running' | 'paused' | 'done' | 'stopped' | 'failed';

/** Messages the training worker sends to the page. */
export type WorkerEvent =
  /** measurement: present when 'auto' chose by timing (reused: taken from init's `reuse`, not timed now); wasm: when the backend is wasm. */
    /** fusedOff: why the fused kernels failed their self-check here (training then uses the unfused ops). */
  | { type: 'ready'; backend: BackendChoice; measurement?: BackendMeasurement; reused?: boolean; wasm?: WasmInfo; fusedOff?: string | null }
  /** 'auto' is timing backends: trials finished so far and the one under way (null once all are done). */
  | { type: 'measuring'; size: SizeName; trials: BackendTrial[]; current: BackendName | null }
  | { type: 'init-failed'; message: string }
  | { type: 'started'; runId: string; flops: ScheduleFlops }
  | { type: 'metrics'; runId: string; steps: StepMetrics[] }
  | { type: 'validation'; runId: string; point: ValidationPoint }
  | { type: 'stage'; runId: string; stage: StageRecord; phase: 'start' | 'end' }
  /** A growth event; sent again for the same step when it gains its copySeparation, replacing the first. */
  | { type: 'growth'; runId: string; event: GrowthEventRecord }
  /** step = optimizer steps completed; message explains failed/stopped runs (e.g. NaN loss at step s in stage i). */
  | { type: 'state'; runId: string; state: RunState; step: number; message?: string }
  | { type: 'finished'; runId: string; record: RunRecord }
  /**
   * An encoded checkpoint (encodeCheckpoint) taken after `step` optimizer steps, as a Blob: the page
   * stores it in IndexedDB as it is, by reference, with no copy of its bytes on the main thread.
   */
  | { type: 'checkpoint'; runId: string; step: number; bytes: Blob }
  | { type: 'error'; runId?: string; message: string }
  | { type: 'evaluation'; runId: string; result: GenreEvalResult }
  | { type: 'evaluation-progress'; runId: string; task: GenreTask; phase: 'train' | 'features' | 'test'; done: number; total: number }
  | { type: 'evaluation-failed'; runId: string; task: GenreTask; message: string };

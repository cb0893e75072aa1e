import type { BackendName } from '../core/backend-names.ts';
import type { StepMeasurement } from '../core/bench/measure.ts';
import type { SizeName } from '../core/model/config.ts';

/** What the bench page asks its worker to measure (query parameters of bench.html). */
export interface BenchOptions {
  sizes: SizeName[];
  backends: BackendName[];
  /** Timed training steps per size (at most; maxMs stops earlier). */
  steps: number;
  /** Untimed warm-up steps before the profiled step and the timed ones. */
  warmup: number;
  /** Stop timing a size once this much time has gone into timed steps (at least one step is timed). */
  maxMs: number;
  /** The square matmul whose GFLOP/s is the denominator of mfu. */
  matmulN: number;
  matmulReps: number;
  /** wasm's thread pool size (tfjs-wasm's setThreadsCount); absent: the lab's default (src/worker/tf-setup.ts). */
  wasmThreads?: number;
  dataUrl: string;
}

export type BenchSizeResult = StepMeasurement & {
  /** Training GFLOP/s over the same backend's square-matmul GFLOP/s, measured in the same page. */
  mfu: number;
};

export type BenchBackendResult =
  | { available: false; reason: string }
  | {
      available: true;
      adapter: string | null;
      /** A software WebGPU adapter (SwiftShader or a fallback adapter). */
      software: boolean;
      /** wasm's thread pool (1 unless the page is cross-origin isolated). */
      threads: number | null;
      /** wasm: true when the fused kernels ran in SIMD (kernels/simd), else why not; null elsewhere. */
      simdKernels: true | string | null;
      /** gflops: the fastest of `samples` (taken before the sizes and after each), which mfu is against. */
      matmul: { n: number; reps: number; gflops: number; samples: number[] };
      sizes: Partial<Record<SizeName, BenchSizeResult | { error: string }>>;
    };

export interface BenchResult {
  date: string;
  machine: { userAgent: string; hardwareConcurrency: number; crossOriginIsolated: boolean; wasmMultithread: boolean };
  options: Omit<BenchOptions, 'dataUrl'>;
  note: string;
  backends: Partial<Record<BackendName, BenchBackendResult>>;
}

export type BenchEvent = { type: 'progress'; message: string } | { type: 'done'; result: BenchResult } | { type: 'failed'; message: string };

import * as tf from '@tensorflow/tfjs-core';
import type { Corpus } from '../data/corpus.ts';
import { SIZES, type SizeName } from '../model/config.ts';
import { countWebGpuDispatches } from '../kernels/kernels-webgpu.ts';
import { Experiment } from '../run/experiment.ts';
import { type ExperimentConfig } from '../run/config.ts';
import { buildPreset } from '../schedule/presets.ts';
import type { PresetName } from '../schedule/spec.ts';

/*
 * Training-speed measurements shared by `growlab bench`, the browser bench page and the lab's
 * automatic backend choice. They run on whatever backend tfjs is set to.
 */

/**
 * A size's own settings with `steps` steps of one preset; evaluation only at the end (not timed),
 * on at most 8 batches: the bench and the lab's backend trials time training, and the size's full
 * validation set (minutes on a CPU at small) would only make them wait.
 */
export function benchConfig(size: SizeName, preset: PresetName, steps: number): ExperimentConfig {
  const { model, train } = SIZES[size];
  return {
    size,
    model,
    train: {
      ...train, steps, warmupSteps: Math.max(1, Math.floor(steps / 10)), evalEvery: steps,
      evalBatches: Math.min(train.evalBatches, 8), logEvery: Math.min(train.logEvery, steps),
    },
    schedule: buildPreset(preset, steps, model),
    seed: 1,
  };
}

/**
 * GFLOP/s of an n×n·n×n matmul on the active backend. The products are queued back to back and only
 * the last is read: on a GPU a read after each product times the read's latency (on an H200 a lone
 * 1024² product read back each time gave 965 GFLOP/s, below what a training step reached). On cpu
 * and wasm each product runs when called, so this is the same as timing them one by one.
 */
export async function matmulGflops(n: number, reps: number): Promise<number> {
  const a = tf.randomUniform([n, n], -1, 1, 'float32', 1);
  const b = tf.randomUniform([n, n], -1, 1, 'float32', 2);
  const warm = tf.matMul(a, b);
  await warm.data();
  warm.dispose();
  const t0 = performance.now();
  const products: tf.Tensor[] = [];
  for (let i = 0; i < reps; i++) products.push(tf.matMul(a, b));
  await products[reps - 1].data();
  const seconds = (performance.now() - t0) / 1000;
  tf.dispose([a, b, ...products]);
  return (2 * n * n * n * reps) / seconds / 1e9;
}

/**
 * A backend's matmul rate for mfu. Machines are shared: a rate taken while the machine is busy would
 * flatter every mfu, so the rate is sampled several times in a run (the benches sample before the
 * sizes and after each one) and mfu is taken against the fastest sample.
 */
export class MatmulRate {
  readonly samples: number[] = [];
  constructor(readonly n: number, private readonly reps: number) {}
  async sample(): Promise<number> {
    const g = await matmulGflops(this.n, this.reps);
    this.samples.push(g);
    return g;
  }
  get best(): number {
    return Math.max(...this.samples);
  }
}

export interface StepMeasurement {
  size: SizeName;
  /** Timed steps (after the warm-up steps). */
  steps: number;
  /** tfjs kernels one training step runs (tf.profile over one step after warm-up). */
  kernelsPerStep: number;
  /** GPU programs that step dispatched (webgpu only; one per dispatchWorkgroups), else null. */
  dispatchesPerStep: number | null;
  /** The most frequent kernels of that step, by count. */
  topKernels: Record<string, number>;
  secondsPerStep: number;
  tokensPerSec: number;
  /** Matmul FLOPs of one training step (3× forward, src/core/schedule/flops.ts). */
  trainingFlopsPerStep: number;
  gflops: number;
  /** Largest tf.memory().numBytes seen after a step. */
  peakBytes: number;
}

export interface MeasureOptions {
  warmup?: number;
  steps: number;
  /** Stop timing once this much time has gone into timed steps (at least one step is timed). */
  maxMs?: number;
  /** Count the kernels of one step with tf.profile (slows that step; not timed). Default true. */
  countKernels?: boolean;
}

/**
 * Trains the size's baseline on the active backend: `warmup` steps (shader compilation, buffer
 * pools) not timed, one profiled step for the kernel count (not timed), then timed steps. Each
 * step's time includes an awaited read of its loss, so queued GPU work is counted.
 */
export async function measureTraining(size: SizeName, corpus: Corpus, backend: string, o: MeasureOptions): Promise<StepMeasurement> {
  const warmup = o.warmup ?? 2;
  const countKernels = o.countKernels ?? true;
  const total = warmup + (countKernels ? 1 : 0) + o.steps;
  const cfg = benchConfig(size, 'baseline', total);
  // Read every step back so each step's wall time is its own.
  cfg.train = { ...cfg.train, logEvery: 1 };
  const exp = new Experiment(cfg, corpus, backend);
  let peakBytes = 0;
  const track = () => {
    peakBytes = Math.max(peakBytes, tf.memory().numBytes);
  };
  try {
    for (let i = 0; i < warmup; i++) {
      await exp.step();
      track();
    }
    const topKernels: Record<string, number> = {};
    let kernelsPerStep = 0;
    let dispatchesPerStep: number | null = null;
    if (countKernels) {
      const profiled = () => tf.profile(() => exp.step());
      let prof: Awaited<ReturnType<typeof tf.profile>>;
      if (tf.getBackend() === 'webgpu') {
        const counted = await countWebGpuDispatches(profiled);
        prof = counted.result;
        dispatchesPerStep = counted.dispatches;
      } else {
        prof = await profiled();
      }
      kernelsPerStep = prof.kernels.length;
      for (const k of prof.kernels) topKernels[k.name] = (topKernels[k.name] ?? 0) + 1;
      track();
    }
    const timedFrom = exp.record.steps.length;
    const t0 = performance.now();
    let timed = 0;
    while (timed < o.steps && !exp.done) {
      await exp.step();
      track();
      timed += 1;
      if (o.maxMs !== undefined && performance.now() - t0 >= o.maxMs) break;
    }
    const rows = exp.record.steps.slice(timedFrom, timedFrom + timed);
    const seconds = rows.reduce((s, m) => s + m.wallMs, 0) / 1000;
    const tokens = rows.reduce((s, m) => s + m.tokens, 0);
    const trainingFlopsPerStep = exp.flops.stages[0].flopsPerStep;
    const sorted = Object.entries(topKernels).sort((a, b) => b[1] - a[1]).slice(0, 12);
    return {
      size,
      steps: rows.length,
      kernelsPerStep,
      dispatchesPerStep,
      topKernels: Object.fromEntries(sorted),
      secondsPerStep: seconds / rows.length,
      tokensPerSec: tokens / seconds,
      trainingFlopsPerStep,
      gflops: (trainingFlopsPerStep * rows.length) / seconds / 1e9,
      peakBytes,
    };
  } finally {
    exp.dispose();
  }
}

/** Steps of the untimed run each preset makes before the timed ones: at least one step in every stage. */
export const SCHEDULE_WARMUP_STEPS = 10;

/**
 * Runs whole preset schedules and reports each one's wall time against its FLOPs. Two things would
 * otherwise decide the comparison more than the schedules do:
 * - a backend compiles each program on first use (a webgpu pipeline takes about 0.25 s on
 *   SwiftShader), and presets share most programs, so whichever ran first would pay for the rest.
 *   Each preset first makes a short untimed run (SCHEDULE_WARMUP_STEPS steps, every stage), whose
 *   wall time, compiles included, is reported as warmupMs;
 * - the machine's load drifts over minutes. The timed runs take turns, one logging interval
 *   (train.logEvery steps, then a read-back that waits for the device) each, so every preset sees the
 *   same stretches of load; the read-back also keeps one run's queued work out of another's time.
 */
export async function measureSchedules(size: SizeName, presets: readonly PresetName[], steps: number, corpus: Corpus, backend: string) {
  const warmupMs = new Map<PresetName, number>();
  for (const preset of presets) {
    const t0 = performance.now();
    const warm = new Experiment(benchConfig(size, preset, SCHEDULE_WARMUP_STEPS), corpus, backend);
    try {
      while (!warm.done) await warm.step();
    } finally {
      warm.dispose();
    }
    warmupMs.set(preset, performance.now() - t0);
  }
  const runs = presets.map((preset) => ({ preset, exp: new Experiment(benchConfig(size, preset, steps), corpus, backend) }));
  try {
    while (runs.some((r) => !r.exp.done)) {
      for (const { exp } of runs) {
        for (let i = 0; i < exp.config.train.logEvery && !exp.done; i++) await exp.step();
        await exp.flush();
      }
    }
    return runs.map(({ preset, exp }) => {
      const flops = exp.flops;
      return {
        preset,
        steps,
        wallMs: exp.record.wallTimeMs,
        warmupMs: warmupMs.get(preset)!,
        trainingFlops: flops.flops,
        forwardFlops: flops.forwardFlops,
        flopsSpeedup: flops.flopsSpeedup,
        finalValLoss: exp.record.summary.valLoss,
      };
    });
  } finally {
    for (const { exp } of runs) exp.dispose();
  }
}

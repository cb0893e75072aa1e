/// <reference lib="webworker" />
import '../worker/tf-setup.ts';
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { selectBackend } from '../core/backend.ts';
import { MatmulRate, measureTraining, type StepMeasurement } from '../core/bench/measure.ts';
import { fetchCorpus } from '../core/data/shards.ts';
import { describeBackend } from '../worker/auto-backend.ts';
import { simdStatus } from '../core/kernels/simd/simd.ts';
import type { BenchBackendResult, BenchEvent, BenchOptions, BenchResult } from './protocol.ts';
import type { SizeName } from '../core/model/config.ts';

declare const self: DedicatedWorkerGlobalScope;

/*
 * The browser side of `npm run bench:browser`: the same measurements as `growlab bench`, taken in a
 * worker as the lab trains (src/core/bench/measure.ts), one backend after another.
 */

function post(e: BenchEvent): void {
  self.postMessage(e);
}

const log = (message: string) => post({ type: 'progress', message });

async function run(o: BenchOptions): Promise<BenchResult> {
  if (o.wasmThreads !== undefined) setThreadsCount(o.wasmThreads);
  const corpus = await fetchCorpus(o.dataUrl, (url) => fetch(url));
  const backends: BenchResult['backends'] = {};
  for (const name of o.backends) {
    const adapter = await describeBackend(name);
    try {
      await selectBackend([name]);
    } catch (e) {
      backends[name] = { available: false, reason: (e as Error).message };
      log(`${name}: unavailable (${(e as Error).message})`);
      continue;
    }
    log(`${name}: ${o.matmulN}² matmul ×${o.matmulReps}…`);
    const matmul = new MatmulRate(o.matmulN, o.matmulReps);
    log(`${name}: matmul ${(await matmul.sample()).toFixed(2)} GFLOP/s`);
    const result: Extract<BenchBackendResult, { available: true }> = {
      available: true,
      adapter: adapter?.label ?? null,
      software: adapter?.software ?? false,
      threads: name === 'wasm' ? getThreadsCount() : null,
      simdKernels: simdStatus(name, tf.backend()),
      matmul: { n: o.matmulN, reps: o.matmulReps, gflops: 0, samples: matmul.samples },
      sizes: {},
    };
    const measured: Partial<Record<SizeName, StepMeasurement>> = {};
    for (const size of o.sizes) {
      log(`${name} ${size}: ${o.warmup} warm-up, 1 profiled, up to ${o.steps} timed steps…`);
      try {
        const m = await measureTraining(size, corpus, name, { warmup: o.warmup, steps: o.steps, maxMs: o.maxMs, countKernels: true });
        measured[size] = m;
        await matmul.sample();
        log(`${name} ${size}: ${(m.secondsPerStep * 1000).toFixed(1)} ms/step, ${m.kernelsPerStep} kernels, ${m.gflops.toFixed(3)} GFLOP/s`);
      } catch (e) {
        result.sizes[size] = { error: (e as Error).message };
        log(`${name} ${size}: failed (${(e as Error).message})`);
      }
    }
    result.matmul.gflops = matmul.best;
    for (const [size, m] of Object.entries(measured) as [SizeName, StepMeasurement][]) {
      result.sizes[size] = { ...m, mfu: m.gflops / matmul.best };
      log(`${name} ${size}: mfu ${((100 * m.gflops) / matmul.best).toFixed(1)}% (matmul ${matmul.best.toFixed(2)} GFLOP/s, best of ${matmul.samples.length})`);
    }
    backends[name] = result;
    // Free this backend's buffers and context before the next one runs.
    tf.removeBackend(name);
  }
  const { dataUrl: _, ...options } = o;
  return {
    date: new Date().toISOString(),
    machine: {
      userAgent: navigator.userAgent,
      hardwareConcurrency: navigator.hardwareConcurrency,
      crossOriginIsolated: self.crossOriginIsolated,
      wasmMultithread: Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
    },
    options,
    note: "Measured in a worker of headless Chromium. GFLOP/s count matmul FLOPs only (src/core/schedule/flops.ts); training = 3x forward. mfu = training GFLOP/s / the same backend's square-matmul GFLOP/s, the fastest of the samples taken in the same page (before the sizes and after each). secondsPerStep includes an awaited read of each step's loss. simdKernels (wasm): true when the fused element-wise kernels ran in wasm SIMD, else why not.",
    backends,
  };
}

self.onmessage = async (ev: MessageEvent<BenchOptions>) => {
  try {
    post({ type: 'done', result: await run(ev.data) });
  } catch (e) {
    post({ type: 'failed', message: (e as Error).stack ?? (e as Error).message });
  }
};

import { readFile } from 'node:fs/promises';
import { writeAtomic } from '../node/write-atomic.ts';
import { checkOutputs, makeOutputDir } from './outputs.ts';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from '../core/backend-names.ts';
import { MatmulRate, SCHEDULE_WARMUP_STEPS, measureSchedules, measureTraining, type StepMeasurement } from '../core/bench/measure.ts';
import { setSoftwareKernels, softwareKernelsMode, type SoftwareKernelMode } from '../core/kernels/kernels-software.ts';
import { fusedOn, setFused } from '../core/kernels/ops.ts';
import { K } from '../core/kernels/spec.ts';
import { simdStatus } from '../core/kernels/simd/simd.ts';
import { SIZES, SIZE_NAMES, type SizeName } from '../core/model/config.ts';
import { estimateTrainingBytes, memoryLimitBytes } from '../core/model/memory.ts';
import { loadCorpus } from '../node/corpus.ts';
import { useNodeBackend } from '../node/backends.ts';
import { UsageError, choice, parseFlags, positiveInt } from './args.ts';

export const BENCH_FLAGS = {
  out: { type: 'string' },
  backends: { type: 'string' },
  sizes: { type: 'string' },
  steps: { type: 'string' },
  'schedule-steps': { type: 'string' },
  'schedule-backend': { type: 'string' },
  'reference-sizes': { type: 'string' },
  quick: { type: 'boolean' },
  'software-kernels': { type: 'string' },
} as const;

const SOFTWARE_KERNEL_MODES: readonly SoftwareKernelMode[] = ['auto', 'on', 'off'];

const NODE_BACKENDS: readonly BackendName[] = ['cpu', 'wasm', 'webgpu'];

function list<T extends string>(flag: string, value: unknown, allowed: readonly T[], fallback: readonly T[]): T[] {
  if (typeof value !== 'string') return [...fallback];
  if (value === 'none') return [];
  const items = value.split(',');
  for (const item of items) {
    if (!allowed.includes(item as T)) throw new UsageError(`--${flag}: unknown value "${item}" (allowed: ${allowed.join(', ')}, or none)`);
  }
  return items as T[];
}

/** Kernels and wall time of one size on the active backend (mfu is added once the matmul rate is known). */
async function measure(size: SizeName, corpus: Awaited<ReturnType<typeof loadCorpus>>, backend: string, steps: number) {
  // A lab step on cpu takes minutes: time fewer steps, and stop after two minutes.
  const m: StepMeasurement = await measureTraining(size, corpus, backend, { steps, warmup: size === 'lab' ? 1 : 2, maxMs: 120_000 });
  return { ...m, estimatedBytes: estimateTrainingBytes(SIZES[size].model, SIZES[size].train) };
}

export async function benchCommand(argv: string[]): Promise<void> {
  const v = parseFlags(argv, BENCH_FLAGS, 'bench');
  const quick = v.quick === true;
  const out = typeof v.out === 'string' ? v.out : 'bench-results/bench.json';
  const wanted = list('backends', v.backends, NODE_BACKENDS, NODE_BACKENDS);
  const sizes = list('sizes', v.sizes, SIZE_NAMES, ['tiny', 'small']);
  const referenceSizes = list('reference-sizes', v['reference-sizes'], SIZE_NAMES, ['tiny', 'small']);
  const steps = positiveInt('steps', v.steps, quick ? 3 : 10);
  const scheduleSteps = positiveInt('schedule-steps', v['schedule-steps'], quick ? 20 : 100);
  const scheduleBackend = typeof v['schedule-backend'] === 'string' ? v['schedule-backend'] : 'wasm';
  if (scheduleBackend !== 'none' && !NODE_BACKENDS.includes(scheduleBackend as BackendName)) {
    throw new UsageError(`--schedule-backend: unknown backend "${scheduleBackend}" (allowed: ${NODE_BACKENDS.join(', ')}, none)`);
  }
  // The same switch as GROWLAB_SOFTWARE_KERNELS (which sets the mode when the flag is absent).
  const softwareKernels = choice('software-kernels', v['software-kernels'], SOFTWARE_KERNEL_MODES, softwareKernelsMode());
  // A bench takes minutes: a bad --out is refused before it starts. The bench's file is a
  // measurement, remade on each run, so replacing the last one needs no --force.
  makeOutputDir('--out', dirname(out));
  checkOutputs([{ what: '--out', path: out }], { force: true });
  setSoftwareKernels(softwareKernels);
  tf.enableProdMode();
  const corpus = await loadCorpus();
  const result: Record<string, unknown> = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version, platform: process.platform },
    softwareKernels,
    note: 'gflops count matmul FLOPs only (src/core/schedule/flops.ts; training = 3x forward). mfu = training GFLOP/s / the same backend\'s square-matmul GFLOP/s, the fastest of the samples taken in this run (before the sizes and after each). kernelsPerStep: tfjs kernels one training step runs (tf.profile); dispatchesPerStep (webgpu): GPU programs it dispatches. reference: the same measurement on the unfused path (growlab train --reference), taken in this run. simdKernels (wasm): true when the fused element-wise kernels ran in wasm SIMD (src/core/kernels/simd), else why not. softwareKernels (webgpu): auto = barrier-free programs on software adapters only, on/off = everywhere/nowhere (--software-kernels, GROWLAB_SOFTWARE_KERNELS).',
  };
  const backends: Record<string, unknown> = {};
  for (const name of wanted) {
    let choice;
    try {
      choice = await useNodeBackend(name);
    } catch (e) {
      backends[name] = { available: false, reason: (e as Error).message };
      console.error(`bench: ${name} unavailable: ${(e as Error).message}`);
      continue;
    }
    const matmul = new MatmulRate(quick ? 256 : 1024, quick ? 2 : 5);
    await matmul.sample();
    const perSize: Record<string, { fits: false; estimatedBytes: number; limitBytes: number } | { fused: Awaited<ReturnType<typeof measure>>; reference?: Awaited<ReturnType<typeof measure>> }> = {};
    for (const size of sizes) {
      const limit = memoryLimitBytes(choice.name);
      const need = estimateTrainingBytes(SIZES[size].model, SIZES[size].train);
      if (limit !== null && need > limit) {
        perSize[size] = { fits: false, estimatedBytes: need, limitBytes: limit };
        continue;
      }
      const fused = await measure(size, corpus, choice.name, steps);
      await matmul.sample();
      console.error(`bench: ${name} ${size}: ${fused.kernelsPerStep} kernels, ${(fused.secondsPerStep * 1000).toFixed(0)} ms/step, ${fused.gflops.toFixed(2)} GFLOP/s`);
      perSize[size] = { fused };
      if (referenceSizes.includes(size)) {
        setFused(false, 'bench reference');
        try {
          const ref = await measure(size, corpus, choice.name, steps);
          await matmul.sample();
          perSize[size] = { fused, reference: ref };
          console.error(`bench: ${name} ${size} reference: ${ref.kernelsPerStep} kernels, ${(ref.secondsPerStep * 1000).toFixed(0)} ms/step`);
        } finally {
          setFused(true);
        }
      }
    }
    const withMfu = <T extends { gflops: number }>(m: T) => ({ ...m, mfu: m.gflops / matmul.best });
    const rows = Object.fromEntries(Object.entries(perSize).map(([size, r]) => {
      if (!('fused' in r)) return [size, r];
      const row: Record<string, unknown> = { ...withMfu(r.fused), fusedPath: fusedOn(K.adamw) };
      if (r.reference) {
        row.reference = withMfu(r.reference);
        row.speedupOverReference = r.reference.secondsPerStep / r.fused.secondsPerStep;
      }
      console.error(`bench: ${name} ${size}: mfu ${(100 * r.fused.gflops / matmul.best).toFixed(0)}% (matmul ${matmul.best.toFixed(1)} GFLOP/s, best of ${matmul.samples.length})`);
      return [size, row];
    }));
    backends[name] = { available: true, adapter: choice.adapter, simdKernels: simdStatus(choice.name, tf.backend()), matmul: { n: matmul.n, gflops: matmul.best, samples: matmul.samples }, sizes: rows };
  }
  result.backends = backends;

  if (scheduleBackend !== 'none') {
    const choice = await useNodeBackend(scheduleBackend as BackendName);
    const runs = await measureSchedules('small', ['baseline', 'stack', 'compound'], scheduleSteps, corpus, choice.name);
    for (const r of runs) console.error(`bench: schedule ${r.preset}: ${(r.wallMs / 1000).toFixed(1)} s, ${r.forwardFlops.toExponential(3)} forward FLOPs`);
    const base = runs[0];
    result.schedules = {
      backend: choice.name,
      size: 'small',
      note: `wallSpeedup = baseline wall time / this run's (growth included; evaluation is not training and is not timed); wallOverFlops = wallSpeedup / flopsSpeedup (1 when small stages run as efficiently as the full model). Each preset first made an untimed ${SCHEDULE_WARMUP_STEPS}-step run, so that programs compiled on first use are not charged to whichever preset ran first (warmupMs: its wall time, compiles included); the timed runs then took turns, one logging interval each, so that they shared the machine's load.`,
      runs: runs.map((r) => {
        const wallSpeedup = base.wallMs / r.wallMs;
        return { ...r, wallSpeedup, wallOverFlops: wallSpeedup / r.flopsSpeedup };
      }),
    };
  }
  try {
    result.mainThreadLongTasks = JSON.parse(await readFile('bench-results/longtasks.json', 'utf8'));
  } catch {
    result.mainThreadLongTasks = 'not measured yet: run the e2e tests (npm run test:e2e), which write bench-results/longtasks.json';
  }
  writeAtomic(out, JSON.stringify(result, null, 2));
  console.log(JSON.stringify(result));
}

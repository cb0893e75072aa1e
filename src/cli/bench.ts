import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from '../core/backend.ts';
import { SIZES, type SizeName } from '../core/model/config.ts';
import { Experiment, type ExperimentConfig } from '../core/run/experiment.ts';
import { buildPreset } from '../core/schedule/presets.ts';
import type { PresetName } from '../core/schedule/spec.ts';
import type { Corpus } from '../core/data/corpus.ts';
import { loadCorpus } from '../node/corpus.ts';
import { useNodeBackend } from '../node/backends.ts';
import { UsageError, parseFlags, positiveInt } from './args.ts';

const FLAGS = {
  out: { type: 'string' },
  backends: { type: 'string' },
  steps: { type: 'string' },
  'schedule-steps': { type: 'string' },
  'schedule-backend': { type: 'string' },
  quick: { type: 'boolean' },
} as const;

const NODE_BACKENDS: readonly BackendName[] = ['cpu', 'wasm', 'webgpu'];

function config(size: SizeName, preset: PresetName, steps: number): ExperimentConfig {
  const { model, train } = SIZES[size];
  return {
    size,
    model,
    // Evaluation only at the end: it is not part of the training time being measured.
    train: { ...train, steps, warmupSteps: Math.max(1, Math.floor(steps / 10)), evalEvery: steps, logEvery: Math.min(train.logEvery, steps) },
    schedule: buildPreset(preset, steps, model),
    seed: 1,
  };
}

async function runExperiment(cfg: ExperimentConfig, corpus: Corpus, backend: string) {
  const exp = new Experiment(cfg, corpus, backend);
  while (!exp.done) await exp.step();
  const record = exp.record;
  const flops = exp.flops;
  exp.dispose();
  return { record, flops };
}

/** GFLOP/s of an n×n·n×n matmul, timed with an awaited read after each product. */
async function matmulGflops(n: number, reps: number): Promise<number> {
  const a = tf.randomUniform([n, n], -1, 1, 'float32', 1);
  const b = tf.randomUniform([n, n], -1, 1, 'float32', 2);
  const warm = tf.matMul(a, b);
  await warm.data();
  warm.dispose();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) {
    const c = tf.matMul(a, b);
    await c.data();
    c.dispose();
  }
  const seconds = (performance.now() - t0) / 1000;
  a.dispose();
  b.dispose();
  return (2 * n * n * n * reps) / seconds / 1e9;
}

/** Training throughput at a size: a few warm-up steps are run and discarded (kernel compilation, buffer pools). */
async function stepThroughput(size: SizeName, steps: number, corpus: Corpus, backend: string) {
  const warmup = 3;
  const { record, flops } = await runExperiment(config(size, 'baseline', steps + warmup), corpus, backend);
  const timed = record.steps.slice(warmup);
  const seconds = timed.reduce((s, m) => s + m.wallMs, 0) / 1000;
  const tokens = timed.reduce((s, m) => s + m.tokens, 0);
  const trainingFlopsPerStep = flops.stages[0].flopsPerStep;
  return {
    steps: timed.length,
    secondsPerStep: seconds / timed.length,
    tokensPerSec: tokens / seconds,
    trainingFlopsPerStep,
    gflops: (trainingFlopsPerStep * timed.length) / seconds / 1e9,
  };
}

export async function benchCommand(argv: string[]): Promise<void> {
  const v = parseFlags(argv, FLAGS, 'bench');
  const quick = v.quick === true;
  const out = typeof v.out === 'string' ? v.out : 'bench-results/bench.json';
  const wanted = typeof v.backends === 'string' ? v.backends.split(',') : [...NODE_BACKENDS];
  for (const b of wanted) {
    if (!NODE_BACKENDS.includes(b as BackendName)) throw new UsageError(`--backends: unknown backend "${b}" (allowed: ${NODE_BACKENDS.join(', ')})`);
  }
  const steps = positiveInt('steps', v.steps, quick ? 3 : 10);
  const scheduleSteps = positiveInt('schedule-steps', v['schedule-steps'], quick ? 20 : 100);
  const scheduleBackend = typeof v['schedule-backend'] === 'string' ? v['schedule-backend'] : 'wasm';
  tf.enableProdMode();
  const corpus = await loadCorpus();
  const result: Record<string, unknown> = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version, platform: process.platform },
    note: 'GFLOP/s count matmul FLOPs only (see src/core/schedule/flops.ts); training = 3x forward. mfu = training GFLOP/s / the same backend\'s square-matmul GFLOP/s, measured in this run.',
  };
  const backends: Record<string, unknown> = {};
  for (const name of wanted as BackendName[]) {
    let choice;
    try {
      choice = await useNodeBackend(name);
    } catch (e) {
      backends[name] = { available: false, reason: (e as Error).message };
      console.error(`bench: ${name} unavailable: ${(e as Error).message}`);
      continue;
    }
    const n = quick ? 256 : 1024;
    const matmul = await matmulGflops(n, quick ? 2 : 5);
    const sizes: Record<string, unknown> = {};
    for (const size of ['tiny', 'small'] as SizeName[]) {
      const t = await stepThroughput(size, steps, corpus, choice.name);
      sizes[size] = { ...t, mfu: t.gflops / matmul };
      console.error(`bench: ${name} ${size}: ${t.tokensPerSec.toFixed(0)} tok/s, ${t.gflops.toFixed(2)} GFLOP/s (matmul ${matmul.toFixed(2)})`);
    }
    backends[name] = { available: true, adapter: choice.adapter, matmul: { n, gflops: matmul }, sizes };
  }
  result.backends = backends;

  if (NODE_BACKENDS.includes(scheduleBackend as BackendName)) {
    const choice = await useNodeBackend(scheduleBackend as BackendName);
    const runs = [];
    for (const preset of ['baseline', 'stack', 'compound'] as PresetName[]) {
      const { record, flops } = await runExperiment(config('small', preset, scheduleSteps), corpus, choice.name);
      runs.push({ preset, steps: scheduleSteps, wallMs: record.wallTimeMs, trainingFlops: flops.flops, forwardFlops: flops.forwardFlops, flopsSpeedup: flops.flopsSpeedup, finalValLoss: record.summary.valLoss });
      console.error(`bench: schedule ${preset}: ${(record.wallTimeMs / 1000).toFixed(1)} s, ${flops.forwardFlops.toExponential(3)} forward FLOPs`);
    }
    const base = runs[0];
    result.schedules = {
      backend: choice.name,
      size: 'small',
      runs: runs.map((r) => ({ ...r, wallSpeedup: base.wallMs / r.wallMs })),
    };
  }
  try {
    result.mainThreadLongTasks = JSON.parse(await readFile('bench-results/longtasks.json', 'utf8'));
  } catch {
    result.mainThreadLongTasks = 'not measured yet: run the e2e tests (npm run test:e2e), which write bench-results/longtasks.json';
  }
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, JSON.stringify(result, null, 2));
  console.log(JSON.stringify(result));
}

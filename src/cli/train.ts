import { writeFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { SIZES, SIZE_NAMES, validateModelConfig, type SizeName } from '../core/model/config.ts';
import { PRESET_NAMES, type PresetName } from '../core/schedule/spec.ts';
import { buildPreset } from '../core/schedule/presets.ts';
import { Experiment, type ExperimentConfig } from '../core/run/experiment.ts';
import { loadCorpus } from '../node/corpus.ts';
import { useNodeBackend } from '../node/backends.ts';
import type { BackendName } from '../core/backend.ts';
import { UsageError, choice, parseFlags, positiveInt, nonNegativeInt } from './args.ts';

const NODE_BACKENDS = ['cpu', 'wasm', 'webgpu'] as const;

export const TRAIN_FLAGS = {
  size: { type: 'string' },
  steps: { type: 'string' },
  seed: { type: 'string' },
  backend: { type: 'string' },
  preset: { type: 'string' },
  norm: { type: 'string' },
  layers: { type: 'string' },
  hidden: { type: 'string' },
  heads: { type: 'string' },
  ffn: { type: 'string' },
  lr: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** Builds the experiment a set of train flags describes (shared by train and bench). */
export function experimentFromFlags(v: Record<string, string | boolean | undefined>): ExperimentConfig {
  const size = choice<SizeName>('size', v.size, SIZE_NAMES, 'tiny');
  const base = SIZES[size];
  const steps = positiveInt('steps', v.steps, base.train.steps);
  const seed = nonNegativeInt('seed', v.seed, 1);
  const preset = choice<PresetName>('preset', v.preset, PRESET_NAMES, 'baseline');
  const norm = choice('norm', v.norm, ['pre', 'post'] as const, base.model.norm);
  const model = {
    ...base.model,
    norm,
    layers: positiveInt('layers', v.layers, base.model.layers),
    hidden: positiveInt('hidden', v.hidden, base.model.hidden),
    heads: positiveInt('heads', v.heads, base.model.heads),
    ffn: positiveInt('ffn', v.ffn, base.model.ffn),
  };
  const lr = v.lr === undefined ? base.train.lr : Number(v.lr);
  if (!(lr > 0) || !Number.isFinite(lr)) throw new UsageError(`--lr: expected a positive number, got "${String(v.lr)}"`);
  const train = {
    ...base.train,
    steps,
    lr,
    // Short runs still log and evaluate at least a few times.
    evalEvery: Math.min(base.train.evalEvery, steps),
    warmupSteps: Math.min(base.train.warmupSteps, Math.max(1, Math.floor(steps / 10))),
  };
  validateModelConfig(model);
  return { size, model, train, schedule: buildPreset(preset, steps, model), seed };
}

export async function trainCommand(argv: string[]): Promise<void> {
  const v = parseFlags(argv, TRAIN_FLAGS, 'train');
  const config = experimentFromFlags(v);
  const backendName = choice<BackendName>('backend', v.backend, NODE_BACKENDS, 'cpu');
  const json = v.json === true;
  tf.enableProdMode();
  const backend = await useNodeBackend(backendName);
  const corpus = await loadCorpus();
  const total = config.train.steps;
  const t0 = performance.now();
  const exp = new Experiment(config, corpus, backend.name, {
    onMetrics(ms) {
      const last = ms[ms.length - 1];
      const elapsed = (performance.now() - t0) / 1000;
      const tokens = ms.reduce((s, m) => s + m.tokens, 0);
      const wall = ms.reduce((s, m) => s + m.wallMs, 0) / 1000;
      const eta = (elapsed / last.step) * (total - last.step);
      log(`step ${last.step}/${total}  loss ${last.loss.toFixed(4)}  lr ${last.lr.toExponential(2)}  ${(tokens / wall).toFixed(0)} tok/s  ETA ${eta.toFixed(0)}s`);
    },
    onValidation(p) {
      log(`  validation @${p.step}: loss ${p.loss.toFixed(4)}  acc ${(100 * p.accuracy).toFixed(2)}%`);
    },
    onStage(s, phase) {
      if (phase === 'start') log(`stage ${s.index + 1}/${config.schedule.stages.length}: ${s.label} (steps ${s.startStep + 1}-${s.endStep})`);
    },
    onGrowth(g) {
      log(`  grow ${g.fromLabel} -> ${g.toLabel} [${g.ops.join(', ')}]: loss ${g.lossBefore.toFixed(4)} -> ${g.lossAfter.toFixed(4)}, max |Δlogit| ${g.maxAbsLogitDiff.toExponential(2)}`);
    },
  });
  log(`growlab train: size ${config.size}, preset ${config.schedule.preset}, ${total} steps, seed ${config.seed}, backend ${backend.name}`);
  while (!exp.done) await exp.step();
  const record = exp.record;
  exp.dispose();
  if (exp.divergence) {
    const d = exp.divergence;
    log(`stopped: loss became ${d.loss} at step ${d.step} in stage ${d.stageIndex + 1} (${d.stageLabel}); the record keeps everything before it`);
  }
  if (typeof v.out === 'string') {
    await writeFile(v.out, JSON.stringify(record, null, 1));
    log(`wrote ${v.out}`);
  }
  const s = record.summary;
  if (json) {
    console.log(JSON.stringify({
      ...s,
      stages: record.stages.map((st) => ({ label: st.label, startStep: st.startStep, endStep: st.endStep, flops: st.flops, wallMs: st.wallMs })),
      flops: exp.flops.forwardFlops,
      baselineFlops: exp.flops.baselineForwardFlops,
      flopsSpeedup: exp.flops.flopsSpeedup,
    }));
  } else {
    log(`done: ${s.steps} steps, loss ${s.firstLoss?.toFixed(4)} -> ${s.finalLoss?.toFixed(4)}, validation loss ${s.valLoss?.toFixed(4)}, acc ${((s.valAcc ?? 0) * 100).toFixed(2)}%, ${s.tokensPerSec?.toFixed(0)} tok/s`);
  }
  if (exp.divergence) process.exitCode = 3;
}

function log(line: string): void {
  console.log(line);
}

import { basename, dirname, relative, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { SIZES, SIZE_NAMES, defaultLr, validateModelConfig, type SizeName } from '../core/model/config.ts';
import { PRESET_NAMES, scheduleSpecSchema, type PresetName, type ScheduleSpec } from '../core/schedule/spec.ts';
import { parseFormat } from '../core/schema/parse.ts';
import { buildPreset } from '../core/schedule/presets.ts';
import { Experiment, type ExperimentHooks } from '../core/run/experiment.ts';
import { validateExperiment, type ExperimentConfig } from '../core/run/config.ts';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../core/checkpoint/format.ts';
import { loadCorpus } from '../node/corpus.ts';
import { useNodeBackend } from '../node/backends.ts';
import { setFused } from '../core/kernels/ops.ts';
import { writeAtomic } from '../node/write-atomic.ts';
import type { BackendName } from '../core/backend-names.ts';
import { MAX_CHECKPOINT_BYTES, readInput } from './inputs.ts';
import { checkOutputs, type OutputFile } from './outputs.ts';
import { UsageError, choice, parseFlags, positiveInt, positiveNumber, nonNegativeInt } from './args.ts';
import { showPath } from '../core/errors.ts';

const NODE_BACKENDS = ['cpu', 'wasm', 'webgpu'] as const;

export const TRAIN_FLAGS = {
  size: { type: 'string' },
  steps: { type: 'string' },
  seed: { type: 'string' },
  backend: { type: 'string' },
  preset: { type: 'string' },
  schedule: { type: 'string' },
  norm: { type: 'string' },
  layers: { type: 'string' },
  hidden: { type: 'string' },
  heads: { type: 'string' },
  ffn: { type: 'string' },
  lr: { type: 'string' },
  'eval-every': { type: 'string' },
  'eval-batches': { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  resume: { type: 'string' },
  'save-every': { type: 'string' },
  'checkpoint-out': { type: 'string' },
  'stop-after': { type: 'string' },
  reference: { type: 'boolean' },
  force: { type: 'boolean' },
} as const;

/** Flags that define the run; with --resume the checkpoint defines it instead. */
const CONFIG_FLAGS = ['size', 'steps', 'seed', 'preset', 'schedule', 'norm', 'layers', 'hidden', 'heads', 'ffn', 'lr', 'eval-every', 'eval-batches'] as const;

async function readCheckpointFile(path: string): Promise<Checkpoint> {
  return decodeCheckpoint(await readInput('resume', path, MAX_CHECKPOINT_BYTES), path);
}

/** A schedule file is a few stages of JSON; anything near this is not one. */
const MAX_SCHEDULE_BYTES = 1 << 20;

/**
 * --schedule FILE: a ScheduleSpec as JSON (what run records hold under config.schedule), for
 * stages no preset makes, e.g. growing d and heads with hiddenDiv/headsDiv. Its fields are
 * checked here; how they fit the model is validateSchedule's, when the experiment is made.
 */
export async function readScheduleFile(path: string): Promise<ScheduleSpec> {
  const text = new TextDecoder().decode(await readInput('schedule', path, MAX_SCHEDULE_BYTES));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--schedule: "${showPath(path)}" is not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  return parseFormat(scheduleSpecSchema, json, { format: 'schedule', file: path });
}

/** --checkpoint-out, else beside --out (run.json -> run.safetensors), else none. */
function checkpointPath(v: Record<string, string | boolean | undefined>): string | null {
  if (typeof v['checkpoint-out'] === 'string') return v['checkpoint-out'];
  if (typeof v.out === 'string') return resolve(dirname(v.out), `${basename(v.out).replace(/\.json$/i, '')}.safetensors`);
  return null;
}

/** Builds the experiment a set of train flags describes (shared by train and bench). */
export function experimentFromFlags(v: Record<string, string | boolean | undefined>, schedule?: ScheduleSpec): ExperimentConfig {
  if (schedule && v.preset !== undefined) throw new UsageError('--schedule and --preset both name the stages to run; keep one');
  const size = choice<SizeName>('size', v.size, SIZE_NAMES, 'tiny');
  const base = SIZES[size];
  // A schedule file's stages fix the run's length; a differing --steps is then reported by validation.
  const steps = positiveInt('steps', v.steps, schedule ? schedule.stages.reduce((n, st) => n + st.steps, 0) : base.train.steps);
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
  // Each LayerNorm placement has its own swept rate (docs/lr-sweep.md), so --norm post picks post-LN's.
  const lr = positiveNumber('lr', v.lr) ?? defaultLr(size, norm);
  const train = {
    ...base.train,
    steps,
    lr,
    // Short runs still evaluate at least once, at the end.
    evalEvery: positiveInt('eval-every', v['eval-every'], Math.min(base.train.evalEvery, steps)),
    evalBatches: positiveInt('eval-batches', v['eval-batches'], base.train.evalBatches),
    warmupSteps: Math.min(base.train.warmupSteps, Math.max(1, Math.floor(steps / 10))),
  };
  validateModelConfig(model);
  return { size, model, train, schedule: schedule ?? buildPreset(preset, steps, model), seed };
}

/** Exit code 3 when the run diverged (the record keeps everything before it), else 0. */
export async function trainCommand(argv: string[]): Promise<number> {
  const v = parseFlags(argv, TRAIN_FLAGS, 'train');
  const resumeFrom = typeof v.resume === 'string' ? await readCheckpointFile(v.resume) : null;
  if (resumeFrom) {
    const clash = CONFIG_FLAGS.filter((f) => v[f] !== undefined);
    if (clash.length) throw new UsageError(`--resume takes the run's config from the checkpoint; drop ${clash.map((f) => `--${f}`).join(', ')}`);
  }
  const schedule = typeof v.schedule === 'string' ? await readScheduleFile(v.schedule) : undefined;
  const config = resumeFrom ? resumeFrom.config : experimentFromFlags(v, schedule);
  // Before any backend starts or data loads: a schedule that does not fit the model is bad input.
  validateExperiment(config);
  const saveEvery = nonNegativeInt('save-every', v['save-every'], 0);
  const stopAfter = v['stop-after'] === undefined ? null : positiveInt('stop-after', v['stop-after'], 1);
  const ckptPath = checkpointPath(v);
  if (saveEvery > 0 && !ckptPath) throw new UsageError('--save-every needs --checkpoint-out FILE (or --out run.json, which puts run.safetensors beside it)');
  const outputs: OutputFile[] = [
    ...(typeof v.out === 'string' ? [{ what: '--out', path: v.out }] : []),
    ...(ckptPath ? [{ what: typeof v['checkpoint-out'] === 'string' ? '--checkpoint-out' : 'the checkpoint beside --out', path: ckptPath }] : []),
  ];
  checkOutputs(outputs, { force: v.force === true, ...(typeof v.resume === 'string' ? { reading: { what: '--resume', path: v.resume } } : {}) });
  const backendName = choice<BackendName>('backend', v.backend, NODE_BACKENDS, 'wasm');
  const json = v.json === true;
  tf.enableProdMode();
  // The unfused tfjs ops: the reference the fused kernels are tested against.
  if (v.reference === true) setFused(false, '--reference');
  const backend = await useNodeBackend(backendName);
  const corpus = await loadCorpus();
  const total = config.train.steps;
  const t0 = performance.now();
  const hooks: ExperimentHooks = {
    onCheckpoint(c) {
      if (!ckptPath) return;
      writeAtomic(ckptPath, encodeCheckpoint(c));
    },
    onMetrics(ms) {
      const last = ms[ms.length - 1];
      const elapsed = (performance.now() - t0) / 1000;
      const tokens = ms.reduce((s, m) => s + m.tokens, 0);
      const wall = ms.reduce((s, m) => s + m.wallMs, 0) / 1000;
      const eta = (elapsed / last.step) * (total - last.step);
      log(`step ${last.step}/${total}  loss ${last.loss.toFixed(4)}  lr ${last.lr.toExponential(2)}  ${(tokens / wall).toFixed(0)} tok/s  ETA ${eta.toFixed(0)}s`);
    },
    onValidation(p) {
      log(`  validation @${p.step}: loss ${p.loss.toFixed(4)} ± ${p.stderr?.toFixed(4)} (s.e., ${p.predictions} predictions)  acc ${(100 * p.accuracy).toFixed(2)}%`);
    },
    onStage(s, phase) {
      if (phase === 'start') log(`stage ${s.index + 1}/${config.schedule.stages.length}: ${s.label} (steps ${s.startStep + 1}-${s.endStep})`);
    },
    onGrowth(g) {
      log(`  grow ${g.fromLabel} -> ${g.toLabel} [${g.ops.join(', ')}]: loss ${g.lossBefore.toFixed(4)} -> ${g.lossAfter.toFixed(4)}, max |Δlogit| ${g.maxAbsLogitDiff.toExponential(2)}`);
    },
    onCopySeparation(g) {
      const c = g.copySeparation!;
      log(`  FFN copies of the growth at step ${g.step}, at step ${c.step}: relative difference min ${c.minRelDiff.toExponential(2)}, max ${c.maxRelDiff.toExponential(2)} over layers`);
    },
  };
  const options = { checkpointEvery: saveEvery };
  const exp = resumeFrom ? Experiment.fromCheckpoint(resumeFrom, corpus, backend.name, hooks, options) : new Experiment(config, corpus, backend.name, hooks, options);
  log(resumeFrom
    ? `growlab train: resuming ${v.resume} at step ${resumeFrom.step}/${total} (trained on ${resumeFrom.backend}), backend ${backend.name}`
    : `growlab train: size ${config.size}, preset ${config.schedule.preset}, ${total} steps, seed ${config.seed}, backend ${backend.name}`);
  while (!exp.done) {
    if (stopAfter !== null && exp.globalStep >= stopAfter) {
      await exp.stop();
      log(`stopped after step ${exp.globalStep} (--stop-after)${ckptPath ? `; resume with --resume ${ckptPath}` : ''}`);
      break;
    }
    await exp.step();
  }
  const record = exp.record;
  if (ckptPath && typeof v.out === 'string') record.checkpoint = relative(dirname(resolve(v.out)), resolve(ckptPath));
  exp.dispose();
  if (exp.divergence) {
    const d = exp.divergence;
    log(`stopped: loss became ${d.loss} at step ${d.step} in stage ${d.stageIndex + 1} (${d.stageLabel}); the record keeps everything before it`);
  }
  if (typeof v.out === 'string') {
    writeAtomic(v.out, JSON.stringify(record, null, 1));
    log(`wrote ${v.out}${ckptPath ? ` and ${ckptPath}` : ''}`);
  }
  const s = record.summary;
  if (json) {
    console.log(JSON.stringify({
      ...s,
      stages: record.stages.map((st) => ({ label: st.label, startStep: st.startStep, endStep: st.endStep, flops: st.flops, wallMs: st.wallMs })),
      growthEvents: record.growthEvents,
      flops: exp.flops.forwardFlops,
      baselineFlops: exp.flops.baselineForwardFlops,
      flopsSpeedup: exp.flops.flopsSpeedup,
    }));
  } else {
    log(`done: ${s.steps} steps, loss ${s.firstLoss?.toFixed(4)} -> ${s.finalLoss?.toFixed(4)}, validation loss ${s.valLoss?.toFixed(4) ?? 'not run'}, acc ${s.valAcc === null ? 'n/a' : `${(s.valAcc * 100).toFixed(2)}%`}, ${s.tokensPerSec?.toFixed(0)} tok/s`);
  }
  return exp.divergence ? 3 : 0;
}

function log(line: string): void {
  console.log(line);
}

import { dirname, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from '../core/backend-names.ts';
import { checkpointParams } from '../core/checkpoint/checkpoint.ts';
import { decodeCheckpoint } from '../core/checkpoint/format.ts';
import { ConfigError, showPath } from '../core/errors.ts';
import { checkGenreTask, GENRE_TASKS } from '../core/eval/genre-data.ts';
import { evaluateGenre, GENRE_MODES, type GenreEvalResult, type GenreMode } from '../core/eval/genre.ts';
import { SIZES, SIZE_NAMES, type ModelConfig, type SizeName } from '../core/model/config.ts';
import { disposeParams, initParams, type Params } from '../core/model/params.ts';
import { readRunRecord } from '../core/train/run-file.ts';
import { loadCorpus } from '../node/corpus.ts';
import { useNodeBackend } from '../node/backends.ts';
import { MAX_CHECKPOINT_BYTES, MAX_JSON_BYTES, readInput } from './inputs.ts';
import { UsageError, choice, nonNegativeInt, parseFlags, positiveInt, positiveNumber } from './args.ts';

export const EVAL_FLAGS = {
  run: { type: 'string' },
  checkpoint: { type: 'string' },
  size: { type: 'string' },
  task: { type: 'string' },
  mode: { type: 'string' },
  pool: { type: 'string' },
  steps: { type: 'string' },
  lr: { type: 'string' },
  'head-lr': { type: 'string' },
  backend: { type: 'string' },
  seed: { type: 'string' },
  json: { type: 'boolean' },
  'random-init': { type: 'boolean' },
} as const;


/** Where the encoder comes from: a checkpoint's weights, or (random init) only its shape. */
export interface EvalSource {
  model: ModelConfig;
  /** null: the caller initialises fresh weights. */
  weights: (() => Params) | null;
  label: string;
}

/** A run record is JSON; a checkpoint is safetensors (inputs.ts has the limits). */
const readBytes = (flag: 'run' | 'checkpoint', path: string) => readInput(flag, path, flag === 'run' ? MAX_JSON_BYTES : MAX_CHECKPOINT_BYTES);

function shape(m: ModelConfig): string {
  return `${m.layers} layers, hidden ${m.hidden}, ${m.heads} heads, ffn ${m.ffn}${m.ffnRank ? ` (rank ${m.ffnRank})` : ''}, vocab ${m.vocabSize}, maxLen ${m.maxLen}, ${m.norm}-LN`;
}

function sameModel(a: ModelConfig, b: ModelConfig): boolean {
  const keys: (keyof ModelConfig)[] = ['vocabSize', 'hidden', 'layers', 'heads', 'ffn', 'ffnRank', 'maxLen', 'norm'];
  return keys.every((k) => a[k] === b[k]);
}

/** A checkpoint file's encoder. */
export async function sourceFromCheckpoint(path: string): Promise<EvalSource> {
  const c = decodeCheckpoint(await readBytes('checkpoint', path), path);
  return { model: c.model, weights: () => checkpointParams(c), label: `${path} (step ${c.step})` };
}

/** The final checkpoint a run file (`growlab train --out run.json`) names, checked against the run's model. */
export async function sourceFromRun(path: string): Promise<EvalSource> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(await readBytes('run', path)));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new ConfigError('run', `"${showPath(path)}" is not JSON; expected a run file written by \`growlab train --out run.json\``);
  }
  const run = readRunRecord(parsed, path);
  if (run.checkpoint === undefined || run.checkpoint === '') {
    throw new ConfigError('run', `"${showPath(path)}" names no checkpoint; train with \`growlab train --out run.json\`, which writes run.safetensors beside it, or pass --checkpoint FILE`);
  }
  const ckptPath = resolve(dirname(path), run.checkpoint);
  const source = await sourceFromCheckpoint(ckptPath);
  const runModel = run.config.model;
  if (!sameModel(runModel, source.model)) {
    throw new ConfigError('checkpoint', `${showPath(ckptPath)} holds a model of ${shape(source.model)}, but the run file's model is ${shape(runModel)}; the checkpoint is from another run or an unfinished growth stage`);
  }
  return { ...source, label: `${path} -> ${source.label}` };
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

export async function evalCommand(argv: string[]): Promise<void> {
  const v = parseFlags(argv, EVAL_FLAGS, 'eval');
  const given = (['run', 'checkpoint', 'size'] as const).filter((f) => v[f] !== undefined);
  if (given.length !== 1) {
    throw new UsageError(`eval: give exactly one of --run run.json, --checkpoint FILE, or --size ${SIZE_NAMES.join('|')} with --random-init (got ${given.length ? given.map((f) => `--${f}`).join(' and ') : 'none'})`);
  }
  if (v.task === undefined) throw new UsageError(`eval: --task is required (allowed: ${GENRE_TASKS.join(', ')})`);
  const task = checkGenreTask(v.task);
  const modeArg = choice('mode', v.mode, [...GENRE_MODES, 'both'] as const, 'both');
  const modes: GenreMode[] = modeArg === 'both' ? [...GENRE_MODES] : [modeArg];
  const steps = v.steps === undefined ? undefined : positiveInt('steps', v.steps, 1);
  const lr = positiveNumber('lr', v.lr);
  const headLr = positiveNumber('head-lr', v['head-lr']);
  if (modeArg === 'probe' && (lr !== undefined || headLr !== undefined)) {
    throw new UsageError('--lr and --head-lr set fine-tuning\'s rates; drop them for --mode probe, or use --mode finetune|both');
  }
  const seed = nonNegativeInt('seed', v.seed, 0);
  const pool = choice('pool', v.pool, ['cls', 'mean'] as const, 'cls');
  const randomInit = v['random-init'] === true;
  if (v.size !== undefined && !randomInit) throw new UsageError('--size gives only a model shape, so it needs --random-init (or evaluate trained weights with --run/--checkpoint)');
  const backendName = choice<BackendName>('backend', v.backend, ['wasm', 'cpu'] as const, 'wasm');
  const json = v.json === true;

  const source: EvalSource = typeof v.run === 'string'
    ? await sourceFromRun(v.run)
    : typeof v.checkpoint === 'string'
      ? await sourceFromCheckpoint(v.checkpoint)
      : { model: SIZES[choice<SizeName>('size', v.size, SIZE_NAMES, 'tiny')].model, weights: null, label: `size ${String(v.size)}` };
  tf.enableProdMode();
  const backend = await useNodeBackend(backendName);
  const corpus = await loadCorpus();
  const params = randomInit || !source.weights ? initParams(source.model, seed) : source.weights();
  const what = randomInit ? `randomly initialised encoder shaped like ${source.label}` : source.label;
  log(`growlab eval: ${task} on ${what}; ${shape(source.model)}; backend ${backend.name}, seed ${seed}`);
  const results: GenreEvalResult[] = [];
  try {
    for (const mode of modes) {
      const r = await evaluateGenre(params, source.model, corpus, {
        task, mode, seed, steps, pool, ...(mode === 'finetune' ? { lr, headLr } : {}),
        onProgress: (phase, done, total) => { if (done === total) log(`  ${mode}: ${phase} done (${total})`); },
      });
      results.push(r);
      log(`${mode}: accuracy ${pct(r.accuracy)}, macro-F1 ${r.macroF1.toFixed(3)}  (majority "${r.majority.label}": ${pct(r.majority.accuracy)}, ${r.majority.macroF1.toFixed(3)})  `
        + `train loss ${r.trainLoss.first.toFixed(3)} -> ${r.trainLoss.last.toFixed(3)}, ${r.steps} steps, ${r.trainPassages} train / ${r.testPassages} test passages, ${(r.wallMs / 1000).toFixed(1)}s`);
    }
  } finally {
    disposeParams(params);
  }
  if (!json) {
    const r = results[0];
    log(`test passages per class: ${r.classes.map((c, i) => `${c} ${r.perClass[i].support}`).join(', ')}`);
    log('macro-F1 averages F1 over the classes present in the test set.');
  } else {
    console.log(JSON.stringify({ task, source: source.label, randomInit, backend: backend.name, seed, model: source.model, results }));
  }
}

function log(line: string): void {
  console.log(line);
}

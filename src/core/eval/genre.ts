import * as tf from '@tensorflow/tfjs-core';
// Fine-tuning needs gradient functions, which tfjs-core alone does not register.
import { packWindow, type Window } from '../data/batcher.ts';
import type { Corpus } from '../data/corpus.ts';
import { atVocab } from '../data/vocab-cap.ts';
import { deriveSeed, Rng } from '../data/rng.ts';
import { ConfigError } from '../errors.ts';
import type { ModelConfig } from '../model/config.ts';
import { encode } from '../model/forward.ts';
import { INIT_STD, type Params } from '../model/params.ts';
import { learningRate } from '../train/lr.ts';
import { crossEntropy } from '../train/loss.ts';
import { createAdamState, disposeAdamState, gradientStep, type OptimizerGroup } from '../train/optimizer.ts';
import { confusionMatrix, scoreConfusion, type ClassScore } from './classification.ts';
import { checkGenreTask, genreClasses, genrePassages, type GenreTask, type LabelledPassages } from './genre-data.ts';

export { GENRE_TASKS, type GenreTask } from './genre-data.ts';

/** finetune: encoder + linear classifier on [CLS], all trained; probe: frozen [CLS] features, linear classifier only. */
export type GenreMode = 'finetune' | 'probe';
export const GENRE_MODES: readonly GenreMode[] = ['finetune', 'probe'];
/** What the classifier reads: the final [CLS] state (BERT's choice), or the mean over the passage's tokens. */
export type GenrePool = 'cls' | 'mean';

export interface GenreOptions {
  task: GenreTask;
  mode: GenreMode;
  /** Seeds the classifier's initialisation, the data order and dropout. */
  seed: number;
  /** Optimizer steps: fine-tuning steps, or the probe's full-batch steps. Defaults: genreDefaults. */
  steps?: number;
  /** Passages per fine-tuning step; the probe trains on all its features at once. */
  batchSize?: number;
  /** Peak learning rate of the encoder when fine-tuning, of the classifier when probing. */
  lr?: number;
  /** Peak learning rate of the classifier while fine-tuning (it starts from scratch, the encoder does not). */
  headLr?: number;
  /**
   * Dropout while fine-tuning. Default 0: a briefly pre-trained encoder's [CLS] states differ
   * between passages by ~1e-3 of their size, far below the noise dropout 0.1 adds, and in a short
   * budget the classifier then learns nothing (measured at the small size: training loss flat,
   * test accuracy below the majority class; without dropout both improve).
   */
  dropout?: number;
  /** Passage representation (default cls). */
  pool?: GenrePool;
  /** Positions per passage, [CLS] and [SEP] included; at most the model's maxLen. */
  seqLen?: number;
  /** Training passages per train document (0 = all). */
  trainPerDoc?: number;
  /** Test passages per test document (0 = all). */
  testPerDoc?: number;
  /** Called as work advances, e.g. to drive a progress bar. */
  onProgress?: (phase: 'train' | 'features' | 'test', done: number, total: number) => void;
}

export type GenreBudget = Required<Omit<GenreOptions, 'task' | 'mode' | 'seed' | 'onProgress'>>;

export interface GenreScores {
  accuracy: number;
  /** Mean F1 over the classes present in the test set (classes with no test passage are left out). */
  macroF1: number;
}

export interface GenreEvalResult extends GenreScores {
  task: GenreTask;
  mode: GenreMode;
  classes: string[];
  /** The most frequent training label predicted for every test passage. */
  majority: GenreScores & { label: string };
  /** confusion[true][predicted] over the test passages, in `classes` order. */
  confusion: number[][];
  /** Precision, recall, F1 and test support per class: the test set is imbalanced (Brown has 80 learned texts, 6 science fiction). */
  perClass: ClassScore[];
  /** Training passages per class. */
  trainCounts: number[];
  trainPassages: number;
  testPassages: number;
  steps: number;
  /** Mean classifier cross-entropy over the first and the last 10% of training steps (on the step's batch when fine-tuning). */
  trainLoss: { first: number; last: number };
  budget: GenreBudget;
  wallMs: number;
}

/**
 * Budgets by model width, sized so one evaluation takes seconds at tiny and well under a minute at
 * small on wasm with two cores. Passages per document are capped at small and above: encoding every
 * test passage (~2,100 of 64 tokens) would cost more than the training itself.
 */
export function genreDefaults(model: ModelConfig, mode: GenreMode): GenreBudget {
  const common = { batchSize: 16, headLr: 1e-2, dropout: 0, pool: 'cls' as GenrePool };
  const perDoc = model.hidden <= 64
    ? { seqLen: Math.min(32, model.maxLen), trainPerDoc: 4, testPerDoc: 0 }
    : model.hidden <= 128
      ? { seqLen: Math.min(64, model.maxLen), trainPerDoc: 2, testPerDoc: 6 }
      : { seqLen: Math.min(128, model.maxLen), trainPerDoc: 2, testPerDoc: 4 };
  if (mode === 'probe') return { ...common, ...perDoc, steps: 300, lr: 1e-2 };
  const tuning = model.hidden <= 64 ? { steps: 100, lr: 1e-3 } : model.hidden <= 128 ? { steps: 50, lr: 5e-4 } : { steps: 100, lr: 2e-4 };
  return { ...common, ...perDoc, ...tuning };
}

const WEIGHT_DECAY = 0.01;
const CLIP_NORM = 1.0;
const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-6, clipNorm: CLIP_NORM };
/** Passages per forward pass when only encoding (no gradients). */
const ENCODE_BATCH = 64;
/** Training passages whose [CLS] statistics standardise the fine-tuned encoder's test features. */
const STATS_PASSAGES = 256;
/** deriveSeed sites of the classifier's init, the data order and dropout. */
const HEAD_SITE = 0;
const ORDER_SITE = 1;
const DROPOUT_SITE = 2;

function resolveBudget(model: ModelConfig, opts: GenreOptions): GenreBudget {
  const b = { ...genreDefaults(model, opts.mode) };
  const ints = ['steps', 'batchSize', 'seqLen'] as const;
  for (const k of ints) {
    const v = opts[k];
    if (v === undefined) continue;
    if (!Number.isInteger(v) || v < 1) throw new ConfigError(k, `must be a positive whole number, got ${String(v)}`);
    b[k] = v;
  }
  for (const k of ['trainPerDoc', 'testPerDoc'] as const) {
    const v = opts[k];
    if (v === undefined) continue;
    if (!Number.isInteger(v) || v < 0) throw new ConfigError(k, `must be 0 (all) or a positive whole number, got ${String(v)}`);
    b[k] = v;
  }
  for (const k of ['lr', 'headLr'] as const) {
    const v = opts[k];
    if (v === undefined) continue;
    if (!(v > 0) || !Number.isFinite(v)) throw new ConfigError(k, `must be a positive number, got ${String(v)}`);
    b[k] = v;
  }
  if (opts.pool !== undefined) {
    if (opts.pool !== 'cls' && opts.pool !== 'mean') throw new ConfigError('pool', `must be "cls" or "mean", got ${JSON.stringify(opts.pool)}`);
    b.pool = opts.pool;
  }
  if (opts.dropout !== undefined) {
    if (!(opts.dropout >= 0 && opts.dropout < 1)) throw new ConfigError('dropout', `must be a number in [0, 1), got ${String(opts.dropout)}`);
    b.dropout = opts.dropout;
  }
  if (b.seqLen < 3 || b.seqLen > model.maxLen) {
    throw new ConfigError('seqLen', `must be between 3 and the model's maxLen ${model.maxLen}, got ${b.seqLen}`);
  }
  return b;
}

/** [B, seqLen] ids and attention mask of some passages. */
interface Packed {
  ids: tf.Tensor2D;
  mask: tf.Tensor2D;
  /** The mask's values on the host, for the attention bias. */
  att: Float32Array;
}

function packPassages(corpus: Corpus, windows: Window[], seqLen: number, vocabSize: number): Packed {
  const ids = new Int32Array(windows.length * seqLen);
  const att = new Float32Array(windows.length * seqLen);
  windows.forEach((w, row) => packWindow(corpus, w, seqLen, vocabSize, ids, att, row));
  return { ids: tf.tensor2d(ids, [windows.length, seqLen], 'int32'), mask: tf.tensor2d(att, [windows.length, seqLen]), att };
}

/** Each passage's final [CLS] state, or the mean of its real tokens' final states: [B, d]. */
function passageStates(
  params: Params, model: ModelConfig, { ids, mask, att }: Packed, pool: GenrePool, training: boolean, dropoutSeed?: number,
): tf.Tensor2D {
  const h = encode(params, model, ids, att, { training, dropoutSeed });
  const [B, , d] = h.shape;
  if (pool === 'cls') return tf.reshape(tf.slice(h, [0, 0, 0], [B, 1, d]), [B, d]);
  const m = tf.expandDims(mask, 2);
  return tf.div(tf.sum(tf.mul(h, m), 1), tf.sum(m, 1)) as tf.Tensor2D;
}

interface Head {
  kernel: tf.Variable;
  bias: tf.Variable;
}

function initHead(d: number, classes: number, seed: number): Head {
  const rng = new Rng(deriveSeed(seed, HEAD_SITE));
  const w = new Float32Array(d * classes);
  for (let i = 0; i < w.length; i++) {
    let z = rng.normal();
    while (Math.abs(z) > 2) z = rng.normal();
    w[i] = INIT_STD * z;
  }
  return {
    kernel: tf.tidy(() => tf.variable(tf.tensor2d(w, [d, classes]), true)),
    bias: tf.tidy(() => tf.variable(tf.zeros([classes]), true)),
  };
}

/** Mean cross-entropy over the rows. */
function meanCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return crossEntropy(logits, labels, tf.ones([labels.shape[0]]));
}

/** One optimizer step of every group for `loss`; returns the loss (kept on the device). */
function trainStep(groups: OptimizerGroup[], loss: () => tf.Scalar): tf.Scalar {
  const { loss: value, gradNorm } = gradientStep(groups, loss, ADAM);
  gradNorm.dispose();
  return value;
}

/** Warm-up over the first tenth of the steps, then linear decay. */
function lrAt(steps: number, peak: number, step: number): number {
  return learningRate({ peak, warmupSteps: Math.ceil(steps / 10), policy: 'continue', stepInStage: step, stageSteps: steps, globalStep: step, totalSteps: steps });
}

async function meanLosses(losses: tf.Scalar[]): Promise<{ first: number; last: number }> {
  const stacked = tf.stack(losses);
  const values = await stacked.data();
  stacked.dispose();
  tf.dispose(losses);
  const k = Math.max(1, Math.round(values.length / 10));
  const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, x) => s + x, 0) / a.length;
  return { first: mean(values.slice(0, k)), last: mean(values.slice(-k)) };
}

/** Argmax class of each passage, reading back once per forward batch. */
async function predict(n: number, logitsOf: (start: number, end: number) => tf.Tensor2D, onBatch: (done: number) => void): Promise<Int32Array> {
  const out = new Int32Array(n);
  for (let s = 0; s < n; s += ENCODE_BATCH) {
    const e = Math.min(n, s + ENCODE_BATCH);
    const arg = tf.tidy(() => tf.argMax(logitsOf(s, e), 1));
    out.set(await arg.data(), s);
    arg.dispose();
    onBatch(e);
  }
  return out;
}

/** Encoder weights only (the MLM head is not part of the classifier), copied so training never touches `params`. */
function copyEncoder(params: Params): Map<string, tf.Variable> {
  const out = new Map<string, tf.Variable>();
  for (const [name, p] of params) {
    if (name.startsWith('mlm.')) continue;
    out.set(name, tf.tidy(() => tf.variable(tf.add(p, 0), true)));
  }
  return out;
}

/**
 * Per-dimension standardisation over the rows (BatchNorm without its affine part, as MAE puts before
 * its linear probe). The epsilon is far below the variances it divides: a briefly pre-trained
 * encoder's [CLS] states differ between passages by ~1e-3 (its MLM loss never uses them).
 */
function standardize(x: tf.Tensor2D): { mean: tf.Tensor; scale: tf.Tensor; x: tf.Tensor2D } {
  const m = tf.moments(x, 0);
  const scale = tf.rsqrt(tf.add(m.variance, 1e-12));
  return { mean: m.mean, scale, x: tf.mul(tf.sub(x, m.mean), scale) as tf.Tensor2D };
}

async function finetune(
  params: Params, model: ModelConfig, corpus: Corpus, b: GenreBudget, opts: GenreOptions,
  train: LabelledPassages, test: LabelledPassages, C: number,
): Promise<{ predicted: Int32Array; trainLoss: { first: number; last: number } }> {
  const enc = copyEncoder(params);
  const ftModel = { ...model, dropout: b.dropout };
  const head = initHead(model.hidden, C, opts.seed);
  const headVars = new Map<string, tf.Variable>([['head.kernel', head.kernel], ['head.bias', head.bias]]);
  const encGroup: OptimizerGroup = { params: enc, adam: createAdamState(enc), lr: 0, weightDecay: WEIGHT_DECAY };
  const headGroup: OptimizerGroup = { params: headVars, adam: createAdamState(headVars), lr: 0, weightDecay: WEIGHT_DECAY };
  /** Batch statistics while training; at test, those of the fine-tuned encoder on training passages. */
  let stats: { mean: tf.Tensor; scale: tf.Tensor } | null = null;
  const logits = (p: Params, packed: Packed, dropSeed?: number): tf.Tensor2D => {
    const cls = passageStates(p, ftModel, packed, b.pool, dropSeed !== undefined, dropSeed);
    const x = stats ? tf.mul(tf.sub(cls, stats.mean), stats.scale) : standardize(cls).x;
    return tf.add(tf.matMul(x, head.kernel), head.bias) as tf.Tensor2D;
  };
  try {
    const rows = train.windows.length;
    let order: number[] = [];
    let epoch = 0;
    let cursor = 0;
    const losses: tf.Scalar[] = [];
    for (let step = 0; step < b.steps; step++) {
      const pick: number[] = [];
      while (pick.length < b.batchSize) {
        if (cursor === order.length) {
          order = Array.from({ length: rows }, (_, i) => i);
          new Rng(deriveSeed(opts.seed, ORDER_SITE, epoch++)).shuffle(order);
          cursor = 0;
        }
        pick.push(order[cursor++]);
      }
      const dropSeed = deriveSeed(opts.seed, DROPOUT_SITE, step);
      losses.push(tf.tidy(() => {
        const packed = packPassages(corpus, pick.map((i) => train.windows[i]), b.seqLen, model.vocabSize);
        const labels = tf.tensor1d(pick.map((i) => train.labels[i]), 'int32');
        encGroup.lr = lrAt(b.steps, b.lr, step);
        headGroup.lr = lrAt(b.steps, b.headLr, step);
        return trainStep([encGroup, headGroup], () => meanCrossEntropy(logits(enc, packed, dropSeed), labels));
      }));
      // Awaiting a tiny read now and then lets the backend (and a worker's message loop) breathe.
      if ((step + 1) % 10 === 0 || step + 1 === b.steps) {
        await losses[losses.length - 1].data();
        opts.onProgress?.('train', step + 1, b.steps);
      }
    }
    const trainLoss = await meanLosses(losses);
    const sample = train.windows.filter((_, i) => i % Math.ceil(rows / STATS_PASSAGES) === 0);
    const x = await features(enc, model, corpus, sample, b.seqLen, b.pool, () => {});
    stats = tf.tidy(() => {
      const { mean, scale } = standardize(x);
      return { mean, scale };
    });
    x.dispose();
    const predicted = await predict(test.windows.length, (s, e) => tf.tidy(() => {
      return logits(enc, packPassages(corpus, test.windows.slice(s, e), b.seqLen, model.vocabSize));
    }), (done) => opts.onProgress?.('test', done, test.windows.length));
    return { predicted, trainLoss };
  } finally {
    disposeAdamState(encGroup.adam);
    disposeAdamState(headGroup.adam);
    for (const v of [...enc.values(), ...headVars.values()]) v.dispose();
    if (stats) tf.dispose([stats.mean, stats.scale]);
  }
}

/** Frozen [CLS] features of all passages, [N, d], encoded in batches. */
async function features(params: Params, model: ModelConfig, corpus: Corpus, windows: Window[], seqLen: number, pool: GenrePool, onBatch: (done: number) => void): Promise<tf.Tensor2D> {
  const parts: tf.Tensor2D[] = [];
  for (let s = 0; s < windows.length; s += ENCODE_BATCH) {
    const e = Math.min(windows.length, s + ENCODE_BATCH);
    const part = tf.tidy(() => {
      return passageStates(params, model, packPassages(corpus, windows.slice(s, e), seqLen, model.vocabSize), pool, false);
    });
    await part.data();
    parts.push(part);
    onBatch(e);
  }
  const all = tf.concat(parts, 0);
  tf.dispose(parts);
  return all;
}

async function probe(
  params: Params, model: ModelConfig, corpus: Corpus, b: GenreBudget, opts: GenreOptions,
  train: LabelledPassages, test: LabelledPassages, C: number,
): Promise<{ predicted: Int32Array; trainLoss: { first: number; last: number } }> {
  const total = train.windows.length + test.windows.length;
  const progress = (base: number) => (done: number) => opts.onProgress?.('features', base + done, total);
  const rawTrain = await features(params, model, corpus, train.windows, b.seqLen, b.pool, progress(0));
  const rawTest = await features(params, model, corpus, test.windows, b.seqLen, b.pool, progress(train.windows.length));
  // Test features are standardised with the training set's statistics, as for any logistic regression.
  const [xTrain, xTest] = tf.tidy(() => {
    const { mean, scale, x } = standardize(rawTrain);
    return [x, tf.mul(tf.sub(rawTest, mean), scale) as tf.Tensor2D];
  });
  tf.dispose([rawTrain, rawTest]);
  const y = tf.tensor1d(train.labels, 'int32');
  const head = initHead(model.hidden, C, opts.seed);
  const vars = new Map<string, tf.Variable>([['head.kernel', head.kernel], ['head.bias', head.bias]]);
  const group: OptimizerGroup = { params: vars, adam: createAdamState(vars), lr: 0, weightDecay: 0 };
  try {
    const losses: tf.Scalar[] = [];
    for (let step = 0; step < b.steps; step++) {
      group.lr = lrAt(b.steps, b.lr, step);
      losses.push(trainStep([group], () => meanCrossEntropy(tf.add(tf.matMul(xTrain, head.kernel), head.bias) as tf.Tensor2D, y)));
    }
    opts.onProgress?.('train', b.steps, b.steps);
    const trainLoss = await meanLosses(losses);
    const predicted = await predict(test.windows.length, (s, e) => tf.tidy(() =>
      tf.add(tf.matMul(tf.slice(xTest, [s, 0], [e - s, model.hidden]), head.kernel), head.bias) as tf.Tensor2D), () => {});
    return { predicted, trainLoss };
  } finally {
    disposeAdamState(group.adam);
    for (const v of vars.values()) v.dispose();
    tf.dispose([xTrain, xTest, y]);
  }
}

/**
 * Genre classification of held-out Brown passages with a pre-trained encoder. Trains on passages of
 * the train split's documents, labelled by their document's genre (or coarse group), and scores the
 * passages of the test split's documents, which pre-training never saw. `params` is never changed:
 * fine-tuning trains a copy. For the paper's controls, pass initParams(model, seed) (an untrained
 * encoder); the majority-class baseline comes with every result.
 */
export async function evaluateGenre(params: Params, model: ModelConfig, source: Corpus, opts: GenreOptions): Promise<GenreEvalResult> {
  const t0 = performance.now();
  // Passages in the tokenization the encoder was pre-trained on (its vocabulary cap).
  const corpus = atVocab(source, model.vocabSize);
  const task = checkGenreTask(opts.task);
  if (!GENRE_MODES.includes(opts.mode)) throw new ConfigError('mode', `unknown mode ${JSON.stringify(opts.mode)}; the modes are finetune and probe`);
  if (!Number.isSafeInteger(opts.seed)) throw new ConfigError('seed', `must be a whole number, got ${String(opts.seed)}`);
  const b = resolveBudget(model, opts);
  const classes = genreClasses(task);
  const C = classes.length;
  const train = genrePassages(corpus, 'train', task, b.seqLen, b.trainPerDoc);
  const test = genrePassages(corpus, 'test', task, b.seqLen, b.testPerDoc);

  const run = opts.mode === 'finetune' ? finetune : probe;
  const { predicted, trainLoss } = await run(params, model, corpus, b, opts, train, test, C);

  const confusion = confusionMatrix(test.labels, predicted, C);
  const scores = scoreConfusion(confusion);
  // Ties go to the lower label, so the baseline is a pure function of the training counts.
  const top = train.counts.indexOf(Math.max(...train.counts));
  const baseline = scoreConfusion(confusionMatrix(test.labels, new Int32Array(test.labels.length).fill(top), C));
  return {
    task,
    mode: opts.mode,
    classes,
    accuracy: scores.accuracy,
    macroF1: scores.macroF1,
    majority: { label: classes[top], accuracy: baseline.accuracy, macroF1: baseline.macroF1 },
    confusion,
    perClass: scores.perClass,
    trainCounts: train.counts,
    trainPassages: train.windows.length,
    testPassages: test.windows.length,
    steps: b.steps,
    trainLoss,
    budget: b,
    wallMs: performance.now() - t0,
  };
}

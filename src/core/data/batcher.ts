import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { count, rngState } from '../schema/numbers.ts';
import { concatBatches, type MlmBatch } from './batch.ts';
import { CLS_ID, NUM_SPECIAL, PAD_ID, SEP_ID, SPLITS, UNK_ID, type Corpus, type Split } from './corpus.ts';
import { applyMlmMasking, predsPerSeq } from './masking.ts';
import { deriveSeed, Rng } from './rng.ts';
import { atVocab } from './vocab-cap.ts';

export interface BatcherOptions {
  batchSize: number;
  /** Positions per row, [CLS] and [SEP] included. */
  seqLen: number;
  /**
   * Vocabulary cap: the corpus is tokenized with a vocabSize-entry vocabulary (vocab-cap.ts); in a
   * corpus built by hand, ids >= vocabSize become [UNK].
   */
  vocabSize: number;
  seed: number;
}

/**
 * Where a batcher is in its data stream; plain JSON for checkpoints. The index's upper bound (the
 * windows per epoch) depends on the corpus, so setCursor checks it.
 */
export const batcherCursorSchema = z.object({
  epoch: count,
  /** Next window within the epoch's shuffled order. */
  index: count,
  /** Masking Rng state. */
  rng: rngState,
});
export type BatcherCursor = z.infer<typeof batcherCursorSchema>;

/** A slice of one document that fills one row: [CLS] + `length` tokens + [SEP] + padding. */
export interface Window {
  /** Index into corpus.docs. */
  docIndex: number;
  docId: string;
  genre: string;
  /** First token, as an index into corpus.tokens. */
  start: number;
  length: number;
}

const ORDER_SITE = 1;
const MASK_SITE = 2;

/** Each document of `split` cut into consecutive windows of seqLen-2 tokens (the last one shorter). */
export function corpusWindows(corpus: Corpus, split: Split, seqLen: number): Window[] {
  if (!SPLITS.includes(split)) throw new ConfigError('split', `must be one of ${SPLITS.join(', ')}, got ${String(split)}`);
  predsPerSeq(seqLen);
  const span = seqLen - 2;
  const out: Window[] = [];
  corpus.docs.forEach((doc, docIndex) => {
    if (doc.split !== split) return;
    for (let s = 0; s < doc.length; s += span) {
      out.push({ docIndex, docId: doc.id, genre: doc.genre, start: doc.offset + s, length: Math.min(span, doc.length - s) });
    }
  });
  if (out.length === 0) throw new ConfigError('split', `the corpus has no ${split} documents`);
  return out;
}

/** Writes one window into row `row` of [B, seqLen] id and attention arrays; returns its real-token count. */
export function packWindow(
  corpus: Corpus, w: Window, seqLen: number, vocabSize: number, ids: Int32Array, attention: Float32Array, row: number,
): number {
  const base = row * seqLen;
  ids[base] = CLS_ID;
  for (let i = 0; i < w.length; i++) {
    const id = corpus.tokens[w.start + i];
    ids[base + 1 + i] = id < vocabSize ? id : UNK_ID;
  }
  ids[base + 1 + w.length] = SEP_ID;
  ids.fill(PAD_ID, base + 2 + w.length, base + seqLen);
  attention.fill(1, base, base + 2 + w.length);
  attention.fill(0, base + 2 + w.length, base + seqLen);
  return w.length + 2;
}

function validateOptions(opts: BatcherOptions): void {
  if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) {
    throw new ConfigError('batchSize', `must be a positive integer, got ${String(opts.batchSize)}`);
  }
  predsPerSeq(opts.seqLen);
  if (!Number.isInteger(opts.vocabSize) || opts.vocabSize <= NUM_SPECIAL) {
    throw new ConfigError('vocabSize', `must be an integer > ${NUM_SPECIAL} (the special tokens), got ${String(opts.vocabSize)}`);
  }
  if (!Number.isSafeInteger(opts.seed)) throw new ConfigError('seed', `must be an integer, got ${String(opts.seed)}`);
}

/**
 * Endless MLM batches from one split. Each epoch visits every window once, in an order drawn from
 * (seed, epoch) alone, so a cursor needs no copy of the permutation. Masks come from a separate Rng
 * whose state the cursor carries. For another seqLen (length-growth stages), construct a new batcher.
 */
export class MlmBatcher {
  readonly windows: Window[];
  private readonly opts: BatcherOptions;
  private readonly corpus: Corpus;
  private epoch = 0;
  private index = 0;
  private order: number[];
  private rng: Rng;

  constructor(corpus: Corpus, split: Split, opts: BatcherOptions) {
    validateOptions(opts);
    this.corpus = atVocab(corpus, opts.vocabSize);
    this.opts = { ...opts };
    this.windows = corpusWindows(this.corpus, split, opts.seqLen);
    this.order = this.epochOrder(0);
    this.rng = new Rng(deriveSeed(opts.seed, MASK_SITE));
  }

  private epochOrder(epoch: number): number[] {
    const order = Array.from(this.windows, (_, i) => i);
    new Rng(deriveSeed(this.opts.seed, ORDER_SITE, epoch)).shuffle(order);
    return order;
  }

  next(): MlmBatch {
    const { batchSize: B, seqLen: n, vocabSize } = this.opts;
    const P = predsPerSeq(n);
    const batch: MlmBatch = {
      batchSize: B,
      seqLen: n,
      inputIds: new Int32Array(B * n),
      attentionMask: new Float32Array(B * n),
      predsPerSeq: P,
      maskedPositions: new Int32Array(B * P),
      maskedLabels: new Int32Array(B * P),
      maskedWeights: new Float32Array(B * P),
      realTokens: 0,
    };
    for (let b = 0; b < B; b++) {
      if (this.index === this.order.length) {
        this.epoch++;
        this.index = 0;
        this.order = this.epochOrder(this.epoch);
      }
      const w = this.windows[this.order[this.index++]];
      batch.realTokens += packWindow(this.corpus, w, n, vocabSize, batch.inputIds, batch.attentionMask, b);
    }
    applyMlmMasking(batch, vocabSize, this.rng);
    return batch;
  }

  getCursor(): BatcherCursor {
    return { epoch: this.epoch, index: this.index, rng: this.rng.getState() };
  }

  setCursor(c: BatcherCursor): void {
    if (!Number.isInteger(c?.epoch) || c.epoch < 0) throw new ConfigError('cursor.epoch', `must be a non-negative integer, got ${String(c?.epoch)}`);
    if (!Number.isInteger(c.index) || c.index < 0 || c.index > this.windows.length) {
      throw new ConfigError('cursor.index', `must be an integer in [0, ${this.windows.length}] (windows per epoch), got ${String(c.index)}`);
    }
    this.rng = Rng.fromState(c.rng);
    if (c.epoch !== this.epoch) this.order = this.epochOrder(c.epoch);
    this.epoch = c.epoch;
    this.index = c.index;
  }
}

/**
 * Seed of the held-out validation set, the same for every run: runs of any seed and every arm of a
 * comparison are scored on the same windows with the same masks, so a loss difference between runs
 * is never a difference between validation samples.
 */
export const VALIDATION_SEED = 0x7661;

/**
 * The validation set: `count` batches of the validation split drawn with VALIDATION_SEED. The
 * windows come in one fixed shuffled order; a set larger than the split goes round it again with
 * fresh masks. It depends on the batch size only through count × batchSize rows (masks are drawn
 * row by row), and on seqLen and vocabSize, never on the run's seed.
 */
export function validationBatches(corpus: Corpus, opts: Omit<BatcherOptions, 'seed'>, count: number): MlmBatch[] {
  return stackForEval(fixedBatches(corpus, 'validation', { ...opts, seed: VALIDATION_SEED }, count), opts);
}

/** The validation set of `count` batches and, from the same draw, its first `curve` batches. */
export function validationSets(corpus: Corpus, opts: Omit<BatcherOptions, 'seed'>, count: number, curve: number): { all: MlmBatch[]; curve: MlmBatch[] } {
  const drawn = fixedBatches(corpus, 'validation', { ...opts, seed: VALIDATION_SEED }, count);
  return { all: stackForEval(drawn, opts), curve: stackForEval(drawn.slice(0, curve), opts) };
}

/**
 * Evaluated in stacks of about EVAL_TOKENS tokens: the same rows and masks, a few times faster on a
 * CPU than one forward pass per training-sized batch (tiny: 8 s instead of 22 s for 6,400 rows).
 */
function stackForEval(drawn: MlmBatch[], opts: Omit<BatcherOptions, 'seed'>): MlmBatch[] {
  const per = Math.max(1, Math.floor(EVAL_TOKENS / (opts.batchSize * opts.seqLen)));
  const out: MlmBatch[] = [];
  for (let i = 0; i < drawn.length; i += per) out.push(concatBatches(drawn.slice(i, i + per)));
  return out;
}

/** Tokens per validation forward pass (rows × seqLen), when the training batch is smaller. */
export const EVAL_TOKENS = 8192;

/** `count` batches for held-out evaluation: the same batches, masks included, for the same opts. */
export function fixedBatches(corpus: Corpus, split: Split, opts: BatcherOptions, count: number): MlmBatch[] {
  if (!Number.isInteger(count) || count < 1) throw new ConfigError('count', `must be a positive integer, got ${String(count)}`);
  const batcher = new MlmBatcher(corpus, split, opts);
  return Array.from({ length: count }, () => batcher.next());
}

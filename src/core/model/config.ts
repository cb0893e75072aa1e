import { z } from 'zod';
import { ConfigError, stopAtFirst, type Checks } from '../errors.ts';
import { between, count, positiveInt as positive, positiveNumber, wholeFrom } from '../schema/numbers.ts';
import { expected } from '../schema/parse.ts';
import { show } from '../schema/show.ts';

/** Where each block's LayerNorm sits. */
export const NORM_PLACEMENTS = ['pre', 'post'] as const;
export type NormPlacement = (typeof NORM_PLACEMENTS)[number];

/** How embedding pooling reduces each window of k unmasked tokens. */
export const POOL_REDUCES = ['mean', 'max'] as const;
export type PoolReduce = (typeof POOL_REDUCES)[number];

/** Embedding pooling of a stage's first-layer queries (grow_bert's EmbedPoolLayer). */
export const poolSettingSchema = z.object({
  k: wholeFrom(2),
  reduce: z.enum(POOL_REDUCES),
});
export type PoolSetting = z.infer<typeof poolSettingSchema>;

/**
 * Shape and architecture of a mini-BERT. Everything growth can change is a plain number here.
 * Each field's own range; what depends on several (heads dividing hidden, the FFN rank) is
 * validateModelConfig's.
 */
export const modelConfigSchema = z.object({
  /** Vocabulary size: the corpus is tokenized with the first vocabSize word pieces (src/core/data/vocab-cap.ts). */
  vocabSize: wholeFrom(8, 'special tokens plus words'),
  hidden: positive,
  layers: positive,
  heads: positive,
  /** FFN inner size F. */
  ffn: positive,
  /** Rank h of a factorized FFN (W ≈ A·B); 0 means dense weights. */
  ffnRank: count,
  /** Number of position embeddings (the longest sequence the model accepts). */
  maxLen: positive,
  norm: z.enum(NORM_PLACEMENTS),
  dropout: between(0, 1, { hi: true }),
  /** LayerNorm epsilon. */
  // Zero would make LayerNorm of an all-zero row (an empty pooled query slot) 0·∞ = NaN.
  lnEps: between(0, 1, { lo: true }),
});
export type ModelConfig = z.infer<typeof modelConfigSchema>;

/** Optimisation settings of one training run. */
export const trainConfigSchema = z.object({
  batchSize: positive,
  seqLen: wholeFrom(4, '[CLS], two tokens, [SEP]'),
  steps: positive,
  /** Peak learning rate. */
  lr: positiveNumber,
  warmupSteps: count,
  weightDecay: between(0, 1),
  /** Global-norm gradient clipping threshold; 0 disables clipping. */
  clipNorm: z.number({ error: 'a number ≥ 0' }).min(0, { error: 'a number ≥ 0' }),
  beta1: between(0, 1, { hi: true }),
  beta2: between(0, 1, { hi: true }),
  epsilon: positiveNumber,
  /** Metrics are read back from the device every `logEvery` steps. */
  logEvery: positive,
  /** Validation runs every `evalEvery` steps (and at the end). */
  evalEvery: positive,
  /**
   * Batches (of batchSize rows) in the validation set, which is the same for every seed and arm
   * (src/core/data/batcher.ts, validationBatches).
   */
  evalBatches: positive,
});
export type TrainConfig = z.infer<typeof trainConfigSchema>;

export const SIZE_NAMES = ['tiny', 'small', 'deep', 'lab'] as const;
export type SizeName = (typeof SIZE_NAMES)[number];

export interface SizePreset {
  model: ModelConfig;
  /** train.lr is the peak learning rate for model.norm (pre-LN). */
  train: TrainConfig;
  /** Tested peak learning rate for each LayerNorm placement (docs/lr-sweep.md); see defaultLr. */
  lrByNorm: Record<NormPlacement, number>;
}

const commonTrain = {
  weightDecay: 0.01,
  clipNorm: 1.0,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-6,
};

/**
 * Pre-LN by default: at small, post-LN (BERT's placement) at lr 1e-3 stayed at the
 * frequency-only loss for 1,400 steps while pre-LN left it by about step 400 (runs with the
 * earlier fixed tokenization, docs/findings/long-pretraining/). Post-LN stays selectable, with
 * its own swept learning rate (lrByNorm.post).
 */
const commonModel = { ffnRank: 0, norm: 'pre' as NormPlacement, dropout: 0.1, lnEps: 1e-12 };

/*
 * Learning rates: docs/lr-sweep.md has the sweep (command, table, what was not swept).
 * evalBatches: enough predictions that the validation loss's standard error (std of the
 * per-prediction loss / sqrt(predictions)) stays below 0.01 nats. The std measured on Brown is
 * 1.8 (tiny) and 2.55 (small) nats for the frequency-only predictor, 1.8-1.9 (tiny, 400 steps) and
 * 2.66 (small, 300 steps) for trained models, and grows as a model learns, so the sets hold
 * (std/0.01)² with std 2.2 (tiny), 2.9 (small, deep), 3.2 (lab): about 50,000, 85,000 and 103,000
 * predictions (15% of the tokens are predicted; small's set goes round the validation split about
 * four times with fresh masks). Measured on 2 wasm cores, one validation takes 10-14 s at tiny (85 s
 * on the cpu backend) and 170 s at small (docs/lr-sweep.md), so only a run's final point uses the
 * whole set and the curve's points use a tenth of it (curveBatches). The lab's builder defaults to
 * a smaller set (labEvalBatches). Every validation point records its standard error.
 */
export const SIZES: Record<SizeName, SizePreset> = {
  tiny: {
    model: { ...commonModel, vocabSize: 2000, hidden: 32, layers: 2, heads: 2, ffn: 128, maxLen: 32 },
    train: {
      ...commonTrain, batchSize: 8, seqLen: 32, steps: 200, lr: 4e-3, warmupSteps: 20,
      logEvery: 10, evalEvery: 100, evalBatches: 1250,
    },
    lrByNorm: { pre: 4e-3, post: 2e-3 },
  },
  small: {
    model: { ...commonModel, vocabSize: 8000, hidden: 128, layers: 4, heads: 4, ffn: 512, maxLen: 64 },
    train: {
      ...commonTrain, batchSize: 16, seqLen: 64, steps: 600, lr: 1e-3, warmupSteps: 60,
      logEvery: 20, evalEvery: 300, evalBatches: 600,
    },
    lrByNorm: { pre: 1e-3, post: 5e-4 },
  },
  /**
   * Stacking 2 -> 4 -> 8 layers (L/4, L/2, L) at small's width, with a batch of 64 x 64 tokens:
   * about 6 s a step on 2 wasm cores. Its rates are small's, not swept (docs/lr-sweep.md).
   */
  deep: {
    model: { ...commonModel, vocabSize: 8000, hidden: 128, layers: 8, heads: 4, ffn: 512, maxLen: 64 },
    train: {
      ...commonTrain, batchSize: 64, seqLen: 64, steps: 1000, lr: 1e-3, warmupSteps: 100,
      logEvery: 10, evalEvery: 250, evalBatches: 150,
    },
    lrByNorm: { pre: 1e-3, post: 5e-4 },
  },
  lab: {
    model: { ...commonModel, vocabSize: 16000, hidden: 256, layers: 8, heads: 8, ffn: 1024, maxLen: 128 },
    train: {
      ...commonTrain, batchSize: 32, seqLen: 128, steps: 5000, lr: 5e-4, warmupSteps: 250,
      logEvery: 25, evalEvery: 500, evalBatches: 175,
    },
    // Not swept: pre-LN keeps its earlier rate, post-LN takes half of it (small's ratio).
    lrByNorm: { pre: 5e-4, post: 2.5e-4 },
  },
};

/** The tested peak learning rate of a size for a LayerNorm placement (what --norm and the lab's Norm pick). */
export function defaultLr(size: SizeName, norm: NormPlacement): number {
  return SIZES[size].lrByNorm[norm];
}

/**
 * Validation batches the lab's builder starts with: about 1/20 of the size's full set (tiny 63
 * batches, about 2,500 predictions), which evaluates in seconds in a browser even on WebGPU over a
 * software adapter, where the full set would take minutes. Its standard error is about 4.5x the
 * full set's (roughly 0.045 nats at tiny); the run records it with every point. The CLI and the
 * suite use SIZES' full sets.
 */
export function labEvalBatches(size: SizeName): number {
  return Math.max(1, Math.round(SIZES[size].train.evalBatches / 20));
}

/**
 * Batches an intermediate validation point uses: the first tenth of the set (at least one). Only
 * the final point, the one runs are compared on, pays for the whole set; a curve point costs a
 * tenth and carries about 3x the final point's standard error, which it records.
 */
export function curveBatches(evalBatches: number): number {
  return Math.max(1, Math.ceil(evalBatches / 10));
}

/** One check per field of `schema`, each against its own rule and named `${prefix}.${field}`: whether it passed, by field. */
function checkFields(schema: z.ZodObject, value: object, prefix: string, checks: Checks): Record<string, boolean> {
  return Object.fromEntries(Object.entries(schema.shape).map(([k, rule]) => [k, checks.run(() => {
    const v = (value as Record<string, unknown>)[k];
    const want = expected(rule as z.ZodType, v);
    if (want !== null) throw new ConfigError(`${prefix}.${k}`, `must be ${want}, got ${show(v)}`);
  })]));
}

/**
 * Checks a model config: each field against modelConfigSchema, then what depends on several.
 * Throws ConfigError naming the first invalid field, or with collecting `checks` notes every one.
 * True when all checks passed.
 */
export function validateModelConfig(c: ModelConfig, prefix = 'model', checks: Checks = stopAtFirst): boolean {
  const ok = checkFields(modelConfigSchema, c, prefix, checks);
  return [
    ...Object.values(ok),
    !(ok.hidden && ok.heads) || checks.run(() => {
      if (c.hidden % c.heads !== 0) {
        throw new ConfigError(`${prefix}.heads`, `hidden size ${c.hidden} must be divisible by heads ${c.heads}; allowed heads: ${divisors(c.hidden).join(', ')}`);
      }
    }),
    !(ok.hidden && ok.ffn && ok.ffnRank) || checks.run(() => {
      if (c.ffnRank > 0 && c.ffnRank >= Math.min(c.hidden, c.ffn)) {
        throw new ConfigError(`${prefix}.ffnRank`, `rank ${c.ffnRank} must be below min(hidden, ffn) = ${Math.min(c.hidden, c.ffn)} to save anything`);
      }
    }),
  ].every(Boolean);
}

/** Checks a train config as validateModelConfig checks a model. */
export function validateTrainConfig(t: TrainConfig, model: ModelConfig, prefix = 'train', checks: Checks = stopAtFirst): boolean {
  const ok = checkFields(trainConfigSchema, t, prefix, checks);
  return [
    ...Object.values(ok),
    !ok.seqLen || checks.run(() => {
      if (t.seqLen > model.maxLen) {
        throw new ConfigError(`${prefix}.seqLen`, `${t.seqLen} exceeds the model's position embeddings (maxLen ${model.maxLen})`);
      }
    }),
  ].every(Boolean);
}

function divisors(n: number): number[] {
  const out: number[] = [];
  for (let i = 1; i <= n; i++) if (n % i === 0) out.push(i);
  return out;
}

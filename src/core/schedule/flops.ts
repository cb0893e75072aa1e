import { SIZES, SIZE_NAMES, type ModelConfig, type SizeName } from '../model/config.ts';
import { poolQueryLen } from '../model/pool-plan.ts';
import { predsPerSeq } from '../data/masking.ts';
import { ligoGrows, ligoMaterialiseFlops } from '../growth/ligo-plan.ts';
import { stageLabel, stageModelConfig, stagePool, stageSeqLen, type ScheduleSpec } from './spec.ts';

/*
 * FLOPs accounting from shapes alone. Only matrix multiplications are counted, an [m,k]·[k,n]
 * product as 2·m·k·n (a multiply and an add per term): the Q/K/V/O projections, QKᵀ and A·V of
 * every head, the FFN (dense, or factorized as two thin products per matrix) and the MLM head
 * (d×d dense then d×V output, on the predicted positions only). Softmax, LayerNorm, GELU, bias
 * adds, pooling, dropout and embedding lookups are not counted: they are O(n·d) against the
 * matmuls' O(n·d²) and are what the paper's forward-FLOPs estimate leaves out too. MSG's masks
 * (model/growth-mask.ts) are one elementwise multiply per masked site while a ramp lasts, not counted
 * for the same reason; masked structures are computed in full, so a masked stage costs what its grown
 * model costs, which is what is counted. LiGO's operator training is a cost of the growth itself, on
 * top of the stages' steps: each stage carries the growth that made it (StageFlopsPlan.growthFlops),
 * and the schedule's totals and speed-up include it.
 */

/** Backward ≈ 2× forward (one matmul for the input gradient, one for the weight gradient). */
export const TRAINING_PER_FORWARD = 3;

export type FlopsModelName = SizeName | 'bert-base' | 'bert-large';
export const FLOPS_MODEL_NAMES: readonly FlopsModelName[] = [...SIZE_NAMES, 'bert-base', 'bert-large'];

export interface FlopsBatch {
  batchSize: number;
  seqLen: number;
  /** Prediction slots per sequence (the MLM head's rows per sequence). */
  predsPerSeq: number;
}

export interface FlopsModel extends FlopsBatch {
  model: ModelConfig;
}

function labSize(name: SizeName): FlopsModel {
  const { model, train } = SIZES[name];
  return { model, batchSize: train.batchSize, seqLen: train.seqLen, predsPerSeq: predsPerSeq(train.seqLen) };
}

const bert = { vocabSize: 30522, ffnRank: 0, maxLen: 512, norm: 'post' as const, dropout: 0.1, lnEps: 1e-12 };
/** Devlin et al.: batch 256 of 512-token sequences with 76 predicted positions. */
const bertBatch = { batchSize: 256, seqLen: 512, predsPerSeq: 76 };

/** The lab's sizes as they train, and the two BERTs the paper grows. */
export const FLOPS_MODELS: Record<FlopsModelName, FlopsModel> = {
  tiny: labSize('tiny'),
  small: labSize('small'),
  deep: labSize('deep'),
  lab: labSize('lab'),
  'bert-base': { model: { ...bert, hidden: 768, layers: 12, heads: 12, ffn: 3072 }, ...bertBatch },
  'bert-large': { model: { ...bert, hidden: 1024, layers: 24, heads: 16, ffn: 4096 }, ...bertBatch },
};

function mm(m: number, k: number, n: number): number {
  return 2 * m * k * n;
}


/** Rows one encoder layer sees: queries (and everything after attention) vs keys/values. */
export interface LayerRows {
  batchSize: number;
  queryLen: number;
  keyLen: number;
}

/** Forward FLOPs of one encoder layer by matmul. */
export interface LayerFlops {
  q: number;
  /** K and V projections, on keyLen rows. */
  kv: number;
  /** QKᵀ over all heads: heads · 2·q·(d/heads)·keyLen = 2·q·d·keyLen. */
  scores: number;
  /** A·V over all heads. */
  context: number;
  out: number;
  ffn: number;
  total: number;
}

export function layerFlops(model: Pick<ModelConfig, 'hidden' | 'ffn' | 'ffnRank'>, rows: LayerRows): LayerFlops {
  const { hidden: d, ffn: f, ffnRank: h } = model;
  const q = rows.batchSize * rows.queryLen;
  const kvRows = rows.batchSize * rows.keyLen;
  const ffnMatrix = (inDim: number, outDim: number) => (h > 0 ? mm(q, inDim, h) + mm(q, h, outDim) : mm(q, inDim, outDim));
  const parts = {
    q: mm(q, d, d),
    kv: 2 * mm(kvRows, d, d),
    scores: rows.batchSize * mm(rows.queryLen, d, rows.keyLen),
    context: rows.batchSize * mm(rows.queryLen, rows.keyLen, d),
    out: mm(q, d, d),
    ffn: ffnMatrix(d, f) + ffnMatrix(f, d),
  };
  return { ...parts, total: parts.q + parts.kv + parts.scores + parts.context + parts.out + parts.ffn };
}

export interface StageFlopsInput extends FlopsBatch {
  /** Pooling of the first layer's queries (window k), or null. */
  pool: { k: number } | null;
}

export interface StageFlops {
  /** Forward FLOPs of one step (one batch). */
  forward: number;
  /** TRAINING_PER_FORWARD × forward. */
  training: number;
  perLayer: LayerFlops[];
  /** MLM head: dense d×d and output d×V on the B·P predicted positions. */
  head: number;
  /** Length of the stream after the first layer (poolQueryLen when pooling, else n). */
  queryLen: number;
}

/**
 * One training step of `model`. With pooling, the first layer's queries are the pooled stream while
 * its keys and values are the full n positions; every later layer runs on the pooled stream only.
 */
export function stageFlops(model: ModelConfig, b: StageFlopsInput): StageFlops {
  const n = b.seqLen;
  const queryLen = b.pool ? poolQueryLen(n, b.predsPerSeq, b.pool.k) : n;
  const perLayer = Array.from({ length: model.layers }, (_, i) =>
    layerFlops(model, { batchSize: b.batchSize, queryLen, keyLen: i === 0 ? n : queryLen }),
  );
  const predicted = b.batchSize * b.predsPerSeq;
  const head = mm(predicted, model.hidden, model.hidden) + mm(predicted, model.hidden, model.vocabSize);
  const forward = perLayer.reduce((s, l) => s + l.total, 0) + head;
  return { forward, training: TRAINING_PER_FORWARD * forward, perLayer, head, queryLen };
}

/**
 * Batch shape of a schedule's full-length stage. Without predsPerSeq, every stage uses the data
 * pipeline's rule for its own length (data/masking.ts); with it (e.g. BERT's 76 at n = 512), a
 * truncated stage predicts proportionally fewer positions, at least one.
 */
export interface ScheduleBatch {
  batchSize: number;
  seqLen: number;
  predsPerSeq?: number;
}

export interface StageFlopsPlan {
  label: string;
  steps: number;
  /** Training FLOPs of one step. */
  flopsPerStep: number;
  /** Training FLOPs of the whole stage. */
  flops: number;
  forwardFlopsPerStep: number;
  /** Forward FLOPs of the whole stage (the paper's convention). */
  forwardFlops: number;
  /** Tokens per sequence after the first layer: pooled, n/k when truncated, else n (StageFlops.queryLen). */
  queryLen: number;
  /**
   * Training FLOPs of the growth that makes this stage, beyond its steps: LiGO's operator training
   * (ligoGrowthFlops); 0 for the first stage and without LiGO.
   */
  growthFlops: number;
  /** growthFlops / TRAINING_PER_FORWARD: the same cost in the forward-FLOPs convention of forwardFlops. */
  growthForwardFlops: number;
}

/**
 * Training FLOPs of one LiGO growth into a stage whose one training step costs `stepForwardFlops`
 * forward: each of the N operator steps runs the grown model forward and backward (as a training
 * step, TRAINING_PER_FORWARD × forward; the backward pass computes the grown weights' gradients as
 * a plain step does, which then flow into the operator) and materialises the weights forward and
 * backward (TRAINING_PER_FORWARD × the expansion products, ligoMaterialiseFlops); then the weights
 * are materialised once more, forward only.
 */
export function ligoGrowthFlops(ligoSteps: number, stepForwardFlops: number, materialiseFlops: number): number {
  return TRAINING_PER_FORWARD * ligoSteps * (stepForwardFlops + materialiseFlops) + materialiseFlops;
}

export interface ScheduleFlops {
  stages: StageFlopsPlan[];
  /** Training FLOPs of the schedule, growth FLOPs (StageFlopsPlan.growthFlops) included. */
  flops: number;
  forwardFlops: number;
  /** The full model trained for the same total steps. */
  baselineFlops: number;
  baselineForwardFlops: number;
  /** baselineFlops / flops (the same ratio in forward FLOPs, training being 3× forward). */
  flopsSpeedup: number;
}

/** FLOPs plan of a (validated) schedule growing to `target`, against the full model for as many steps. */
export function scheduleFlops(spec: ScheduleSpec, target: ModelConfig, batch: ScheduleBatch): ScheduleFlops {
  const predsAt = (seqLen: number) =>
    batch.predsPerSeq === undefined ? predsPerSeq(seqLen) : Math.max(1, Math.round((batch.predsPerSeq * seqLen) / batch.seqLen));
  const ligoSteps = spec.ops.ligoSteps;
  const stages = spec.stages.map((stage, i): StageFlopsPlan => {
    const seqLen = stageSeqLen(batch.seqLen, stage.shape);
    const model = stageModelConfig(target, stage.shape);
    const f = stageFlops(model, {
      batchSize: batch.batchSize,
      seqLen,
      predsPerSeq: predsAt(seqLen),
      pool: stagePool(stage.shape),
    });
    return {
      label: stageLabel(stage.shape, target),
      steps: stage.steps,
      flopsPerStep: f.training,
      flops: f.training * stage.steps,
      forwardFlopsPerStep: f.forward,
      forwardFlops: f.forward * stage.steps,
      queryLen: f.queryLen,
      ...growth(i, f.forward),
    };
  });
  function growth(i: number, stepForward: number): Pick<StageFlopsPlan, 'growthFlops' | 'growthForwardFlops'> {
    const prev = i > 0 ? stageModelConfig(target, spec.stages[i - 1].shape) : null;
    const model = stageModelConfig(target, spec.stages[i].shape);
    if (ligoSteps === undefined || !prev || !ligoGrows(prev, model)) return { growthFlops: 0, growthForwardFlops: 0 };
    const growthFlops = ligoGrowthFlops(ligoSteps, stepForward, ligoMaterialiseFlops(prev, model));
    return { growthFlops, growthForwardFlops: growthFlops / TRAINING_PER_FORWARD };
  }
  const totalSteps = spec.stages.reduce((s, st) => s + st.steps, 0);
  const base = stageFlops(target, { batchSize: batch.batchSize, seqLen: batch.seqLen, predsPerSeq: predsAt(batch.seqLen), pool: null });
  // Growth FLOPs (LiGO's operator training) are part of the schedule's cost, not of the baseline's.
  const forwardFlops = stages.reduce((s, st) => s + st.forwardFlops + st.growthForwardFlops, 0);
  const baselineForwardFlops = base.forward * totalSteps;
  return {
    stages,
    flops: TRAINING_PER_FORWARD * forwardFlops,
    forwardFlops,
    baselineFlops: TRAINING_PER_FORWARD * baselineForwardFlops,
    baselineForwardFlops,
    flopsSpeedup: baselineForwardFlops / forwardFlops,
  };
}

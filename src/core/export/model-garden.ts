import { Document, isMap, isScalar, isSeq, visit, type YAMLMap } from 'yaml';
import { ConfigError } from '../errors.ts';
import { predsPerSeq } from '../data/masking.ts';
import type { ExperimentConfig } from '../run/config.ts';
import { allocateSteps } from '../schedule/presets.ts';
import { FLOPS_MODELS } from '../schedule/flops.ts';
import { DEFAULT_HIDDEN_OP, stageLabel, type StageShape } from '../schedule/spec.ts';
import { MAX_WARMUP_FRACTION } from '../train/lr.ts';

/*
 * A GrowLab schedule as an experiment config for TensorFlow Model Garden's progressive trainer
 * (official/modeling/fast_training/progressive) running grow_bert's progressive masked-LM task
 * (google-research/grow_bert/progressive/masked_lm.py, the CompoundGrow code). Model Garden's
 * ProgressiveConfig is an empty base class: the stage list and its keys (StackingStageConfig,
 * SmallEncoderConfig) are grow_bert's, and so is the small encoder that does FFN sharing and
 * embedding pooling.
 */

export type GardenTarget = 'bert-base' | 'bert-large';
export const GARDEN_TARGETS: readonly GardenTarget[] = ['bert-base', 'bert-large'];

/** How to take the schedule to real size; every field falls back to the target's paper setting, or to the lab config without a target. */
export interface GardenScale {
  /** The full-size model; without it the lab's own model is written (layer counts unchanged). */
  target?: GardenTarget;
  /** Total steps; stage steps keep their proportions. Default 1,000,000 for a BERT target (the paper). */
  totalSteps?: number;
  /** Global batch size. Default 256 for a BERT target. */
  batchSize?: number;
  /** Peak learning rate. Default 1e-4 for a BERT target (the paper). */
  lr?: number;
  /** Warm-up steps of each schedule. Default 10,000 per 1M steps for a BERT target, else the lab's, scaled with the steps. */
  warmupSteps?: number;
}

/** One stage as Model Garden runs it. */
export interface GardenStage {
  index: number;
  /** The lab stage's label and, with a target, the scaled shape's. */
  labLabel: string;
  label: string;
  layers: number;
  seqLength: number;
  maxPredictionsPerSeq: number;
  /** FFN sharing factor k (net2net_ratio = 1/k); 1 = dense full width. */
  ffnShare: number;
  /** Rank ratio h/d of a factorized FFN; 0 = not factorized. */
  fcfactRatio: number;
  pool: { name: 'mean' | 'max'; size: number } | null;
  numSteps: number;
  /** Model Garden's polynomial warm-up and decay (official/modeling/optimization/lr_schedule.py). */
  warmupSteps: number;
  initialLearningRate: number;
  endLearningRate: number;
  decaySteps: number;
  lrPolicy: string;
  optPolicy: string;
}

export interface GardenPlan {
  preset: string;
  target: GardenTarget | null;
  encoder: { vocabSize: number; hidden: number; layers: number; heads: number; ffn: number; maxLen: number; dropout: number };
  batchSize: number;
  seqLength: number;
  maxPredictionsPerSeq: number;
  totalSteps: number;
  peakLr: number;
  warmupSteps: number;
  stepsPerLoop: number;
  stages: GardenStage[];
  /** What grow_bert's code will do differently from the lab; also written into the YAML. */
  notes: string[];
}

/** BERT's uncased WordPiece vocabulary: the lab tokenizes with it and caps ids, Model Garden uses all of it. */
const BERT_VOCAB = 30522;
const PAPER = { totalSteps: 1_000_000, batchSize: 256, lr: 1e-4, warmupSteps: 10_000 };
/** Model Garden evaluates in loops; stage changes wait for the end of a loop (ProgressiveTrainer.train_loop_end). */
const MAX_STEPS_PER_LOOP = 1000;

function positiveInt(field: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 1) throw new ConfigError(field, `must be a positive integer, got ${v}`);
  return v;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** The largest divisor of every stage's steps that is at most MAX_STEPS_PER_LOOP. */
function stepsPerLoop(stageSteps: readonly number[]): number {
  const g = stageSteps.reduce(gcd);
  for (let d = Math.min(g, MAX_STEPS_PER_LOOP); d > 1; d--) if (g % d === 0) return d;
  return 1;
}

function sameSmallEncoder(a: StageShape, b: StageShape): boolean {
  return a.ffnDiv === b.ffnDiv && a.ffnRank === b.ffnRank && (a.length === 'pool') === (b.length === 'pool');
}

/** The schedule, scaled, as the numbers Model Garden needs, with what it cannot reproduce. */
export function gardenPlan(cfg: ExperimentConfig, scale: GardenScale = {}): GardenPlan {
  const { model, train, schedule } = cfg;
  const stages = schedule.stages;
  if (stages.length === 0) throw new ConfigError('schedule', 'has no stages to export');
  const fm = scale.target ? FLOPS_MODELS[scale.target] : null;
  const target = fm ? fm.model : model;
  const labSteps = stages.reduce((s, st) => s + st.steps, 0);
  const totalSteps = positiveInt('steps', scale.totalSteps ?? (fm ? PAPER.totalSteps : labSteps));
  if (totalSteps < stages.length) throw new ConfigError('steps', `${totalSteps} steps cannot cover ${stages.length} stages (at least one step each)`);
  const batchSize = positiveInt('batch', scale.batchSize ?? (fm ? PAPER.batchSize : train.batchSize));
  const peakLr = scale.lr ?? (fm ? PAPER.lr : train.lr);
  if (!(peakLr > 0) || !Number.isFinite(peakLr)) throw new ConfigError('lr', `must be a positive number, got ${peakLr}`);
  const warmupSteps =
    scale.warmupSteps ?? (fm ? Math.round((PAPER.warmupSteps * totalSteps) / PAPER.totalSteps) : Math.round((train.warmupSteps * totalSteps) / labSteps));
  if (!Number.isSafeInteger(warmupSteps) || warmupSteps < 0) throw new ConfigError('warmup', `must be a non-negative integer, got ${warmupSteps}`);
  const seqLength = fm ? fm.seqLen : train.seqLen;
  const predsAt = (len: number) => (fm ? Math.max(1, Math.round((fm.predsPerSeq * len) / fm.seqLen)) : predsPerSeq(len));
  const layersOf = (l: number) => (fm ? Math.max(1, Math.round((l * target.layers) / model.layers)) : l);
  const steps = totalSteps === labSteps ? stages.map((s) => s.steps) : allocateSteps(stages.map((s) => s.steps), totalSteps);
  const notes: string[] = [];

  // Learning rate: Model Garden's warm-up is lr(W)·max(i,1)/W for i < W, then a linear decay
  // lr(i) = (init − end)(1 − min(i, D)/D) + end that runs from step 0 under the warm-up; i restarts
  // at 0 every stage because grow_bert builds a new optimizer per stage. Each lab policy maps onto
  // it so that the rate peaks where the lab's does and follows the lab's decay line (to 0, or for
  // "paper" only part of the way, as in grow_bert).
  const runWarmup = Math.max(1, Math.min(warmupSteps, Math.floor(MAX_WARMUP_FRACTION * totalSteps)));
  const continueLine = (g: number) => (runWarmup > 1 ? (peakLr * (totalSteps - g)) / (totalSteps - runWarmup) : (peakLr * (totalSteps - g)) / totalSteps);
  let offset = 0;
  const out: GardenStage[] = stages.map((st, i) => {
    const S = steps[i];
    const g0 = offset;
    offset += S;
    let lr: Pick<GardenStage, 'warmupSteps' | 'initialLearningRate' | 'endLearningRate' | 'decaySteps'>;
    if (st.lrPolicy === 'paper') {
      // grow_bert's own form: warm-up within the stage, then the decay line over the whole run
      // (decay_steps = T), started from the stage's first step by the stage's fresh optimizer.
      const w = Math.max(1, Math.min(warmupSteps, Math.floor(MAX_WARMUP_FRACTION * S)));
      const T = totalSteps;
      lr = w > 1 ? { warmupSteps: w, initialLearningRate: (peakLr * T) / (T - w), endLearningRate: 0, decaySteps: T } : { warmupSteps: 0, initialLearningRate: peakLr, endLearningRate: 0, decaySteps: T };
    } else if (st.lrPolicy === 'reset') {
      const w = Math.max(1, Math.min(warmupSteps, Math.floor(MAX_WARMUP_FRACTION * S)));
      lr = w > 1 ? { warmupSteps: w, initialLearningRate: (peakLr * S) / (S - w), endLearningRate: 0, decaySteps: S } : { warmupSteps: 0, initialLearningRate: peakLr, endLearningRate: 0, decaySteps: S };
    } else if (st.lrPolicy === 'rewind') {
      lr = { warmupSteps: 0, initialLearningRate: peakLr, endLearningRate: 0, decaySteps: S };
    } else {
      // One schedule over the run: each stage continues the same decay line, cut short at its end.
      const inWarmup = runWarmup > 1 && g0 < runWarmup;
      if (inWarmup && g0 > 0) {
        notes.push(`stage ${i}: starts inside the run's warm-up (step ${g0} of ${runWarmup}); Model Garden restarts the warm-up from 0 at each stage, so this stage's first ${runWarmup - g0} steps ramp from 0 instead of continuing the ramp`);
      }
      lr = { warmupSteps: inWarmup ? runWarmup - g0 : 0, initialLearningRate: continueLine(g0), endLearningRate: 0, decaySteps: totalSteps - g0 };
    }
    const sh = st.shape;
    const seq = sh.length === 'truncate' ? Math.floor(seqLength / sh.lengthFactor) : seqLength;
    const layers = layersOf(sh.layers);
    // A factorized FFN keeps its rank relative to the hidden size (the paper's h = 0.2·d).
    const rank = sh.ffnRank > 0 ? Math.max(1, Math.round((sh.ffnRank / model.hidden) * target.hidden)) : 0;
    const scaledShape: StageShape = { ...sh, layers, ffnRank: rank };
    return {
      index: i,
      labLabel: stageLabel(sh),
      label: stageLabel(scaledShape),
      layers,
      seqLength: seq,
      maxPredictionsPerSeq: predsAt(seq),
      ffnShare: sh.ffnDiv,
      fcfactRatio: sh.ffnRank > 0 ? sh.ffnRank / model.hidden : 0,
      pool: sh.length === 'pool' ? { name: sh.poolReduce, size: sh.lengthFactor } : null,
      numSteps: S,
      ...lr,
      lrPolicy: st.lrPolicy,
      optPolicy: st.optPolicy,
    };
  });

  const { depth, width, widthNoise } = schedule.ops;
  if (depth !== 'stack') notes.push(`depth operator "${depth}": grow_bert's transform_model always stacks (new layer i copies layer i mod L_old)`);
  if (width !== 'share') notes.push(`width operator "${width}": grow_bert widens a shared FFN by tiling it (share), never with fresh units`);
  const shares = width === 'share' && stages.some((s, i) => i > 0 && s.shape.ffnDiv < stages[i - 1].shape.ffnDiv);
  if (shares && widthNoise > 0) {
    notes.push(
      `width noise ${widthNoise}: grow_bert tiles the FFN copies exactly, and no dropout sits between W1 and W2, so there the copies get identical gradients and never separate; add the split to its net2net recovery to match the lab`,
    );
  }
  if (stages.some((s) => s.shape.ffnRank > 0)) {
    notes.push("factorized FFN (fcfact_ratio): grow_bert's SmallEncoderConfig has the keys but its TransformerEncoder does not build factorized layers, so those stages train a dense FFN unless you add that code");
  }
  if (stages.some((s) => (s.shape.hiddenDiv ?? 1) > 1 || (s.shape.headsDiv ?? 1) > 1)) {
    const hiddenOp = schedule.ops.hidden ?? DEFAULT_HIDDEN_OP;
    const bert2bert =
      hiddenOp === 'fpi' || hiddenOp === 'aki'
        ? `; bert2BERT's ${hiddenOp.toUpperCase()} (its seeded copy map, the divide-by-count${hiddenOp === 'aki' ? ', the new units taken from the layer above' : ''}) has no counterpart in grow_bert or Model Garden`
        : '';
    notes.push(
      `hidden size / heads growth (${[...new Set(stages.map((s) => stageLabel(s.shape, target)))].join(' → ')}): this export writes no hidden size or head count per stage, so every stage trains at the target's d${target.hidden} with ${target.heads} heads; hidden.${hiddenOp} and heads.add are not reproduced${bert2bert}`,
    );
  }
  if (schedule.ops.msgRamp !== undefined) {
    notes.push(
      `MSG (masked structural growth, ramp ${schedule.ops.msgRamp} steps): grow_bert and Model Garden have no growth masks, so each growth there changes the function at once instead of ramping the new layers, units and heads in from 0; share's copies are tiled and divided by k, not kept whole; MSG is not reproduced`,
    );
  }
  if (schedule.ops.ligoSteps !== undefined) {
    notes.push(
      `LiGO (a learned growth operator, trained ${schedule.ops.ligoSteps} steps at each growth): grow_bert and Model Garden grow by fixed copies (transform_model) and have no learned width and depth expansions nor a training loop for them, so each growth there is a plain copy and costs no extra steps; LiGO is not reproduced`,
    );
  }
  if (stages.some((s, i) => i > 0 && s.optPolicy === 'carry')) notes.push('optimizer "carry": grow_bert builds a new optimizer at every stage, so Adam moments are always dropped');
  if (model.norm === 'pre') notes.push("pre-LN: Model Garden's BERT encoder and grow_bert's small encoder are post-LN; the exported model is post-LN");
  stages.forEach((s, i) => {
    const prev = stages[i - 1];
    if (prev && prev.shape.layers !== s.shape.layers && !sameSmallEncoder(prev.shape, s.shape)) {
      notes.push(`stage ${i}: grows depth and changes the FFN or pooling at the same boundary; grow_bert's transform_model copies whole layers when the depth changes and cannot do both at once: split it into two stages`);
    }
  });

  return {
    preset: schedule.preset,
    target: scale.target ?? null,
    encoder: { vocabSize: BERT_VOCAB, hidden: target.hidden, layers: target.layers, heads: target.heads, ffn: target.ffn, maxLen: Math.max(target.maxLen, seqLength), dropout: target.dropout },
    batchSize,
    seqLength,
    maxPredictionsPerSeq: predsAt(seqLength),
    totalSteps,
    peakLr,
    warmupSteps,
    stepsPerLoop: stepsPerLoop(steps),
    stages: out,
    notes,
  };
}

const FLOAT_KEYS = new Set([
  'dropout_rate', 'attention_dropout_rate', 'initializer_range', 'weight_decay_rate', 'beta_1', 'beta_2', 'epsilon',
  'gradient_clip_norm', 'initial_learning_rate', 'end_learning_rate', 'net2net_ratio', 'fcfact_ratio',
]);

interface DataConfig {
  input_path: string;
  global_batch_size: number;
  seq_length: number;
  max_predictions_per_seq: number;
  use_next_sentence_label: boolean;
  is_training: boolean;
}

function dataConfig(path: string, batch: number, seq: number, preds: number, training: boolean): DataConfig {
  return { input_path: path, global_batch_size: batch, seq_length: seq, max_predictions_per_seq: preds, use_next_sentence_label: false, is_training: training };
}

// Placeholders: the user points them at their TFRecords (see README "Scaling out: Model Garden").
const FULL_DATA = (seq: number) => `gs://YOUR_BUCKET/bert_pretrain/seq${seq}/train-*.tfrecord`;
const SMALL_DATA = (seq: number) => `gs://YOUR_BUCKET/grow_bert_pretrain/seq${seq}/train-*.tfrecord`;
const VALID_DATA = (seq: number) => `gs://YOUR_BUCKET/bert_pretrain/seq${seq}/valid-*.tfrecord`;

/**
 * The schedule as a YAML experiment config for grow_bert's run_masked_lm.py (`--config_file`).
 * Only keys those configs define are written (Model Garden overrides with is_strict=True); what
 * has no key there is said in comments.
 */
export function modelGardenConfig(cfg: ExperimentConfig, scale: GardenScale = {}): string {
  const p = gardenPlan(cfg, scale);
  const smallStage = (s: GardenStage) => s.ffnShare > 1 || s.fcfactRatio > 0 || s.pool !== null;
  const interval = p.stepsPerLoop * Math.max(1, Math.floor(p.totalSteps / 20 / p.stepsPerLoop));
  const stage0 = p.stages[0];
  const config = {
    task: {
      init_checkpoint: '',
      model: {
        cls_heads: [],
        encoder: {
          type: 'bert',
          bert: {
            vocab_size: p.encoder.vocabSize,
            hidden_size: p.encoder.hidden,
            num_layers: p.encoder.layers,
            num_attention_heads: p.encoder.heads,
            intermediate_size: p.encoder.ffn,
            hidden_activation: 'gelu',
            dropout_rate: p.encoder.dropout,
            attention_dropout_rate: p.encoder.dropout,
            max_position_embeddings: p.encoder.maxLen,
            type_vocab_size: 2,
            initializer_range: 0.02,
          },
        },
      },
      train_data: dataConfig(FULL_DATA(p.seqLength), p.batchSize, p.seqLength, p.maxPredictionsPerSeq, true),
      small_train_data: dataConfig(SMALL_DATA(p.seqLength), p.batchSize, p.seqLength, p.maxPredictionsPerSeq, true),
      validation_data: dataConfig(VALID_DATA(p.seqLength), p.batchSize, p.seqLength, p.maxPredictionsPerSeq, false),
    },
    trainer: {
      train_steps: p.totalSteps,
      steps_per_loop: p.stepsPerLoop,
      summary_interval: p.stepsPerLoop,
      checkpoint_interval: interval,
      validation_interval: interval,
      // The lab's held-out batches; at a BERT target, 100 batches of the validation records.
      validation_steps: p.target ? 100 : cfg.train.evalBatches,
      optimizer_config: {
        optimizer: {
          type: 'adamw',
          adamw: {
            weight_decay_rate: cfg.train.weightDecay,
            beta_1: cfg.train.beta1,
            beta_2: cfg.train.beta2,
            epsilon: cfg.train.epsilon,
            exclude_from_weight_decay: ['LayerNorm', 'layer_norm', 'bias'],
            gradient_clip_norm: cfg.train.clipNorm,
          },
        },
        learning_rate: {
          type: 'polynomial',
          polynomial: { initial_learning_rate: stage0.initialLearningRate, decay_steps: stage0.decaySteps, end_learning_rate: stage0.endLearningRate },
        },
        warmup: { type: 'polynomial', polynomial: { warmup_steps: stage0.warmupSteps } },
      },
      progressive: {
        stage_list: p.stages.map((s) => ({
          num_steps: s.numSteps,
          warmup_steps: s.warmupSteps,
          initial_learning_rate: s.initialLearningRate,
          end_learning_rate: s.endLearningRate,
          decay_steps: s.decaySteps,
          override_num_layers: smallStage(s) ? null : s.layers,
          small_encoder_config: smallStage(s)
            ? {
                // The ratios are plain floats in SmallEncoderConfig (no null): written only where their *_layers is set.
                ...(s.ffnShare > 1 ? { net2net_ratio: 1 / s.ffnShare } : {}),
                net2net_layers: s.ffnShare > 1 ? s.layers : null,
                ...(s.fcfactRatio > 0 ? { fcfact_ratio: s.fcfactRatio } : {}),
                fcfact_layers: s.fcfactRatio > 0 ? s.layers : null,
                kq_ratio: null,
                lightatt_layers: null,
                input_pool_name: s.pool ? s.pool.name : null,
                input_pool_size: s.pool ? s.pool.size : null,
                override_num_layers: s.layers,
              }
            : null,
          // A truncated stage reads shorter sequences; null keeps the task's (small_)train_data.
          override_train_data:
            s.seqLength !== p.seqLength
              ? dataConfig((smallStage(s) ? SMALL_DATA : FULL_DATA)(s.seqLength), p.batchSize, s.seqLength, s.maxPredictionsPerSeq, true)
              : null,
          override_valid_data: null,
        })),
      },
    },
    runtime: { distribution_strategy: 'mirrored' },
  };

  const doc = new Document(config);
  // Float fields are written as floats (0.0, not 0), as Model Garden's own yaml files have them.
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && FLOAT_KEYS.has(String(pair.key.value)) && isScalar(pair.value) && typeof pair.value.value === 'number') {
        pair.value.minFractionDigits = 1;
      }
    },
  });
  doc.commentBefore = header(cfg, p);
  const list = doc.getIn(['trainer', 'progressive', 'stage_list'], true);
  if (isSeq(list)) {
    list.items.forEach((item, i) => {
      const s = p.stages[i];
      if (isMap(item)) (item as YAMLMap).commentBefore = ` stage ${i}: ${s.label}${p.target ? ` (lab: ${s.labLabel})` : ''}; ${s.numSteps} steps; lab lr policy "${s.lrPolicy}", optimizer "${s.optPolicy}"`;
    });
  }
  const data = doc.getIn(['task', 'small_train_data'], true);
  if (isMap(data)) {
    (data as YAMLMap).commentBefore = ' grow_bert: records for small-encoder stages (masked tokens taken out of the stream: new_input_ids, new_input_positions, masked_input_ids, ...)';
  }
  return doc.toString({ lineWidth: 0 });
}

function header(cfg: ExperimentConfig, p: GardenPlan): string {
  const lines = [
    ` GrowLab schedule "${p.preset}" (lab size ${cfg.size}, ${cfg.train.steps} steps)${p.target ? ` scaled to ${p.target}` : ''}: ${p.stages.length} stages, ${p.totalSteps} steps,`,
    ` batch ${p.batchSize}, sequence length ${p.seqLength}, peak learning rate ${p.peakLr}, warm-up ${p.warmupSteps}.`,
    ' Run with grow_bert/progressive/run_masked_lm.py --config_file=THIS_FILE (see GrowLab README, "Scaling out: Model Garden").',
    ' Written by GrowLab; not run by it.',
    '',
    ' Whose keys these are:',
    '   Model Garden (official/): task.model, task.train_data, task.validation_data, trainer.train_steps .. trainer.optimizer_config,',
    '     runtime. trainer.progressive is ProgressiveTrainerConfig.progressive (official/modeling/fast_training/progressive).',
    '   grow_bert (google-research/grow_bert/progressive/masked_lm.py), needs its code: task.small_train_data and everything in',
    '     trainer.progressive.stage_list (StackingStageConfig; small_encoder_config is SmallEncoderConfig: net2net_* = FFN',
    '     sharing, fcfact_* = FFN factorization, input_pool_* = embedding pooling).',
    '   GrowLab only (no key anywhere): the lr/optimizer policy names and growth operators, in the comments above each stage.',
    '',
    ' Learning rate: each stage restarts its optimizer (step 0). Model Garden decays linearly from step 0 under the warm-up,',
    ' so initial_learning_rate is set above the peak for the rate to be at the peak when the warm-up ends, as in the lab.',
    ` steps_per_loop ${p.stepsPerLoop} divides every stage's steps: stages change only at the end of a loop.`,
    ' input_path values are placeholders: point them at your TFRecords.',
  ];
  if (p.notes.length) {
    lines.push('', ' Differences from the lab run:');
    for (const n of p.notes) lines.push(`   - ${n}`);
  }
  return lines.join('\n');
}

import type { BatchSource } from '../train/trainer.ts';
import { StageTrainer } from '../train/trainer.ts';
import { createAdamState, disposeAdamState, type AdamState } from '../train/optimizer.ts';
import { stageLrFn } from '../train/lr.ts';
import { summarize, type GrowthEventRecord, type RunRecord, type StageRecord, type StepMetrics, type ValidationPoint } from '../train/record.ts';
import { evaluateMlm } from '../eval/mlm.ts';
import { MlmBatcher, fixedBatches, validationSets, type BatcherCursor } from '../data/batcher.ts';
import type { Corpus } from '../data/corpus.ts';
import type { MlmBatch } from '../data/batch.ts';
import { Rng, deriveSeed } from '../data/rng.ts';
import { curveBatches, type ModelConfig, type PoolSetting } from '../model/config.ts';
import { disposeParams, initParams, type Params } from '../model/params.ts';
import { makePoolPlan } from '../model/pool-plan.ts';
import type { StageSpec } from '../schedule/spec.ts';
import { stageLabel, stageModelConfig, stagePool, stageSeqLen } from '../schedule/spec.ts';
import type { ScheduleFlops } from '../schedule/flops.ts';
import { growModel } from '../growth/grow.ts';
import { growthCheck } from '../growth/check.ts';
import { growthOpsApplied } from '../growth/registry.ts';
import { msgMaskAt, msgStructure } from '../growth/msg.ts';
import { growByLigo } from '../growth/ligo-train.ts';
import { ligoGrows } from '../growth/ligo-plan.ts';
import { copySeparation } from '../growth/separation.ts';
import { checkpointAdam, checkpointParams, readTensors } from '../checkpoint/checkpoint.ts';
import { type Checkpoint, type ResumeState } from '../checkpoint/format.ts';
import { resumeStateSchema } from '../checkpoint/metadata.ts';
import { parseFormat } from '../schema/parse.ts';
import { ConfigError } from '../errors.ts';
import { experimentFlops, validateExperiment, type ExperimentConfig } from './config.ts';
import { checkFits } from '../model/memory.ts';

/** Resolves once the device has computed `params`: one small read suffices, as a backend's queue runs in order. */
async function computed(params: Params): Promise<void> {
  const [smallest] = [...params.values()].sort((a, b) => a.size - b.size);
  await smallest?.data();
}

export interface ExperimentHooks {
  onMetrics?(steps: StepMetrics[]): void;
  onValidation?(point: ValidationPoint): void;
  /** A stage started (endStep is its planned end) or finished (wallMs final). */
  onStage?(stage: StageRecord, phase: 'start' | 'end'): void;
  onGrowth?(event: GrowthEventRecord): void;
  /** A width-share growth event got its copySeparation (at the next validation, or the next growth if sooner). */
  onCopySeparation?(event: GrowthEventRecord): void;
  /** A checkpoint was taken: every checkpointEvery steps, right after each growth, and when the run ends. */
  onCheckpoint?(checkpoint: Checkpoint, reason: CheckpointReason): void;
}

export type CheckpointReason = 'interval' | 'growth' | 'end';

export interface ExperimentOptions {
  /** Checkpoint every this many steps (0 or absent: only at growth and at the end); needs hooks.onCheckpoint. */
  checkpointEvery?: number;
}

export interface Divergence {
  step: number;
  stageIndex: number;
  stageLabel: string;
  loss: number;
}

/**
 * One training run over a growth schedule, advanced a step at a time (so a worker can pause,
 * resume and single-step). Grows the model at stage boundaries with a growth check on a fixed
 * probe batch, evaluates the fixed held-out set every train.evalEvery steps, and stops by itself
 * when the loss stops being finite.
 */
export class Experiment {
  readonly config: ExperimentConfig;
  readonly flops: ScheduleFlops;
  private readonly corpus: Corpus;
  private readonly hooks: ExperimentHooks;
  private readonly backend: string;
  private readonly valBatches: MlmBatch[];
  private readonly curveBatches: MlmBatch[];
  private readonly rng: Rng;
  private readonly options: ExperimentOptions;
  /** One stream per sequence length, kept across stages so a later stage continues the data, not restarts it. */
  private readonly batchers = new Map<number, MlmBatcher>();
  private params: Params;
  private adam: AdamState;
  private stageIndex = 0;
  private trainer: StageTrainer;
  private stageStart = 0;
  private stageWallMs = 0;
  private steps: StepMetrics[] = [];
  private validation: ValidationPoint[] = [];
  private stages: StageRecord[] = [];
  private growthEvents: GrowthEventRecord[] = [];
  private trainWallMs = 0;
  private tokensSeen = 0;
  private createdAt = new Date().toISOString();
  private finished = false;
  divergence: Divergence | null = null;

  /** `from` continues a checkpointed run (use Experiment.fromCheckpoint). */
  constructor(config: ExperimentConfig, corpus: Corpus, backend: string, hooks: ExperimentHooks = {}, options: ExperimentOptions = {}, from?: Checkpoint) {
    validateExperiment(config);
    const every = options.checkpointEvery ?? 0;
    if (!Number.isInteger(every) || every < 0) throw new ConfigError('checkpointEvery', `must be a non-negative integer (0 = only at growth and the end), got ${every}`);
    // The final stage holds the full model: refuse before allocating anything when it cannot fit.
    checkFits(`size ${config.size} (L${config.model.layers}, d${config.model.hidden}, B${config.train.batchSize}, n${config.train.seqLen})`, config.model, config.train, backend);
    this.config = config;
    this.corpus = corpus;
    this.backend = backend;
    this.hooks = hooks;
    this.options = options;
    this.flops = experimentFlops(config);
    // Independent of the run's seed: every seed and arm is scored on the same predictions.
    const shape = { batchSize: config.train.batchSize, seqLen: config.train.seqLen, vocabSize: config.model.vocabSize };
    // Curve points score the set's first batches (curveBatches); only the final point pays for all of it.
    const sets = validationSets(corpus, shape, config.train.evalBatches, curveBatches(config.train.evalBatches));
    this.valBatches = sets.all;
    this.curveBatches = sets.curve;
    if (!from) {
      this.rng = new Rng(deriveSeed(config.seed, 0x6770));
      this.params = initParams(this.stageConfig(0), deriveSeed(config.seed, 0x696e));
      this.adam = createAdamState(this.params);
      this.trainer = this.makeTrainer(0);
      return;
    }
    const state = from.state;
    this.rng = Rng.fromState(state.growthRng);
    for (const [seqLen, cursor] of Object.entries(state.cursors)) this.batcherFor(Number(seqLen)).setCursor(cursor);
    this.stageIndex = from.stageIndex;
    this.stageStart = state.stageStart;
    this.trainWallMs = state.trainWallMs;
    this.tokensSeen = state.tokensSeen;
    const r = structuredClone(from.record);
    this.createdAt = r.createdAt;
    this.steps = r.steps;
    this.validation = r.validation;
    this.stages = r.stages;
    this.growthEvents = r.growthEvents;
    // A stopped run closed its stage early; resuming reopens it to its planned end.
    const current = this.stages[this.stages.length - 1];
    if (current) current.endStep = this.stageStart + config.schedule.stages[this.stageIndex].steps;
    this.params = checkpointParams(from);
    this.adam = checkpointAdam(from);
    this.trainer = this.makeTrainer(this.stageIndex, state.stepsInStage);
    this.stageWallMs = state.stageWallMs;
    this.finished = this.trainer.done && this.stageIndex === config.schedule.stages.length - 1;
  }

  /** Continues a run from a checkpoint: on the same backend, the same losses as the run that was never interrupted. */
  static fromCheckpoint(c: Checkpoint, corpus: Corpus, backend: string, hooks: ExperimentHooks = {}, options: ExperimentOptions = {}): Experiment {
    // decodeCheckpoint checked a file's state against its run; a checkpoint built in memory gets its fields checked here.
    parseFormat(resumeStateSchema, c.state, { format: 'checkpoint', at: ['state'], hint: 'The run cannot continue (its weights can still be evaluated).' });
    return new Experiment(c.config, corpus, backend, hooks, options, c);
  }

  /** The run now, as a checkpoint (pending metrics are read back first). */
  async checkpoint(): Promise<Checkpoint> {
    await this.flush();
    const cursors: Record<string, BatcherCursor> = {};
    for (const [seqLen, b] of this.batchers) cursors[String(seqLen)] = b.getCursor();
    const state: ResumeState = {
      stageStart: this.stageStart,
      stepsInStage: this.trainer.stepsDone,
      growthRng: this.rng.getState(),
      cursors,
      stageWallMs: this.stageWallMs,
      trainWallMs: this.trainWallMs,
      tokensSeen: this.tokensSeen,
    };
    const [params, m, v] = await Promise.all([readTensors(this.params), readTensors(this.adam.m), readTensors(this.adam.v)]);
    return {
      config: this.config,
      step: this.trainer.globalStep,
      stageIndex: this.stageIndex,
      model: this.stageConfig(this.stageIndex),
      backend: this.backend,
      record: structuredClone(this.record),
      state,
      params,
      adam: { step: this.adam.step, m, v },
    };
  }

  private async emitCheckpoint(reason: CheckpointReason): Promise<void> {
    if (!this.hooks.onCheckpoint || this.divergence) return;
    this.hooks.onCheckpoint(await this.checkpoint(), reason);
  }

  get done(): boolean {
    return this.finished;
  }

  get globalStep(): number {
    return this.trainer.globalStep;
  }

  get currentStage(): number {
    return this.stageIndex;
  }

  /** Runs one optimizer step, plus evaluation and growth when they fall due. */
  async step(): Promise<void> {
    if (this.finished) return;
    // The trainer reads metrics back every logEvery steps and at the stage's end.
    this.ingest(await this.trainer.step());
    if (this.finished) return;
    const step = this.trainer.globalStep;
    const stageDone = this.trainer.done;
    if (step % this.config.train.evalEvery === 0 || step === this.config.train.steps) await this.evaluate(step);
    if (stageDone) await this.endStage(step);
    const every = this.options.checkpointEvery ?? 0;
    if (this.finished) await this.emitCheckpoint('end');
    else if (!stageDone && every > 0 && step % every === 0) await this.emitCheckpoint('interval');
  }

  /** Reads back pending metrics now (a paused run shows its latest step). */
  async flush(): Promise<void> {
    this.ingest(await this.trainer.flush());
  }

  private ingest(metrics: StepMetrics[]): void {
    if (metrics.length === 0) return;
    for (const m of metrics) {
      this.steps.push(m);
      this.trainWallMs += m.wallMs;
      this.stageWallMs += m.wallMs;
      this.tokensSeen += m.tokens;
    }
    this.hooks.onMetrics?.(metrics);
    const bad = metrics.find((m) => !Number.isFinite(m.loss));
    if (bad && !this.divergence) {
      const stage = this.config.schedule.stages[this.stageIndex];
      this.divergence = { step: bad.step, stageIndex: this.stageIndex, stageLabel: stageLabel(stage.shape, this.config.model), loss: bad.loss };
      this.closeStage(bad.step);
      this.finished = true;
    }
  }

  /** Stops early (user stop): keeps everything recorded so far. */
  async stop(): Promise<void> {
    if (this.finished) return;
    await this.flush();
    if (this.finished) return;
    this.closeStage(this.trainer.globalStep);
    this.finished = true;
    await this.emitCheckpoint('end');
  }

  get record(): RunRecord {
    const base = {
      format: 'growlab-run' as const,
      version: 1 as const,
      createdAt: this.createdAt,
      config: {
        size: this.config.size === 'custom' ? undefined : this.config.size,
        model: this.config.model,
        train: this.config.train,
        seed: this.config.seed,
        backend: this.backend,
        schedule: this.config.schedule,
      },
      steps: this.steps,
      validation: this.validation,
      stages: this.stages,
      growthEvents: this.growthEvents,
      wallTimeMs: this.trainWallMs,
      tokensSeen: this.tokensSeen,
    };
    return { ...base, summary: summarize(base) };
  }

  dispose(): void {
    // Metrics not yet read back are tensors too (found by the checkpoint resume property test).
    this.trainer.dispose();
    disposeParams(this.params);
    disposeAdamState(this.adam);
  }

  private batcherOpts(seqLen: number, stream: number) {
    return { batchSize: this.config.train.batchSize, seqLen, vocabSize: this.config.model.vocabSize, seed: deriveSeed(this.config.seed, stream) };
  }

  private stageConfig(i: number): ModelConfig {
    return stageModelConfig(this.config.model, this.config.schedule.stages[i].shape);
  }

  private stageSeq(i: number): number {
    return stageSeqLen(this.config.train.seqLen, this.config.schedule.stages[i].shape);
  }

  private batcherFor(seqLen: number): MlmBatcher {
    let b = this.batchers.get(seqLen);
    if (!b) {
      // Every run with the same seed sees the same data order at a given sequence length.
      b = new MlmBatcher(this.corpus, 'train', this.batcherOpts(seqLen, 0x7472 + seqLen));
      this.batchers.set(seqLen, b);
    }
    return b;
  }

  /** The trainer of stage i; a resumed stage (stepsDone > 0) keeps its existing stage record. */
  private makeTrainer(i: number, stepsDone = 0): StageTrainer {
    const stage = this.config.schedule.stages[i];
    const seqLen = this.stageSeq(i);
    const source: BatchSource = this.batcherFor(seqLen);
    const pool: PoolSetting | null = stagePool(stage.shape);
    // MSG: what the growth into this stage added, masked from the stage's first step (0) for
    // ops.msgRamp steps. A function of the schedule and the step in the stage, so a stage resumed
    // mid-ramp masks exactly as the uninterrupted run did.
    const { msgRamp } = this.config.schedule.ops;
    const added = i > 0 && msgRamp !== undefined ? msgStructure(this.stageConfig(i - 1), this.stageConfig(i), this.config.schedule.ops) : null;
    const trainer = new StageTrainer({
      params: this.params,
      adam: this.adam,
      model: this.stageConfig(i),
      train: { ...this.config.train, seqLen },
      source,
      pool,
      seed: this.config.seed,
      lr: stageLrFn({
        peak: this.config.train.lr,
        warmupSteps: this.config.train.warmupSteps,
        policy: stage.lrPolicy,
        stageSteps: stage.steps,
        totalSteps: this.config.train.steps,
      }),
      globalStepStart: this.stageStart,
      stageSteps: stage.steps,
      stepsDoneAtStart: stepsDone,
      ...(added ? { mask: (t: number) => msgMaskAt(added, msgRamp, t) } : {}),
    });
    if (stepsDone > 0 || this.stages.some((s) => s.index === i)) return trainer;
    this.stageWallMs = 0;
    const record: StageRecord = {
      index: i,
      label: stageLabel(stage.shape, this.config.model),
      startStep: this.stageStart,
      endStep: this.stageStart + stage.steps,
      shape: { model: this.stageConfig(i), seqLen, pool },
      flops: this.flops.stages[i].forwardFlops + this.flops.stages[i].growthForwardFlops,
      wallMs: 0,
    };
    this.stages.push(record);
    this.hooks.onStage?.(record, 'start');
    return trainer;
  }

  private closeStage(step: number): void {
    const rec = this.stages[this.stages.length - 1];
    rec.endStep = step;
    rec.wallMs = this.stageWallMs;
    this.hooks.onStage?.(rec, 'end');
  }

  private async evaluate(step: number): Promise<void> {
    await this.measureCopies(step);
    const batches = step === this.config.train.steps ? this.valBatches : this.curveBatches;
    const r = await evaluateMlm(this.params, this.stageConfig(this.stageIndex), batches, null, undefined, this.trainer.mask);
    const point: ValidationPoint = { step, loss: r.loss, accuracy: r.accuracy, stderr: r.stderr, predictions: r.predictions };
    this.validation.push(point);
    this.hooks.onValidation?.(point);
  }

  private async endStage(step: number): Promise<void> {
    this.closeStage(step);
    const next = this.stageIndex + 1;
    if (next >= this.config.schedule.stages.length) {
      this.finished = true;
      return;
    }
    await this.grow(step, next);
  }

  /**
   * Records how far the copies of the latest width-share growth have moved apart, once. Events map
   * one-to-one onto stage boundaries, so the latest event made the current stage; growth records
   * are part of checkpoints, so a resumed run knows whether it still has to measure.
   */
  private async measureCopies(step: number): Promise<void> {
    const event = this.growthEvents[this.stageIndex - 1];
    if (!event || event.copySeparation || !event.ops.includes('width.share')) return;
    const stages = this.config.schedule.stages;
    const k = stages[this.stageIndex - 1].shape.ffnDiv / stages[this.stageIndex].shape.ffnDiv;
    event.copySeparation = await copySeparation(this.params, this.stageConfig(this.stageIndex).layers, k, step);
    this.hooks.onCopySeparation?.(event);
  }

  /**
   * LiGO's growth into stage `next` (growth/ligo-train.ts), timed with the rest of the growth. Its
   * batches come from a stream of their own, seeded by the boundary, so the run's data order is what
   * it would be without LiGO, and a run resumed from the checkpoint taken after the growth needs no
   * cursor for it. The grown model's moments start fresh whatever optPolicy says (ligo-train.ts).
   */
  private async growByLigo(next: number, fromCfg: ModelConfig, toCfg: ModelConfig, steps: number) {
    const { train, seed } = this.config;
    const seqLen = this.stageSeq(next);
    const source = new MlmBatcher(this.corpus, 'train', { ...this.batcherOpts(seqLen, 0), seed: deriveSeed(seed, 0x6c67, next) });
    const r = await growByLigo(this.params, fromCfg, toCfg, {
      steps,
      lr: train.lr,
      hyper: { beta1: train.beta1, beta2: train.beta2, epsilon: train.epsilon, clipNorm: train.clipNorm },
      source,
      pool: stagePool(this.config.schedule.stages[next].shape),
      seed: deriveSeed(seed, 0x6c69, next),
      rng: this.rng,
    });
    const [first, last] = [r.losses[0], r.losses[r.losses.length - 1]];
    return { params: r.params, adam: null, loss: { first, last } };
  }

  private async grow(step: number, next: number): Promise<void> {
    // A growth before any validation measures the previous one's copies while they still exist.
    await this.measureCopies(step);
    const from = this.config.schedule.stages[this.stageIndex];
    const to: StageSpec = this.config.schedule.stages[next];
    const fromCfg = this.stageConfig(this.stageIndex);
    const toCfg = this.stageConfig(next);
    const carry = to.optPolicy === 'carry';
    // Growth itself is training cost; the check below is measurement and is not timed. Without
    // the wait, the device would make the new weights inside the check, and growth would look free.
    const t0 = performance.now();
    const ligoSteps = this.config.schedule.ops.ligoSteps;
    const ligo = ligoSteps !== undefined && ligoGrows(fromCfg, toCfg) ? await this.growByLigo(next, fromCfg, toCfg, ligoSteps) : null;
    const grown = ligo ?? growModel(this.params, carry ? this.adam : null, fromCfg, toCfg, this.config.schedule.ops, this.rng);
    await computed(grown.params);
    const growMs = performance.now() - t0;
    this.trainWallMs += growMs;
    // Probe at the next stage's length; each side with its own stage's pooling, so a length jump shows.
    const probe = fixedBatches(this.corpus, 'validation', this.batcherOpts(this.stageSeq(next), 0x7072), 1)[0];
    const poolOf = (s: StageSpec) => {
      const p = stagePool(s.shape);
      return p ? makePoolPlan(probe, p.k, p.reduce) : null;
    };
    const { msgRamp } = this.config.schedule.ops;
    const check = await growthCheck(
      { params: this.params, cfg: fromCfg, pool: poolOf(from), mask: this.trainer.mask },
      { params: grown.params, cfg: toCfg, pool: poolOf(to), mask: msgMaskAt(msgStructure(fromCfg, toCfg, this.config.schedule.ops), msgRamp, 0) },
      probe,
    );
    const ops = growthOpsApplied(from.shape, to.shape, this.config.schedule.ops, this.config.model);
    disposeParams(this.params);
    disposeAdamState(this.adam);
    this.params = grown.params;
    this.adam = grown.adam ?? createAdamState(this.params);
    const event: GrowthEventRecord = {
      step,
      fromLabel: stageLabel(from.shape, this.config.model),
      toLabel: stageLabel(to.shape, this.config.model),
      ops: ops.map((o) => o.id),
      lossBefore: check.lossBefore,
      lossAfter: check.lossAfter,
      maxAbsLogitDiff: check.maxAbsLogitDiff,
      preserving: ops.every((o) => o.preserving === 'always' || (o.preserving === 'pre-ln-only' && toCfg.norm === 'pre')),
      wallMs: growMs,
      ...(ligo ? { forwardFlops: this.flops.stages[next].growthForwardFlops, ligoLoss: ligo.loss } : {}),
    };
    this.growthEvents.push(event);
    this.hooks.onGrowth?.(event);
    this.stageIndex = next;
    this.stageStart = step;
    this.trainer = this.makeTrainer(next);
    await this.emitCheckpoint('growth');
  }
}

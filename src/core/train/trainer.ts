import * as tf from '@tensorflow/tfjs-core';
import type { MlmBatch } from '../data/batch.ts';
import { deriveSeed } from '../data/rng.ts';
import type { ModelConfig, PoolSetting, TrainConfig } from '../model/config.ts';
import { mlmLoss } from '../model/forward.ts';
import type { Params } from '../model/params.ts';
import type { GrowthMask } from '../model/growth-mask.ts';
import { makePoolPlan } from '../model/pool-plan.ts';
import { gradientStep, type AdamState } from './optimizer.ts';
import type { StepMetrics } from './record.ts';

export interface BatchSource {
  next(): MlmBatch;
}

export interface StageTrainerOptions {
  params: Params;
  adam: AdamState;
  model: ModelConfig;
  train: TrainConfig;
  source: BatchSource;
  /** Embedding pooling for this stage's first layer; null for none. */
  pool: PoolSetting | null;
  /** Run seed; dropout at step i uses deriveSeed(seed, i). */
  seed: number;
  /** Learning rate from 0-based step indices (see lr.ts). */
  lr: (stepInStage: number, globalStep: number) => number;
  /** Steps completed in the run before this stage. */
  globalStepStart: number;
  stageSteps: number;
  /** Steps of this stage already done (a resumed stage); default 0. */
  stepsDoneAtStart?: number;
  /** Called with each batch of metrics read back from the device. */
  onMetrics?: (m: StepMetrics[]) => void;
  /** MSG's mask at a 0-based step of the stage (null once its ramp is over); absent: never masked. */
  mask?: (stepInStage: number) => GrowthMask | null;
}

interface PendingStep {
  step: number;
  lr: number;
  tokens: number;
  ms: number;
  loss: tf.Scalar;
  gradNorm: tf.Scalar;
}

/**
 * Trains one stage a step at a time so a UI can pause, resume and single-step between calls.
 * Loss and gradient-norm scalars stay on the device and are read back together every
 * train.logEvery steps, after the stage's last step, and on flush(). A diverged step shows up as a
 * non-finite loss in the metrics; stopping is the caller's decision.
 */
export class StageTrainer {
  private readonly o: StageTrainerOptions;
  private pending: PendingStep[] = [];
  private stepInStage = 0;
  private busy = false;

  constructor(o: StageTrainerOptions) {
    if (!Number.isInteger(o.stageSteps) || o.stageSteps < 1) {
      throw new RangeError(`StageTrainer: stageSteps must be a positive integer, got ${o.stageSteps}`);
    }
    if (!Number.isInteger(o.globalStepStart) || o.globalStepStart < 0) {
      throw new RangeError(`StageTrainer: globalStepStart must be a non-negative integer, got ${o.globalStepStart}`);
    }
    const done = o.stepsDoneAtStart ?? 0;
    if (!Number.isInteger(done) || done < 0 || done > o.stageSteps) {
      throw new RangeError(`StageTrainer: stepsDoneAtStart must be an integer in [0, ${o.stageSteps}], got ${done}`);
    }
    this.stepInStage = done;
    this.o = o;
  }

  /** Steps completed in the run so far (the 0-based index of the next step). */
  get globalStep(): number {
    return this.o.globalStepStart + this.stepInStage;
  }

  get stepsDone(): number {
    return this.stepInStage;
  }

  get done(): boolean {
    return this.stepInStage >= this.o.stageSteps;
  }

  /** The mask the next step trains under: what the model computes now (evaluation uses it too). */
  get mask(): GrowthMask | null {
    return this.o.mask?.(this.stepInStage) ?? null;
  }

  /** Runs one step; returns the metrics read back by it (empty unless a read was due). */
  async step(): Promise<StepMetrics[]> {
    if (this.done) throw new Error('StageTrainer.step: the stage is already finished');
    if (this.busy) throw new Error('StageTrainer.step: called while another step or flush is in flight');
    const { params, adam, model, train, pool, seed } = this.o;
    const t0 = performance.now();
    const batch = this.o.source.next();
    const globalStep = this.globalStep;
    const lr = this.o.lr(this.stepInStage, globalStep);
    const plan = pool ? makePoolPlan(batch, pool.k, pool.reduce) : null;
    const mask = this.mask;
    const { loss, gradNorm } = gradientStep(
      [{ params, adam, lr, weightDecay: train.weightDecay }],
      () => mlmLoss(params, model, batch, { training: true, dropoutSeed: deriveSeed(seed, globalStep), pool: plan, mask }),
      train,
    );
    this.stepInStage += 1;
    this.pending.push({ step: globalStep + 1, lr, tokens: batch.realTokens, ms: performance.now() - t0, loss, gradNorm });
    if (this.pending.length >= train.logEvery || this.done) return this.flush();
    return [];
  }

  /** Reads back every pending step's metrics in one awaited transfer. */
  async flush(): Promise<StepMetrics[]> {
    if (this.busy) throw new Error('StageTrainer.flush: called while another step or flush is in flight');
    const batch = this.pending;
    if (batch.length === 0) return [];
    this.busy = true;
    this.pending = [];
    let values: Float32Array;
    const t0 = performance.now();
    try {
      const stacked = tf.stack(batch.flatMap((p) => [p.loss, p.gradNorm]));
      try {
        values = (await stacked.data()) as Float32Array;
      } finally {
        stacked.dispose();
      }
    } finally {
      for (const p of batch) tf.dispose([p.loss, p.gradNorm]);
      this.busy = false;
    }
    const readShare = (performance.now() - t0) / batch.length;
    const metrics = batch.map((p, i): StepMetrics => ({
      step: p.step,
      loss: values[2 * i],
      lr: p.lr,
      gradNorm: values[2 * i + 1],
      tokens: p.tokens,
      wallMs: p.ms + readShare,
    }));
    this.o.onMetrics?.(metrics);
    return metrics;
  }

  /** Frees unread metrics without reading them (e.g. when a run is abandoned). */
  dispose(): void {
    for (const p of this.pending) tf.dispose([p.loss, p.gradNorm]);
    this.pending = [];
  }
}

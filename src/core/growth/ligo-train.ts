import * as tf from '@tensorflow/tfjs-core';
import { deriveSeed, type Rng } from '../data/rng.ts';
import type { ModelConfig, PoolSetting } from '../model/config.ts';
import { mlmLoss } from '../model/forward.ts';
import type { Params } from '../model/params.ts';
import { makePoolPlan } from '../model/pool-plan.ts';
import { createAdamState, disposeAdamState, gradientStep, type StepHyper } from '../train/optimizer.ts';
import type { BatchSource } from '../train/trainer.ts';
import { LIGO_INIT_NOISE, createLigo, disposeLigo, ligoParams, materialiseLigo, type LigoOperator } from './ligo.ts';

export interface LigoTrainOptions {
  /** N = ops.ligoSteps. */
  steps: number;
  /** Constant: the run's peak rate (train.lr); the operator has its own fresh AdamW without decay. */
  lr: number;
  /** β1, β2, ε and the clipping norm of the run's optimizer. */
  hyper: StepHyper;
  /** Batches at the grown stage's sequence length, from a stream of their own (the run's order stays as it was). */
  source: BatchSource;
  /** The grown stage's embedding pooling, or null. */
  pool: PoolSetting | null;
  /** Dropout at operator step t uses deriveSeed(seed, t). */
  seed: number;
  /** Draws the initial split of A (ligo.ts). */
  rng: Rng;
  /** ε of that split; default LIGO_INIT_NOISE. */
  noise?: number;
}

/**
 * Trains the operator: N AdamW steps on the grown model's MLM loss, the grown weights computed from
 * the operator and the frozen small weights inside the loss, so the gradient reaches only A, B and D.
 * Returns the losses (one read at the end). The small params are not changed.
 */
export async function trainLigo(op: LigoOperator, small: Params, o: Omit<LigoTrainOptions, 'rng' | 'noise'>): Promise<number[]> {
  const adam = createAdamState(op.vars);
  const group = { params: op.vars, adam, lr: o.lr, weightDecay: 0 };
  const losses: tf.Scalar[] = [];
  try {
    for (let t = 0; t < o.steps; t++) {
      const batch = o.source.next();
      const plan = o.pool ? makePoolPlan(batch, o.pool.k, o.pool.reduce) : null;
      const { loss, gradNorm } = gradientStep(
        [group],
        () => tf.tidy(() => mlmLoss(materialiseLigo(op, small) as unknown as Params, op.to, batch, { training: true, dropoutSeed: deriveSeed(o.seed, t), pool: plan, mask: null })),
        o.hyper,
      );
      gradNorm.dispose();
      losses.push(loss);
    }
    if (losses.length === 0) return [];
    const stacked = tf.stack(losses);
    const values = Array.from(await stacked.data());
    stacked.dispose();
    return values;
  } finally {
    tf.dispose(losses);
    disposeAdamState(adam);
  }
}

/**
 * One LiGO growth: the initial operator, N training steps, then the grown weights materialised once
 * as the grown model's Params. The operator and its optimizer state are freed. The grown model's own
 * optimizer starts fresh (zero moments) whatever the stage's optPolicy: its weights are a new point
 * made by N steps of another optimisation, which the small model's moments do not describe.
 */
export async function growByLigo(small: Params, from: ModelConfig, to: ModelConfig, o: LigoTrainOptions): Promise<{ params: Params; losses: number[] }> {
  const op = createLigo(from, to, { noise: o.noise ?? LIGO_INIT_NOISE, rng: o.rng });
  try {
    const losses = await trainLigo(op, small, o);
    return { params: ligoParams(op, small), losses };
  } finally {
    disposeLigo(op);
  }
}

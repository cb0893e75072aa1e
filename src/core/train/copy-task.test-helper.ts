import { expect } from 'vitest';
import type { MlmBatch } from '../data/batch.ts';
import { maskedBatch } from '../data/batch.test-helper.ts';
import type { ModelConfig, NormPlacement, TrainConfig } from '../model/config.ts';
import { disposeParams, initParams } from '../model/params.ts';
import { stageLrFn } from './lr.ts';
import { createAdamState, disposeAdamState } from './optimizer.ts';
import { StageTrainer } from './trainer.ts';

export const COPY_VOCAB = 40;
const B = 16, n = 12, P = 2;
const train: TrainConfig = {
  batchSize: B, seqLen: n, steps: 0, lr: 3e-3, warmupSteps: 20, weightDecay: 0.01, clipNorm: 1,
  beta1: 0.9, beta2: 0.999, epsilon: 1e-6, logEvery: 20, evalEvery: 1000, evalBatches: 1,
};

/** What token frequencies alone reach on the copy task: a uniform guess over the V − 5 content tokens. */
export const FREQUENCY_LOSS = Math.log(COPY_VOCAB - 5);

/**
 * Each row is [CLS] a b c d e a b c d e [SEP] with a..e drawn afresh: a masked token in the second
 * half can only be known by copying from the first half. Token frequencies alone give ln(V − 5).
 */
function copyBatch(rand: () => number): MlmBatch {
  const rows = Array.from({ length: B }, () => {
    const half = Array.from({ length: 5 }, () => 5 + Math.floor(rand() * (COPY_VOCAB - 5)));
    return [2, ...half, ...half, 3];
  });
  const masked = rows.map(() => [6 + Math.floor(rand() * 2), 8 + Math.floor(rand() * 3)]);
  return maskedBatch(rows, masked, P);
}

/** Per-step training losses of a 2-layer encoder on the copy task, on whichever backend is active. */
export async function copyTaskLoss(norm: NormPlacement, steps: number): Promise<number[]> {
  const model: ModelConfig = { vocabSize: COPY_VOCAB, hidden: 32, layers: 2, heads: 2, ffn: 64, ffnRank: 0, maxLen: n, norm, dropout: 0, lnEps: 1e-12 };
  let s = 12345;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const params = initParams(model, 3);
  const adam = createAdamState(params);
  const trainer = new StageTrainer({
    params, adam, model, train: { ...train, steps }, source: { next: () => copyBatch(rand) }, pool: null, seed: 1,
    lr: stageLrFn({ peak: train.lr, warmupSteps: train.warmupSteps, policy: 'reset', stageSteps: steps, totalSteps: steps }),
    globalStepStart: 0, stageSteps: steps,
  });
  const losses: number[] = [];
  while (!trainer.done) losses.push(...(await trainer.step()).map((m) => m.loss));
  disposeAdamState(adam);
  disposeParams(params);
  return losses;
}

/** Mean of the last `k` losses. */
export const tailMean = (losses: number[], k = 20): number => losses.slice(-k).reduce((a, b) => a + b, 0) / k;

/** The claim both copy-task tests make: the loss starts near token frequencies and ends far below them. */
export async function expectCopyTaskLearned(norm: NormPlacement, steps = 400): Promise<void> {
  const losses = await copyTaskLoss(norm, steps);
  expect(losses[0]).toBeGreaterThan(0.9 * FREQUENCY_LOSS);
  expect(tailMean(losses)).toBeLessThan(0.5 * FREQUENCY_LOSS);
}

import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../node/backends.ts';
import type { MlmBatch } from '../data/batch.ts';
import { maskedBatch } from '../data/batch.test-helper.ts';
import type { ModelConfig, TrainConfig } from '../model/config.ts';
import { mlmLoss } from '../model/forward.ts';
import { initParams, type Params } from '../model/params.ts';
import { makePoolPlan } from '../model/pool-plan.ts';
import { stageLrFn } from './lr.ts';
import { createAdamState, disposeAdamState } from './optimizer.ts';
import type { StepMetrics } from './record.ts';
import { StageTrainer } from './trainer.ts';
import type { PoolSetting } from '../model/config.ts';

beforeAll(async () => {
  await useNodeBackend('cpu');
});

const model: ModelConfig = {
  vocabSize: 50, hidden: 16, layers: 1, heads: 2, ffn: 32, ffnRank: 0, maxLen: 8, norm: 'post', dropout: 0.1, lnEps: 1e-12,
};
const train: TrainConfig = {
  batchSize: 4, seqLen: 8, steps: 30, lr: 5e-3, warmupSteps: 3, weightDecay: 0.01, clipNorm: 1,
  beta1: 0.9, beta2: 0.999, epsilon: 1e-6, logEvery: 4, evalEvery: 100, evalBatches: 2,
};
const B = 4, n = 8, P = 2;

/** Rows [CLS] w w+1 … w+5 [SEP] (a pattern the model can learn), two positions masked per row. */
function patternBatch(seed: number): MlmBatch {
  let s = seed;
  const rand = (k: number) => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s % k;
  };
  const rows: number[][] = [];
  const masked: number[][] = [];
  for (let b = 0; b < B; b++) {
    const w = 5 + rand(38);
    rows.push([2, w, w + 1, w + 2, w + 3, w + 4, w + 5, 3]);
    const first = 1 + rand(3);
    masked.push([first, first + 2 + rand(2)]);
  }
  return maskedBatch(rows, masked, P);
}

function cycle(batches: MlmBatch[]) {
  let i = 0;
  return { next: () => batches[i++ % batches.length] };
}

function disposeParams(p: Params): void {
  for (const v of p.values()) v.dispose();
}

interface RunOpts {
  steps: number;
  seed?: number;
  globalStepStart?: number;
  pool?: PoolSetting | null;
  modelCfg?: ModelConfig;
  onMetrics?: (m: StepMetrics[]) => void;
}

async function run(o: RunOpts): Promise<{ metrics: StepMetrics[]; trainer: StageTrainer; params: Params; dispose: () => void }> {
  const cfg = o.modelCfg ?? model;
  const params = initParams(cfg, 7);
  const adam = createAdamState(params);
  const trainer = new StageTrainer({
    params, adam, model: cfg, train, source: cycle([patternBatch(1), patternBatch(2)]), pool: o.pool ?? null,
    seed: o.seed ?? 11,
    lr: stageLrFn({ peak: train.lr, warmupSteps: train.warmupSteps, policy: 'reset', stageSteps: o.steps, totalSteps: 1000 }),
    globalStepStart: o.globalStepStart ?? 0, stageSteps: o.steps, onMetrics: o.onMetrics,
  });
  const metrics: StepMetrics[] = [];
  while (!trainer.done) metrics.push(...(await trainer.step()));
  return { metrics, trainer, params, dispose: () => { disposeAdamState(adam); disposeParams(params); } };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('StageTrainer', () => {
  it('reduces the MLM loss over 30 steps', async () => {
    const { metrics, dispose } = await run({ steps: 30 });
    expect(metrics.map((m) => m.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const losses = metrics.map((m) => m.loss);
    expect(losses.every(Number.isFinite)).toBe(true);
    // Initial loss of an untrained model is near ln(50) ≈ 3.9.
    expect(mean(losses.slice(0, 3))).toBeGreaterThan(3);
    expect(mean(losses.slice(-5))).toBeLessThan(0.8 * mean(losses.slice(0, 5)));
    dispose();
  });

  it('reads metrics back every logEvery steps and at the end of the stage', async () => {
    const calls: StepMetrics[][] = [];
    const returned: number[] = [];
    const params = initParams(model, 7);
    const adam = createAdamState(params);
    const lr = stageLrFn({ peak: train.lr, warmupSteps: train.warmupSteps, policy: 'reset', stageSteps: 10, totalSteps: 1000 });
    const trainer = new StageTrainer({
      params, adam, model, train, source: cycle([patternBatch(1)]), pool: null, seed: 3, lr,
      globalStepStart: 20, stageSteps: 10, onMetrics: (m) => calls.push(m),
    });
    while (!trainer.done) returned.push((await trainer.step()).length);
    expect(returned).toEqual([0, 0, 0, 4, 0, 0, 0, 4, 0, 2]);
    expect(calls.map((c) => c.map((m) => m.step))).toEqual([[21, 22, 23, 24], [25, 26, 27, 28], [29, 30]]);
    const all = calls.flat();
    all.forEach((m, i) => {
      expect(m.lr).toBe(lr(i, 20 + i));
      expect(m.tokens).toBe(B * n);
      expect(m.wallMs).toBeGreaterThan(0);
      expect(m.gradNorm).toBeGreaterThan(0);
    });
    expect(trainer.globalStep).toBe(30);
    await expect(trainer.step()).rejects.toThrow(/finished/);
    disposeAdamState(adam);
    disposeParams(params);
  });

  it('reports the loss and pre-clipping gradient norm of the step, as computed directly', async () => {
    const noDropout = { ...model, dropout: 0 };
    const params = initParams(noDropout, 7);
    const batch = patternBatch(1);
    const expected = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => mlmLoss(params, noDropout, batch, { training: true, pool: null }), [...params.values()]);
      const sq = Object.values(grads).map((g) => tf.sum(tf.square(g)).dataSync()[0]);
      return { loss: value.dataSync()[0], norm: Math.sqrt(sq.reduce((a, b) => a + b, 0)) };
    });
    const adam = createAdamState(params);
    const trainer = new StageTrainer({
      params, adam, model: noDropout, train, source: cycle([batch]), pool: null, seed: 3, lr: () => 1e-3,
      globalStepStart: 0, stageSteps: 1,
    });
    const [m] = await trainer.step();
    expect(m.loss).toBeCloseTo(expected.loss, 5);
    expect(m.gradNorm).toBeCloseTo(expected.norm, 4);
    expect(adam.step).toBe(1);
    disposeAdamState(adam);
    disposeParams(params);
  });

  it('trains with embedding pooling: first loss equals the pooled loss at init', async () => {
    const noDropout = { ...model, dropout: 0 };
    const params = initParams(noDropout, 7);
    const batch = patternBatch(1);
    const expected = tf.tidy(() => mlmLoss(params, noDropout, batch, { training: true, pool: makePoolPlan(batch, 2, 'mean') }).dataSync()[0]);
    disposeParams(params);
    const { metrics, dispose } = await run({ steps: 2, pool: { k: 2, reduce: 'mean' }, modelCfg: noDropout });
    expect(metrics[0].loss).toBeCloseTo(expected, 5);
    expect(Number.isFinite(metrics[1].loss)).toBe(true);
    dispose();
  });

  it('keeps the tensor count flat: 5 steps vs 50 steps', async () => {
    const params = initParams(model, 7);
    const adam = createAdamState(params);
    const trainer = new StageTrainer({
      params, adam, model, train, source: cycle([patternBatch(1), patternBatch(2)]), pool: null, seed: 3,
      lr: () => 1e-3, globalStepStart: 0, stageSteps: 60,
    });
    for (let i = 0; i < 5; i++) await trainer.step();
    await trainer.flush();
    const after5 = tf.memory().numTensors;
    for (let i = 5; i < 50; i++) await trainer.step();
    await trainer.flush();
    expect(tf.memory().numTensors).toBe(after5);
    disposeAdamState(adam);
    disposeParams(params);
  });

  it('is deterministic for a seed, and the seed drives dropout', async () => {
    const a = await run({ steps: 6, seed: 5 });
    const b = await run({ steps: 6, seed: 5 });
    const c = await run({ steps: 6, seed: 6 });
    expect(b.metrics.map((m) => m.loss)).toEqual(a.metrics.map((m) => m.loss));
    expect(c.metrics[0].loss).not.toBe(a.metrics[0].loss);
    for (const r of [a, b, c]) r.dispose();
  });
});

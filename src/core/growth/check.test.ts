import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../node/backends.ts';
import type { MlmBatch } from '../data/batch.ts';
import { handBatch } from '../data/hand-batch.ts';
import { Rng } from '../data/rng.ts';
import type { ModelConfig } from '../model/config.ts';
import { mlmLoss } from '../model/forward.ts';
import { disposeParams } from '../model/params.ts';
import { makePoolPlan } from '../model/pool-plan.ts';
import type { AdamState } from '../train/optimizer.ts';
import type { GrowthOps } from '../schedule/spec.ts';
import { growthCheck } from './check.ts';
import { growModel } from './grow.ts';
import { gradients, trainedLike } from './model.test-helper.ts';

beforeAll(async () => {
  await useNodeBackend('cpu');
});

// Dropout 0.1 in the config: the check must switch it off (identical models give a zero diff).
const base: ModelConfig = {
  vocabSize: 40, hidden: 8, layers: 2, heads: 2, ffn: 8, ffnRank: 0, maxLen: 8, norm: 'pre', dropout: 0.1, lnEps: 1e-12,
};

const probe: MlmBatch = handBatch();

const ops = (o: Partial<GrowthOps> = {}): GrowthOps => ({ depth: 'stack', width: 'share', widthNoise: 0, ...o });

async function diffAfter(from: ModelConfig, to: ModelConfig, o: GrowthOps, seed = 1) {
  const params = trainedLike(from, seed);
  const grown = growModel(params, null, from, to, o, new Rng(seed + 7));
  const r = await growthCheck({ params, cfg: from }, { params: grown.params, cfg: to }, probe);
  disposeParams(params);
  disposeParams(grown.params);
  return r;
}

describe('growthCheck', () => {
  it('share, factorized → dense and identity (pre-LN) preserve the logits to float precision', async () => {
    const post = { ...base, norm: 'post' as const };
    const cases: [ModelConfig, ModelConfig, GrowthOps][] = [
      [base, { ...base, ffn: 16 }, ops()],
      [base, { ...base, ffn: 24 }, ops()],
      [base, { ...base, ffn: 16 }, ops({ widthNoise: 0.05 })],
      [base, { ...base, ffn: 24 }, ops({ widthNoise: 0.05 })],
      [post, { ...post, ffn: 16 }, ops({ widthNoise: 0.05 })],
      [{ ...base, ffnRank: 2 }, base, ops()],
      [{ ...base, ffnRank: 2 }, { ...base, ffn: 16 }, ops()],
      [{ ...base, ffnRank: 2 }, { ...base, ffnRank: 2, ffn: 16 }, ops({ widthNoise: 0.05 })],
      [base, { ...base, layers: 4 }, ops({ depth: 'identity' })],
      [{ ...base, ffnRank: 2 }, { ...base, layers: 3, ffn: 16 }, ops({ depth: 'identity' })],
    ];
    for (const [from, to, o] of cases) {
      const r = await diffAfter(from, to, o);
      expect(r.maxAbsLogitDiff, JSON.stringify([from, to, o])).toBeLessThan(1e-5);
      expect(Math.abs(r.lossAfter - r.lossBefore)).toBeLessThan(1e-5);
      // The logits are far from zero, so a small difference is not a small scale.
      expect(r.lossBefore).toBeGreaterThan(0.5);
    }
  });

  it('reports the change where the operator does not preserve: identity under post-LN, stack, random widen', async () => {
    const post = { ...base, norm: 'post' as const };
    const identityPost = await diffAfter(post, { ...post, layers: 4 }, ops({ depth: 'identity' }));
    expect(identityPost.maxAbsLogitDiff).toBeGreaterThan(1e-2);
    expect(identityPost.lossAfter).not.toBe(identityPost.lossBefore);
    expect((await diffAfter(base, { ...base, layers: 4 }, ops({ depth: 'stack' }))).maxAbsLogitDiff).toBeGreaterThan(1e-2);
    expect((await diffAfter(base, { ...base, layers: 4 }, ops({ depth: 'random' }))).maxAbsLogitDiff).toBeGreaterThan(1e-4);
    expect((await diffAfter(base, { ...base, ffn: 16 }, ops({ width: 'random' }))).maxAbsLogitDiff).toBeGreaterThan(1e-4);
  });

  it('gives a zero diff for identical models, the directly computed loss, a jump when pooling stops, and leaks nothing', async () => {
    const params = trainedLike(base, 3);
    const before = tf.memory().numTensors;
    const same = await growthCheck({ params, cfg: base }, { params, cfg: base }, probe);
    expect(same.maxAbsLogitDiff).toBe(0);
    const direct = tf.tidy(() => mlmLoss(params, base, probe, { training: false }).dataSync()[0]);
    expect(same.lossBefore).toBeCloseTo(direct, 6);
    expect(same.lossAfter).toBe(same.lossBefore);
    const pooled = await growthCheck({ params, cfg: base, pool: makePoolPlan(probe, 2, 'mean') }, { params, cfg: base, pool: null }, probe);
    expect(pooled.maxAbsLogitDiff).toBeGreaterThan(1e-3);
    expect(pooled.lossAfter).toBeCloseTo(direct, 6);
    expect(tf.memory().numTensors).toBe(before);
    disposeParams(params);
  });
});

describe('carried Adam moments', () => {
  // After one Adam step from zero, m = (1−β1)·g and v = (1−β2)·g². If the share transform is the
  // chain-rule one, the carried moments equal (1−β1)·g' and (1−β2)·g'² for the grown model's
  // gradients g' — which autodiff computes here independently of growth/width.ts.
  for (const [label, from] of [['dense', base], ['factorized', { ...base, ffnRank: 2 }]] as const) {
    it(`share k=2 (${label}): carried moments are the grown model's own one-step moments`, () => {
      const to = { ...from, ffn: 16 };
      const params = trainedLike(from, 4);
      const g = gradients(params, from, probe);
      const toVar = (x: Float32Array, shape: number[]) => tf.tidy(() => tf.variable(tf.tensor(x, shape), false));
      const adam: AdamState = { step: 1, m: new Map(), v: new Map() };
      for (const [name, p] of params) {
        const gi = g.get(name)!;
        adam.m.set(name, toVar(gi.map((x) => 0.1 * x), p.shape));
        adam.v.set(name, toVar(gi.map((x) => 0.001 * x * x), p.shape));
      }
      const grown = growModel(params, adam, from, to, ops(), new Rng(5));
      const g2 = gradients(grown.params, to, probe);
      expect([...g2.keys()].sort()).toEqual([...grown.adam!.m.keys()].sort());
      for (const [name, gn] of g2) {
        const m = grown.adam!.m.get(name)!.dataSync();
        const v = grown.adam!.v.get(name)!.dataSync();
        const scale = Math.max(...gn.map(Math.abs));
        gn.forEach((x, i) => {
          expect(Math.abs(m[i] - 0.1 * x), name).toBeLessThanOrEqual(1e-4 * 0.1 * scale + 1e-9);
          expect(Math.abs(v[i] - 0.001 * x * x), name).toBeLessThanOrEqual(2e-4 * 0.001 * scale * scale + 1e-12);
        });
      }
      // Not vacuous: the FFN gradients are far from zero and the input side really was scaled.
      const w1 = from.ffnRank ? 'layers.0.ffn.w1.kernelB' : 'layers.0.ffn.w1.kernel';
      expect(Math.max(...g.get(w1)!.map(Math.abs))).toBeGreaterThan(1e-3);
      disposeParams(params);
      disposeParams(grown.params);
      for (const s of [adam, grown.adam!]) [...s.m.values(), ...s.v.values()].forEach((t) => t.dispose());
    });
  }
});

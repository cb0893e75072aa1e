import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../node/backends.ts';
import { maskedBatch } from '../data/batch.test-helper.ts';
import { Rng } from '../data/rng.ts';
import type { ModelConfig } from '../model/config.ts';
import { mlmLoss } from '../model/forward.ts';
import { disposeParams, initParams, type Params } from '../model/params.ts';
import { makePoolPlan } from '../model/pool-plan.ts';
import { adamwUpdate, clipByGlobalNorm, createAdamState, disposeAdamState, gradientStep, optimizerStep } from '../train/optimizer.ts';
import { fusedAttnSoftmax, fusedBiasGelu, fusedDropout, fusedLayerNorm, fusedMlmLoss, fusedOffReason, fusedOn, setFused } from './ops.ts';
import { checkFusedKernels } from './selfcheck.ts';
import { K, dropoutMask, expJs, mix32 } from './spec.ts';

/*
 * The fused kernels against the unfused tfjs ops they replace (the --reference path), on cpu and
 * wasm: values, gradients of a whole model, dropout masks, and 50 optimizer steps.
 */

beforeAll(async () => {
  await useNodeBackend('wasm');
  await tf.setBackend('cpu');
});

afterEach(() => setFused(true));

function randn(n: number, seed: number, scale = 1): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => scale * rng.normal());
}

/** max |a − b| / max(|b|, floor) over the elements. */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-3): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), floor));
  return worst;
}

/** Runs `f` on both paths and returns [fused, reference] values. */
function bothPaths(f: () => tf.Tensor): [Float32Array, Float32Array] {
  setFused(true);
  const fused = tf.tidy(f);
  setFused(false);
  const ref = tf.tidy(f);
  setFused(true);
  const out: [Float32Array, Float32Array] = [fused.dataSync() as Float32Array, ref.dataSync() as Float32Array];
  tf.dispose([fused, ref]);
  return out;
}

describe('spec helpers', () => {
  it('expJs agrees with Math.exp to 1e-12 relative over the float32 range softmax uses', () => {
    for (let x = -100; x <= 80; x += 0.0137) expect(Math.abs(expJs(x) / Math.exp(x) - 1)).toBeLessThan(1e-12);
    expect(expJs(-1000)).toBe(0);
    expect(expJs(-Infinity)).toBe(0);
    expect(expJs(NaN)).toBeNaN();
  });

  it('mix32 is a bijection-like mixer: 10,000 consecutive inputs give 10,000 distinct outputs', () => {
    expect(new Set(Array.from({ length: 10000 }, (_, i) => mix32(i))).size).toBe(10000);
  });

  it('dropout masks drop close to the rate and differ between seeds', () => {
    const a = dropoutMask(100000, 0.1, 7);
    const b = dropoutMask(100000, 0.1, 8);
    const dropped = a.reduce((s, v) => s + (v === 0 ? 1 : 0), 0) / a.length;
    expect(Math.abs(dropped - 0.1)).toBeLessThan(0.005);
    let same = 0;
    for (let i = 0; i < a.length; i++) same += a[i] === b[i] ? 1 : 0;
    expect(same / a.length).toBeLessThan(0.9);
  });
});

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`fused kernels on ${backend} equal the unfused ops`, () => {
    beforeAll(async () => {
      await tf.setBackend(backend);
      expect(fusedOn(K.adamw)).toBe(true);
    });

    it('LayerNorm', () => {
      const x = tf.tensor2d(randn(7 * 24, 1, 3), [7, 24]);
      const g = tf.tensor1d(randn(24, 2));
      const b = tf.tensor1d(randn(24, 3));
      const [fused] = bothPaths(() => fusedLayerNorm(x, g, b, 1e-12));
      const ref = tf.tidy(() => {
        const { mean, variance } = tf.moments(x, -1, true);
        return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-12))), g), b);
      });
      expect(relDiff(fused, ref.dataSync())).toBeLessThan(1e-5);
      tf.dispose([x, g, b, ref]);
    });

    it('bias + GELU', () => {
      const x = tf.tensor2d(randn(5 * 12, 4, 2), [5, 12]);
      const bias = tf.tensor1d(randn(12, 5));
      const fused = tf.tidy(() => fusedBiasGelu(x, bias).dataSync());
      const ref = tf.tidy(() => {
        const z = tf.add(x, bias);
        return tf.mul(tf.mul(z, 0.5), tf.add(tf.erf(tf.mul(z, Math.SQRT1_2)), 1)).dataSync();
      });
      // Both use an erf approximation (|error| < 1.5e-7; wasm's differs from tfjs-core's): compare absolutely.
      expect(relDiff(fused, ref, 1)).toBeLessThan(1e-6);
      tf.dispose([x, bias]);
    });

    it('attention softmax with padding bias, with and without dropout', () => {
      const scores = tf.tensor4d(randn(2 * 3 * 5 * 7, 6, 4), [2, 3, 5, 7]);
      const bias = tf.tensor4d(Float32Array.from({ length: 14 }, (_, i) => (i % 7 > 4 ? -1e4 : 0)), [2, 1, 1, 7]);
      for (const [rate, seed] of [[0, 0], [0.25, 99]]) {
        const fused = tf.tidy(() => fusedAttnSoftmax(scores, bias, 0.5, rate, seed).dataSync());
        const ref = tf.tidy(() => {
          const p = tf.softmax(tf.add(tf.mul(scores, 0.5), bias));
          return (rate === 0 ? p : tf.mul(p, tf.mul(tf.tensor(dropoutMask(p.size, rate, seed), p.shape), 1 / (1 - rate)))).dataSync();
        });
        expect(relDiff(fused, ref)).toBeLessThan(1e-5);
        // Masked keys get exactly nothing; dropped entries are exactly zero on both.
        for (let i = 0; i < fused.length; i++) expect(fused[i] === 0).toBe(ref[i] === 0);
      }
      tf.dispose([scores, bias]);
    });

    it('dropout draws the same mask as the reference and scales by 1/(1 − rate)', () => {
      const x = tf.tensor2d(randn(40 * 9, 7), [40, 9]);
      const [fused, ref] = bothPaths(() => fusedDropout(x, 0.3, 12345));
      expect(relDiff(fused, ref)).toBeLessThan(1e-6);
      const mask = dropoutMask(x.size, 0.3, 12345);
      const xs = x.dataSync();
      for (let i = 0; i < fused.length; i++) expect(fused[i]).toBeCloseTo(mask[i] * xs[i] / 0.7, 5);
      x.dispose();
    });

    it('MLM cross-entropy from integer labels, weights included, and 0 for an all-padding batch', () => {
      const logits = tf.tensor2d(randn(6 * 50, 8, 3), [6, 50]);
      const labels = tf.tensor1d([3, 0, 49, 7, 7, 20], 'int32');
      const weights = tf.tensor1d([1, 0, 1, 1, 0.5, 1]);
      const fused = tf.tidy(() => fusedMlmLoss(logits, labels, weights).dataSync()[0]);
      const ref = tf.tidy(() => {
        const nll = tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), tf.cast(tf.oneHot(labels, 50), 'float32')), 1));
        return tf.div(tf.sum(tf.mul(nll, weights)), tf.sum(weights)).dataSync()[0];
      });
      expect(Math.abs(fused - ref) / ref).toBeLessThan(1e-5);
      expect(tf.tidy(() => fusedMlmLoss(logits, labels, tf.zeros([6])).dataSync()[0])).toBe(0);
      tf.dispose([logits, labels, weights]);
    });

    const tinyModel: ModelConfig = {
      vocabSize: 40, hidden: 12, layers: 2, heads: 3, ffn: 20, ffnRank: 0, maxLen: 10, norm: 'post', dropout: 0.1, lnEps: 1e-12,
    };
    const batch = maskedBatch([[2, 11, 4, 13, 14, 4, 16, 3], [2, 21, 22, 4, 3, 0, 0, 0]], [[2, 5], [3]], 2);
    const variants: [string, ModelConfig, boolean][] = [
      ['post-LN with dropout', tinyModel, false],
      ['pre-LN with dropout', { ...tinyModel, norm: 'pre' }, false],
      ['factorized FFN', { ...tinyModel, ffnRank: 4 }, false],
      ['pooled first layer', tinyModel, true],
    ];
    for (const [label, cfg, pooled] of variants) {
      it(`a whole model's loss and every gradient: ${label}`, () => {
        const params: Params = initParams(cfg, 3);
        const opts = { training: true, dropoutSeed: 77, pool: pooled ? makePoolPlan(batch, 2, 'mean') : null };
        const run = () => tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => mlmLoss(params, cfg, batch, opts), [...params.values()]);
          return [value.dataSync()[0], ...[...params.values()].map((p) => grads[p.name].dataSync() as Float32Array)] as const;
        });
        setFused(true);
        const [lossF, ...gradsF] = run();
        setFused(false);
        const [lossR, ...gradsR] = run();
        expect(Math.abs(lossF - lossR) / lossR).toBeLessThan(1e-5);
        gradsF.forEach((g, i) => {
          const scale = Math.max(...Array.from(gradsR[i], Math.abs), 1e-6);
          expect(relDiff(g, gradsR[i], scale)).toBeLessThan(1e-4);
        });
        disposeParams(params);
      });
    }

    it('one training step of a 2-layer model runs under 200 tfjs kernels, against over 800 unfused', async () => {
      const params = initParams(tinyModel, 4);
      const adam = createAdamState(params);
      const kernelsOfStep = async () => {
        const prof = await tf.profile(() => {
          const { loss, gradNorm } = gradientStep([{ params, adam, lr: 1e-3, weightDecay: 0.01 }],
            () => mlmLoss(params, tinyModel, batch, { training: true, dropoutSeed: 5 }), { beta1: 0.9, beta2: 0.999, epsilon: 1e-6, clipNorm: 1 });
          tf.dispose([loss, gradNorm]);
        });
        return prof.kernels.map((k) => k.name);
      };
      const fused = await kernelsOfStep();
      setFused(false);
      const ref = await kernelsOfStep();
      setFused(true);
      expect(fused.length).toBeLessThan(200);
      expect(ref.length).toBeGreaterThan(800);
      expect(fused.filter((k) => k === K.adamw)).toHaveLength(1);
      disposeParams(params);
      disposeAdamState(adam);
    });

    it('50 AdamW steps with clipping equal the unfused optimizer to 1e-6 relative', () => {
      const shapes = [[6, 5], [5], [3, 4, 2], [7]];
      const make = () => new Map(shapes.map((s, i) => [`w${i}${i === 1 ? '.bias' : ''}`, tf.variable(tf.tensor(randn(tf.util.sizeFromShape(s), 20 + i, 0.5), s))]));
      const fused = make();
      const ref = make();
      const adamF = createAdamState(fused);
      const adamR = createAdamState(ref);
      const hp = { beta1: 0.9, beta2: 0.999, epsilon: 1e-6, weightDecay: 0.01 };
      for (let step = 0; step < 50; step++) {
        // Large gradients on even steps so that clipping is active on some steps and not others.
        const grads = () => new Map([...fused.keys()].map((name, i) => [name, tf.tensor(randn(fused.get(name)!.size, 1000 * step + i, step % 2 ? 0.05 : 3), fused.get(name)!.shape)] as const));
        const lr = 1e-2 * (1 - step / 60);
        tf.tidy(() => {
          setFused(true);
          const nF = optimizerStep([{ params: fused, adam: adamF, lr, weightDecay: hp.weightDecay }], grads(), { ...hp, clipNorm: 1 });
          setFused(false);
          const g = clipByGlobalNorm(grads(), 1);
          adamwUpdate(ref, g.grads, adamR, lr, hp);
          expect(Math.abs(nF.dataSync()[0] - g.norm.dataSync()[0]) / g.norm.dataSync()[0]).toBeLessThan(1e-6);
        });
      }
      for (const [name, p] of fused) {
        const r = ref.get(name)!;
        const scale = Math.max(...Array.from(r.dataSync(), Math.abs));
        expect(relDiff(p.dataSync(), r.dataSync(), scale)).toBeLessThan(1e-6);
        expect(relDiff(adamF.m.get(name)!.dataSync(), adamR.m.get(name)!.dataSync(), 1e-3)).toBeLessThan(1e-5);
      }
      expect(adamF.step).toBe(50);
      for (const p of [...fused.values(), ...ref.values()]) p.dispose();
      disposeAdamState(adamF);
      disposeAdamState(adamR);
    });
  });
}

describe('self-check before training', () => {
  beforeAll(() => tf.setBackend('cpu'));

  it('passes on working kernels and leaves the fused path on', async () => {
    expect(await checkFusedKernels()).toBeNull();
    expect(fusedOn(K.layerNorm)).toBe(true);
  });

  it('turns the fused path off, and says why, when a kernel computes wrong numbers', async () => {
    const good = tf.getKernel(K.layerNorm, 'cpu')!;
    tf.unregisterKernel(K.layerNorm, 'cpu');
    // A LayerNorm that forgets to normalise: runs fine, numbers wrong.
    tf.registerKernel({ kernelName: K.layerNorm, backendName: 'cpu', kernelFunc: ({ inputs, backend }) => {
      const x = inputs.x as tf.TensorInfo;
      const values = (backend as unknown as { data: { get(id: object): { values: Float32Array } } }).data.get(x.dataId).values;
      return (backend as unknown as { makeTensorInfo(s: number[], d: string, v: Float32Array): tf.TensorInfo }).makeTensorInfo(x.shape, 'float32', values.slice());
    } });
    try {
      const reason = await checkFusedKernels();
      expect(reason).toMatch(/failed their check on cpu .*differ.*unfused/);
      expect(fusedOn(K.adamw)).toBe(false);
      expect(fusedOffReason()).toBe(reason);
    } finally {
      tf.unregisterKernel(K.layerNorm, 'cpu');
      tf.registerKernel(good);
      setFused(true);
    }
    expect(await checkFusedKernels()).toBeNull();
  });
});

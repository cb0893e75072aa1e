import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../node/backends.ts';
import { adamwUpdate, clipByGlobalNorm, createAdamState, decaysWeight, disposeAdamState } from './optimizer.ts';

beforeAll(async () => {
  await useNodeBackend('cpu');
});

const hp = { beta1: 0.9, beta2: 0.999, epsilon: 1e-6, weightDecay: 0.1 };

/** Plain-JS AdamW on one scalar, written out from the paper's formulas. */
function adamwScalar(p0: number, gs: number[], lr: number, wd: number): number {
  let p = p0, m = 0, v = 0;
  gs.forEach((g, i) => {
    const t = i + 1;
    m = hp.beta1 * m + (1 - hp.beta1) * g;
    v = hp.beta2 * v + (1 - hp.beta2) * g * g;
    const mHat = m / (1 - hp.beta1 ** t);
    const vHat = v / (1 - hp.beta2 ** t);
    p = p - lr * (mHat / (Math.sqrt(vHat) + hp.epsilon) + wd * p);
  });
  return p;
}

describe('decaysWeight', () => {
  it('exempts biases and LayerNorm parameters, decays kernels and embeddings', () => {
    expect(decaysWeight('layers.0.attn.q.kernel')).toBe(true);
    expect(decaysWeight('layers.1.ffn.w1.kernelA')).toBe(true);
    expect(decaysWeight('emb.tok')).toBe(true);
    expect(decaysWeight('emb.pos')).toBe(true);
    expect(decaysWeight('layers.0.attn.q.bias')).toBe(false);
    expect(decaysWeight('mlm.out.bias')).toBe(false);
    expect(decaysWeight('emb.ln.gamma')).toBe(false);
    expect(decaysWeight('layers.3.ffn.ln.beta')).toBe(false);
    expect(decaysWeight('final.ln.gamma')).toBe(false);
    expect(decaysWeight('mlm.ln.beta')).toBe(false);
  });
});

describe('adamwUpdate', () => {
  it('matches a hand computation over two steps, with bias correction and decoupled decay', () => {
    const params = new Map<string, tf.Variable>([
      ['w.kernel', tf.variable(tf.tensor1d([1, -2]))],
      ['w.bias', tf.variable(tf.tensor1d([1, -2]))],
    ]);
    const state = createAdamState(params);
    const lr = 0.1;
    const g1 = [0.5, -1];
    const g2 = [-0.25, 2];
    const step = (g: number[]) => {
      const grads = new Map([['w.kernel', tf.tensor1d(g)], ['w.bias', tf.tensor1d(g)]]);
      adamwUpdate(params, grads, state, lr, hp);
      tf.dispose([...grads.values()]);
    };

    step(g1);
    // Bias-corrected first step: m̂ = g, v̂ = g², so the Adam direction is sign(g) (up to ε).
    // kernel: 1 − 0.1·(1 + 0.1·1) = 0.89; −2 − 0.1·(−1 + 0.1·(−2)) = −1.88. Bias: no decay.
    expect(state.step).toBe(1);
    const k1 = params.get('w.kernel')!.dataSync();
    expect(k1[0]).toBeCloseTo(0.89, 5);
    expect(k1[1]).toBeCloseTo(-1.88, 5);
    const b1 = params.get('w.bias')!.dataSync();
    expect(b1[0]).toBeCloseTo(0.9, 5);
    expect(b1[1]).toBeCloseTo(-1.9, 5);

    step(g2);
    expect(state.step).toBe(2);
    const k2 = params.get('w.kernel')!.dataSync();
    const b2 = params.get('w.bias')!.dataSync();
    for (let i = 0; i < 2; i++) {
      expect(k2[i]).toBeCloseTo(adamwScalar([1, -2][i], [g1[i], g2[i]], lr, 0.1), 5);
      expect(b2[i]).toBeCloseTo(adamwScalar([1, -2][i], [g1[i], g2[i]], lr, 0), 5);
    }
    // The moments are the raw (uncorrected) running averages.
    const m = state.m.get('w.kernel')!.dataSync();
    expect(m[0]).toBeCloseTo(0.9 * 0.1 * 0.5 + 0.1 * -0.25, 6);
    const v = state.v.get('w.kernel')!.dataSync();
    expect(v[1]).toBeCloseTo(0.999 * 0.001 * 1 + 0.001 * 4, 7);

    disposeAdamState(state);
    tf.dispose([...params.values()]);
  });

  it('leaves parameters without a gradient untouched and leaks no tensors', () => {
    const params = new Map<string, tf.Variable>([
      ['a.kernel', tf.variable(tf.tensor2d([[1, 2], [3, 4]]))],
      ['b.kernel', tf.variable(tf.tensor1d([5, 6]))],
    ]);
    const state = createAdamState(params);
    const grads = new Map([['a.kernel', tf.ones([2, 2])]]);
    const before = tf.memory().numTensors;
    adamwUpdate(params, grads, state, 0.01, hp);
    adamwUpdate(params, grads, state, 0.01, hp);
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(params.get('b.kernel')!.dataSync())).toEqual([5, 6]);
    expect(Array.from(state.m.get('b.kernel')!.dataSync())).toEqual([0, 0]);
    expect(params.get('a.kernel')!.dataSync()[0]).toBeLessThan(1);
    expect(() => adamwUpdate(params, new Map([['c.kernel', tf.ones([1])]]), state, 0.01, hp)).toThrow(/c\.kernel/);
    tf.dispose([...grads.values()]);
    disposeAdamState(state);
    tf.dispose([...params.values()]);
  });
});

describe('clipByGlobalNorm', () => {
  const make = () => new Map<string, tf.Tensor>([['a', tf.tensor1d([3, 4])], ['b', tf.tensor2d([[12]])]]);

  it('computes the global norm over all tensors: sqrt(9 + 16 + 144) = 13', () => {
    tf.tidy(() => {
      const { grads, norm } = clipByGlobalNorm(make(), 0);
      expect(norm.dataSync()[0]).toBeCloseTo(13, 5);
      expect(Array.from(grads.get('a')!.dataSync())).toEqual([3, 4]);
    });
  });

  it('scales by maxNorm / norm when the norm is above maxNorm', () => {
    tf.tidy(() => {
      const { grads, norm } = clipByGlobalNorm(make(), 6.5);
      expect(norm.dataSync()[0]).toBeCloseTo(13, 5);
      const a = grads.get('a')!.dataSync();
      expect(a[0]).toBeCloseTo(1.5, 5);
      expect(a[1]).toBeCloseTo(2, 5);
      expect(grads.get('b')!.dataSync()[0]).toBeCloseTo(6, 5);
      expect(grads.get('b')!.shape).toEqual([1, 1]);
    });
  });

  it('leaves gradients alone when the norm is below maxNorm', () => {
    tf.tidy(() => {
      const { grads } = clipByGlobalNorm(make(), 20);
      const a = grads.get('a')!.dataSync();
      expect(a[0]).toBeCloseTo(3, 5);
      expect(grads.get('b')!.dataSync()[0]).toBeCloseTo(12, 5);
    });
  });

  it('rejects a negative threshold', () => {
    expect(() => clipByGlobalNorm(new Map(), -1)).toThrow(/maxNorm/);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../node/backends.ts';
import { Rng } from '../data/rng.ts';
import { ConfigError } from '../errors.ts';
import type { ModelConfig } from '../model/config.ts';
import type { AdamState } from '../train/optimizer.ts';
import { defactorizeFfn, ffnAxis, growWidth } from './width.ts';

beforeAll(async () => {
  await useNodeBackend('cpu');
});

const cfg = (ffn: number, ffnRank = 0): ModelConfig => ({
  vocabSize: 40, hidden: 2, layers: 1, heads: 1, ffn, ffnRank, maxLen: 8, norm: 'pre', dropout: 0, lnEps: 1e-12,
});

type Values = Record<string, number[] | number[][]>;

function vars(values: Values, trainable = true): Map<string, tf.Variable> {
  return new Map(Object.entries(values).map(([name, v]) => [name, tf.tidy(() => tf.variable(tf.tensor(v), trainable))]));
}

const read = (m: Map<string, tf.Variable>, name: string) => m.get(name)!.arraySync();

function expectClose(got: unknown, want: number[] | number[][], tol = 1e-7): void {
  const g = (got as number[] | number[][]).flat();
  const w = want.flat();
  expect(g).toHaveLength(w.length);
  g.forEach((x, i) => expect(Math.abs(x - w[i])).toBeLessThanOrEqual(tol));
}

function dispose(...maps: (Map<string, tf.Variable> | AdamState | null)[]): void {
  for (const m of maps) {
    if (m === null) continue;
    if (m instanceof Map) for (const t of m.values()) t.dispose();
    else dispose(m.m, m.v);
  }
}

/** d = 2, F = 2, one dense layer plus a parameter without an F axis. */
const DENSE: Values = {
  'emb.ln.gamma': [1, 1],
  'layers.0.ffn.w1.kernel': [[1, 2], [3, 4]],
  'layers.0.ffn.w1.bias': [0.5, -0.5],
  'layers.0.ffn.w2.kernel': [[1, -1], [2, -2]],
  'layers.0.ffn.w2.bias': [0.1, 0.2],
};

const ops = (op: 'share' | 'random', noise = 0, seed = 1) => ({ op, noise, rng: new Rng(seed) });

describe('ffnAxis', () => {
  it('finds the F axis of input- and output-side tensors, dense or factorized', () => {
    expect(ffnAxis('layers.3.ffn.w1.kernel')).toEqual({ side: 'in', axis: 1 });
    expect(ffnAxis('layers.3.ffn.w1.kernelB')).toEqual({ side: 'in', axis: 1 });
    expect(ffnAxis('layers.3.ffn.w1.bias')).toEqual({ side: 'in', axis: 0 });
    expect(ffnAxis('layers.3.ffn.w2.kernel')).toEqual({ side: 'out', axis: 0 });
    expect(ffnAxis('layers.3.ffn.w2.kernelA')).toEqual({ side: 'out', axis: 0 });
    for (const n of ['layers.0.ffn.w1.kernelA', 'layers.0.ffn.w2.kernelB', 'layers.0.ffn.w2.bias', 'layers.0.attn.o.kernel', 'emb.tok']) {
      expect(ffnAxis(n)).toBeNull();
    }
  });
});

describe('growWidth share', () => {
  it('tiles W1 and b1 k times and W2 divided by k (paper eq. 2), b2 and the rest unchanged', () => {
    const p = vars(DENSE);
    const g = growWidth(p, null, cfg(2), cfg(4), ops('share'));
    expect(read(g.params, 'layers.0.ffn.w1.kernel')).toEqual([[1, 2, 1, 2], [3, 4, 3, 4]]);
    expect(read(g.params, 'layers.0.ffn.w1.bias')).toEqual([0.5, -0.5, 0.5, -0.5]);
    expect(read(g.params, 'layers.0.ffn.w2.kernel')).toEqual([[0.5, -0.5], [1, -1], [0.5, -0.5], [1, -1]]);
    expect(read(g.params, 'layers.0.ffn.w2.bias')).toEqual([0.1, 0.2].map(Math.fround));
    expect(read(g.params, 'emb.ln.gamma')).toEqual([1, 1]);
    expect(g.adam).toBeNull();

    const g3 = growWidth(p, null, cfg(2), cfg(6), ops('share'));
    const third = [[1, -1], [2, -2]].map((r) => r.map((x) => Math.fround(x / 3)));
    expect(read(g3.params, 'layers.0.ffn.w2.kernel')).toEqual([...third, ...third, ...third]);
    expect(g3.params.get('layers.0.ffn.w1.kernel')!.shape).toEqual([2, 6]);
    dispose(p, g.params, g3.params);
  });

  it('carries moments by the chain rule: input side m/k and v/k², output side unchanged', () => {
    const p = vars(DENSE);
    const adam: AdamState = {
      step: 7,
      m: vars({
        'emb.ln.gamma': [0.5, 0.25],
        'layers.0.ffn.w1.kernel': [[0.2, 0.4], [0.6, 0.8]],
        'layers.0.ffn.w1.bias': [1, -2],
        'layers.0.ffn.w2.kernel': [[0.3, -0.3], [0.1, 0.2]],
        'layers.0.ffn.w2.bias': [0.05, -0.05],
      }, false),
      v: vars({
        'emb.ln.gamma': [0.25, 0.0625],
        'layers.0.ffn.w1.kernel': [[0.04, 0.16], [0.36, 0.64]],
        'layers.0.ffn.w1.bias': [1, 4],
        'layers.0.ffn.w2.kernel': [[0.09, 0.09], [0.01, 0.04]],
        'layers.0.ffn.w2.bias': [0.0025, 0.0025],
      }, false),
    };
    const g = growWidth(p, adam, cfg(2), cfg(4), ops('share'));
    const a = g.adam!;
    expect(a.step).toBe(7);
    // k = 2. W1, b1: each copy's gradient is the old one / 2, so m/2 and v/4.
    expectClose(read(a.m, 'layers.0.ffn.w1.kernel'), [[0.1, 0.2, 0.1, 0.2], [0.3, 0.4, 0.3, 0.4]]);
    expectClose(read(a.v, 'layers.0.ffn.w1.kernel'), [[0.01, 0.04, 0.01, 0.04], [0.09, 0.16, 0.09, 0.16]]);
    expectClose(read(a.m, 'layers.0.ffn.w1.bias'), [0.5, -1, 0.5, -1]);
    expectClose(read(a.v, 'layers.0.ffn.w1.bias'), [0.25, 1, 0.25, 1]);
    // W2: each copy sees the old activation and the old upstream gradient, so m and v are tiled as is.
    expectClose(read(a.m, 'layers.0.ffn.w2.kernel'), [[0.3, -0.3], [0.1, 0.2], [0.3, -0.3], [0.1, 0.2]]);
    expectClose(read(a.v, 'layers.0.ffn.w2.kernel'), [[0.09, 0.09], [0.01, 0.04], [0.09, 0.09], [0.01, 0.04]]);
    expectClose(read(a.m, 'layers.0.ffn.w2.bias'), [0.05, -0.05]);
    expectClose(read(a.v, 'emb.ln.gamma'), [0.25, 0.0625]);
    expect([...a.m.values()].every((t) => !t.trainable)).toBe(true);
    dispose(p, adam, g.params, g.adam);
  });

  it('splits paired copies (1 ± ε·z)/k so they differ but still sum to W2; an odd copy keeps 1/k', () => {
    const rng = new Rng(5);
    const w2 = Array.from({ length: 4 }, () => Array.from({ length: 3 }, () => rng.normal()));
    const p = vars({ 'layers.0.ffn.w2.kernel': w2 });
    const c3 = { ...cfg(4), hidden: 3 };
    const eps = 0.1;

    const g2 = growWidth(p, null, c3, { ...c3, ffn: 8 }, ops('share', eps));
    const t2 = read(g2.params, 'layers.0.ffn.w2.kernel') as number[][];
    let maxDev = 0;
    for (let f = 0; f < 4; f++) {
      for (let j = 0; j < 3; j++) {
        const [a, b, half] = [t2[f][j], t2[4 + f][j], w2[f][j] / 2];
        expect(Math.abs(a + b - w2[f][j])).toBeLessThan(1e-6);
        expect(Math.abs((a - half) + (b - half))).toBeLessThan(1e-6);
        // |z| < 6 for any Box–Muller draw, so each deviation is at most ε·6·|W2|/2.
        expect(Math.abs(a - half)).toBeLessThanOrEqual(eps * 6 * Math.abs(half) + 1e-7);
        maxDev = Math.max(maxDev, Math.abs(a - half) / Math.abs(half));
      }
    }
    expect(maxDev).toBeGreaterThan(eps / 10);

    const g3 = growWidth(p, null, c3, { ...c3, ffn: 12 }, ops('share', eps));
    const t3 = read(g3.params, 'layers.0.ffn.w2.kernel') as number[][];
    for (let f = 0; f < 4; f++) {
      for (let j = 0; j < 3; j++) {
        expect(t3[8 + f][j]).toBe(Math.fround(Math.fround(w2[f][j]) * Math.fround(1 / 3)));
        expect(Math.abs(t3[f][j] + t3[4 + f][j] + t3[8 + f][j] - w2[f][j])).toBeLessThan(1e-6);
      }
    }
    expect(t3[0][0]).not.toBe(t3[4][0]);
    dispose(p, g2.params, g3.params);
  });

  it('rejects a non-integral factor, a non-growing F, a rank change and bad noise', () => {
    const p = vars(DENSE);
    expect(() => growWidth(p, null, cfg(2), cfg(3), ops('share'))).toThrow(/integer factor.*3 \/ 2/);
    expect(() => growWidth(p, null, cfg(2), cfg(2), ops('share'))).toThrow(ConfigError);
    expect(() => growWidth(p, null, cfg(2), cfg(4, 1), ops('share'))).toThrow(ConfigError);
    expect(() => growWidth(p, null, cfg(2), cfg(4), ops('share', 1))).toThrow(/widthNoise/);
    dispose(p);
  });
});

describe('growWidth random', () => {
  it('keeps the old units, adds BERT-initialised weights, zero b1 entries and zero moments', () => {
    const p = vars(DENSE);
    const adam: AdamState = { step: 3, m: vars(DENSE, false), v: vars(DENSE, false) };
    const g = growWidth(p, adam, cfg(2), cfg(3), ops('random'));
    const w1 = read(g.params, 'layers.0.ffn.w1.kernel') as number[][];
    const w2 = read(g.params, 'layers.0.ffn.w2.kernel') as number[][];
    expect(w1.map((r) => r.slice(0, 2))).toEqual(DENSE['layers.0.ffn.w1.kernel']);
    expect(w2.slice(0, 2)).toEqual(DENSE['layers.0.ffn.w2.kernel']);
    const fresh = [w1[0][2], w1[1][2], ...w2[2]];
    // BERT init: N(0, 0.02) truncated at two standard deviations.
    for (const x of fresh) {
      expect(x).not.toBe(0);
      expect(Math.abs(x)).toBeLessThanOrEqual(0.04);
    }
    expect(read(g.params, 'layers.0.ffn.w1.bias')).toEqual([0.5, -0.5, 0]);
    expect(read(g.params, 'layers.0.ffn.w2.bias')).toEqual([0.1, 0.2].map(Math.fround));
    expect(read(g.adam!.m, 'layers.0.ffn.w1.kernel')).toEqual([[1, 2, 0], [3, 4, 0]]);
    expect(read(g.adam!.v, 'layers.0.ffn.w2.kernel')).toEqual([[1, -1], [2, -2], [0, 0]]);

    const again = growWidth(p, null, cfg(2), cfg(3), ops('random'));
    expect(read(again.params, 'layers.0.ffn.w2.kernel')).toEqual(w2);
    dispose(p, adam, g.params, g.adam, again.params);
  });
});

describe('defactorizeFfn', () => {
  it('replaces A and B by the dense product and gives the dense kernels zero moments', () => {
    const fact: Values = {
      'layers.0.ffn.w1.kernelA': [[1], [2]],
      'layers.0.ffn.w1.kernelB': [[1, 0, -1]],
      'layers.0.ffn.w1.bias': [1, 2, 3],
      'layers.0.ffn.w2.kernelA': [[1], [0], [2]],
      'layers.0.ffn.w2.kernelB': [[0.5, -1]],
      'layers.0.ffn.w2.bias': [0.1, 0.2],
    };
    const p = vars(fact);
    const adam: AdamState = { step: 2, m: vars(fact, false), v: vars(fact, false) };
    const g = defactorizeFfn(p, adam, cfg(3, 1), cfg(3, 0));
    expect([...g.params.keys()].sort()).toEqual(['layers.0.ffn.w1.bias', 'layers.0.ffn.w1.kernel', 'layers.0.ffn.w2.bias', 'layers.0.ffn.w2.kernel']);
    expect(read(g.params, 'layers.0.ffn.w1.kernel')).toEqual([[1, 0, -1], [2, 0, -2]]);
    expect(read(g.params, 'layers.0.ffn.w2.kernel')).toEqual([[0.5, -1], [0, 0], [1, -2]]);
    expect(read(g.adam!.m, 'layers.0.ffn.w1.kernel')).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect(read(g.adam!.v, 'layers.0.ffn.w2.kernel')).toEqual([[0, 0], [0, 0], [0, 0]]);
    expect(read(g.adam!.m, 'layers.0.ffn.w1.bias')).toEqual([1, 2, 3]);
    expect([...g.adam!.m.keys()].sort()).toEqual([...g.params.keys()].sort());
    expect(() => defactorizeFfn(p, null, cfg(3, 0), cfg(3, 0))).toThrow(ConfigError);
    dispose(p, adam, g.params, g.adam);
  });
});

describe('width growth ownership', () => {
  it('does not change the inputs, returns independent variables and leaks nothing', () => {
    const before = tf.memory().numTensors;
    const p = vars(DENSE);
    const adam: AdamState = { step: 1, m: vars(DENSE, false), v: vars(DENSE, false) };
    const snapshot = (m: Map<string, tf.Variable>) => [...m].map(([name, t]) => [name, t.arraySync()]);
    const [p0, m0, v0] = [snapshot(p), snapshot(adam.m), snapshot(adam.v)];
    const grown = [
      growWidth(p, adam, cfg(2), cfg(4), ops('share', 0.1)),
      growWidth(p, adam, cfg(2), cfg(3), ops('random')),
    ];
    expect([snapshot(p), snapshot(adam.m), snapshot(adam.v)]).toEqual([p0, m0, v0]);
    expect(adam.step).toBe(1);
    const copy = grown[0].params.get('emb.ln.gamma')!;
    expect(copy).not.toBe(p.get('emb.ln.gamma'));
    tf.tidy(() => copy.assign(tf.tensor1d([7, 7])));
    expect(read(p, 'emb.ln.gamma')).toEqual([1, 1]);
    dispose(p, adam, ...grown.flatMap((g) => [g.params, g.adam]));
    expect(tf.memory().numTensors).toBe(before);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../node/backends.ts';
import { Rng } from '../data/rng.ts';
import { ConfigError } from '../errors.ts';
import type { ModelConfig } from '../model/config.ts';
import { disposeParams, initParams, type Params } from '../model/params.ts';
import { paramShapes } from '../model/shapes.ts';
import type { AdamState } from '../train/optimizer.ts';
import type { GrowthOps, StageShape } from '../schedule/spec.ts';
import { growModel } from './grow.ts';
import { GROWTH_OPERATORS, growthOperator, growthOpsApplied, hiddenOpsApplied } from './registry.ts';
import { growthCheck } from './check.ts';
import { handBatch } from '../data/hand-batch.ts';
import { trainedLike } from './model.test-helper.ts';

beforeAll(async () => {
  await useNodeBackend('cpu');
});

const base: ModelConfig = {
  vocabSize: 40, hidden: 8, layers: 2, heads: 2, ffn: 8, ffnRank: 0, maxLen: 8, norm: 'pre', dropout: 0.1, lnEps: 1e-12,
};
const stackShare: GrowthOps = { depth: 'stack', width: 'share', widthNoise: 0 };

type Mat = number[][];
const mm = (a: Mat, b: Mat): Mat => a.map((r) => b[0].map((_, j) => r.reduce((s, x, k) => s + x * b[k][j], 0)));
const get = (p: Map<string, tf.Variable>, name: string) => p.get(name)!.arraySync() as Mat;

function expectClose(got: Mat, want: Mat, tol: number): void {
  expect(got.length).toBe(want.length);
  got.forEach((r, i) => r.forEach((x, j) => expect(Math.abs(x - want[i][j])).toBeLessThanOrEqual(tol)));
}

/** Random (not zero) moments, so carried values can be told from fresh ones. */
function randomAdam(params: Params, seed: number): AdamState {
  const rng = new Rng(seed);
  const make = (p: tf.Variable, sq: boolean) =>
    tf.tidy(() => tf.variable(tf.tensor(Float32Array.from({ length: p.size }, () => (sq ? rng.next() : rng.normal())), p.shape), false));
  const m = new Map<string, tf.Variable>();
  const v = new Map<string, tf.Variable>();
  for (const [name, p] of params) {
    m.set(name, make(p, false));
    v.set(name, make(p, true));
  }
  return { step: 5, m, v };
}

function disposeAll(...states: (Params | AdamState | null)[]): void {
  for (const s of states) {
    if (s === null) continue;
    if (s instanceof Map) disposeParams(s);
    else [...s.m.values(), ...s.v.values()].forEach((t) => t.dispose());
  }
}

describe('growModel', () => {
  it('composes factorized → dense, share and stack in one event (L2 F8 r2 → L4 F16 dense)', () => {
    const from = { ...base, ffnRank: 2 };
    const to = { ...base, layers: 4, ffn: 16 };
    const params = initParams(from, 1);
    const adam = randomAdam(params, 2);
    const g = growModel(params, adam, from, to, stackShare, new Rng(3));
    expect(g.params.get('layers.3.ffn.w1.kernel')!.shape).toEqual([8, 16]);
    expect(g.params.get('layers.3.ffn.w2.kernel')!.shape).toEqual([16, 8]);
    expect([...g.params.keys()].some((n) => n.includes('kernelA') || n.includes('kernelB'))).toBe(false);
    expect(g.params.size).toBe(11 + 4 * 16);

    // Layer 3 stacks old layer 1: W1 = tile(A·B, 2 along F), W2 = tile(A·B, 2 along F) / 2.
    const w1 = mm(get(params, 'layers.1.ffn.w1.kernelA'), get(params, 'layers.1.ffn.w1.kernelB'));
    const w2 = mm(get(params, 'layers.1.ffn.w2.kernelA'), get(params, 'layers.1.ffn.w2.kernelB'));
    expectClose(get(g.params, 'layers.3.ffn.w1.kernel'), w1.map((r) => [...r, ...r]), 1e-7);
    expectClose(get(g.params, 'layers.3.ffn.w2.kernel'), [...w2, ...w2].map((r) => r.map((x) => x / 2)), 1e-7);

    // Moments: dense kernels start at zero; b1 of old layer 1, tiled and /2 (m) or /4 (v).
    const a = g.adam!;
    expect(a.step).toBe(5);
    expect((a.m.get('layers.3.ffn.w1.kernel')!.dataSync() as Float32Array).every((x) => x === 0)).toBe(true);
    const mb = Array.from(adam.m.get('layers.1.ffn.w1.bias')!.dataSync());
    const vb = Array.from(adam.v.get('layers.1.ffn.w1.bias')!.dataSync());
    expectClose([Array.from(a.m.get('layers.3.ffn.w1.bias')!.dataSync())], [[...mb, ...mb].map((x) => x / 2)], 1e-7);
    expectClose([Array.from(a.v.get('layers.3.ffn.w1.bias')!.dataSync())], [[...vb, ...vb].map((x) => x / 4)], 1e-7);
    expectClose(get(a.m, 'layers.2.attn.q.kernel'), get(adam.m, 'layers.0.attn.q.kernel'), 0);
    expect([...a.m.keys()]).toEqual([...g.params.keys()]);
    disposeAll(params, adam, g.params, g.adam);
  });

  it('composes factorized → dense, hidden.tile, heads.add, share and identity depth, preserving (pre-LN)', async () => {
    // d 8 (2 heads of 4) → d 32 (4 heads of 8): head dimension ×2 by tile, then heads ×2 by add.
    const from = { ...base, ffnRank: 2, dropout: 0 };
    const to = { ...base, hidden: 32, heads: 4, ffn: 16, layers: 3, dropout: 0 };
    const params = trainedLike(from, 11);
    const adam = randomAdam(params, 12);
    const ops: GrowthOps = { depth: 'identity', width: 'share', widthNoise: 0.05 };
    const before = tf.memory().numTensors;
    const g = growModel(params, adam, from, to, ops, new Rng(13));
    for (const [name, shape] of paramShapes(to)) expect(g.params.get(name)!.shape, name).toEqual(shape);
    expect([...g.params.keys()]).toEqual([...paramShapes(to).keys()]);
    expect([...g.adam!.m.keys()]).toEqual([...g.params.keys()]);
    const r = await growthCheck({ params, cfg: from }, { params: g.params, cfg: to }, handBatch());
    expect(r.maxAbsLogitDiff).toBeLessThan(1e-5);
    disposeAll(g.params, g.adam);
    // Every intermediate of the five steps was freed.
    expect(tf.memory().numTensors).toBe(before);
    disposeAll(params, adam);
  });

  it('returns null moments for the fresh policy and independent copies when no weight changes', () => {
    const params = initParams(base, 4);
    const g = growModel(params, null, base, { ...base, dropout: 0 }, stackShare, new Rng(1));
    expect(g.adam).toBeNull();
    const name = 'mlm.dense.bias';
    expect(g.params.get(name)).not.toBe(params.get(name));
    expect(Array.from(g.params.get(name)!.dataSync())).toEqual(Array.from(params.get(name)!.dataSync()));
    tf.tidy(() => g.params.get(name)!.assign(tf.ones([8])));
    expect(Array.from(params.get(name)!.dataSync())).toEqual(new Array(8).fill(0));
    disposeAll(params, g.params);
  });

  it('rejects shrinking, unchangeable fields, rank changes and non-integral share factors, leaking nothing', () => {
    const params = initParams({ ...base, ffnRank: 2 }, 5);
    const fromF = { ...base, ffnRank: 2 };
    const before = tf.memory().numTensors;
    const attempt = (to: Partial<ModelConfig>, ops = stackShare) => () => growModel(params, null, fromF, { ...fromF, ...to }, ops, new Rng(1));
    expect(attempt({ layers: 1 })).toThrow(/layers.*remove/);
    expect(attempt({ ffn: 4, ffnRank: 0 })).toThrow(/ffn.*shrink/);
    expect(attempt({ hidden: 4 })).toThrow(/hidden: growth cannot shrink the hidden size/);
    expect(attempt({ heads: 1 })).toThrow(/heads: growth cannot remove heads/);
    expect(attempt({ hidden: 12, heads: 8 })).toThrow(/heads: hidden size 12 must be divisible by heads 8/);
    expect(attempt({ heads: 4 })).toThrow(/heads: 2 → 4 heads at hidden 8 would shrink the head dimension 4 → 2 \(heads\.split.*grow hidden to at least 16/);
    expect(attempt({ hidden: 12 })).toThrow(/hidden: hidden\.tile needs .*integer factor/);
    expect(attempt({ hidden: 12, heads: 3 })).toThrow(/heads: heads\.add grows the heads by an integer factor/);
    expect(attempt({ hidden: 16 }, { ...stackShare, hidden: 'nope' as 'tile' })).toThrow(/ops\.hidden/);
    expect(attempt({ norm: 'post' })).toThrow(ConfigError);
    expect(attempt({ vocabSize: 50 })).toThrow(ConfigError);
    expect(attempt({ ffnRank: 3 })).toThrow(/ffnRank/);
    // Fails in the width step, after factorized → dense already ran: the intermediate is freed.
    expect(attempt({ ffn: 12, ffnRank: 0 })).toThrow(/integer factor/);
    expect(tf.memory().numTensors).toBe(before);
    const dense = initParams(base, 6);
    expect(() => growModel(dense, null, base, { ...base, ffnRank: 2 }, stackShare, new Rng(1))).toThrow(/ffnRank/);
    expect(() => growModel(dense, null, { ...base, layers: 3 }, { ...base, layers: 4 }, stackShare, new Rng(1))).toThrow(/missing/);
    disposeAll(params, dense);
  });

  it('leaves the inputs untouched; old and new maps disposed brings memory back to the baseline', () => {
    const before = tf.memory().numTensors;
    const params = initParams(base, 7);
    const adam = randomAdam(params, 8);
    const snap = (m: Map<string, tf.Variable>) => [...m].map(([n, t]) => [n, Array.from(t.dataSync())]);
    const [p0, m0, v0] = [snap(params), snap(adam.m), snap(adam.v)];
    const ops: GrowthOps = { depth: 'identity', width: 'share', widthNoise: 0.05 };
    const g = growModel(params, adam, base, { ...base, layers: 3, ffn: 24 }, ops, new Rng(9));
    expect([snap(params), snap(adam.m), snap(adam.v), adam.step]).toEqual([p0, m0, v0, 5]);
    disposeAll(params, adam, g.params, g.adam);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('registry', () => {
  it('lists every operator once with its claim, and names the valid ids on a bad lookup', () => {
    const ids = GROWTH_OPERATORS.map((o) => o.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual([
      'depth.identity', 'depth.interleave', 'depth.random', 'depth.stack', 'heads.add', 'hidden.aki', 'hidden.fpi', 'hidden.random',
      'hidden.tile', 'length.pool', 'length.truncate', 'width.factorize', 'width.random', 'width.share',
      // MSG variants (growth/msg.ts).
      'depth.identity+msg', 'depth.interleave+msg', 'depth.random+msg', 'depth.stack+msg', 'heads.add+msg', 'width.random+msg', 'width.share+msg',
      'hidden.aki+msg', 'hidden.fpi+msg', 'hidden.random+msg', 'hidden.tile+msg',
      // LiGO (growth/ligo.ts): one operator for the whole growth event.
      'ligo',
    ].sort());
    expect(growthOperator('hidden.tile').preserving).toBe('always');
    expect(growthOperator('heads.add').preserving).toBe('always');
    expect(growthOperator('hidden.random').preserving).toBe('never');
    // Uneven copy counts change LayerNorm's statistics (growth/bert2bert.ts): no exact claim.
    expect(growthOperator('hidden.fpi').preserving).toBe('never');
    expect(growthOperator('hidden.aki').preserving).toBe('never');
    for (const o of GROWTH_OPERATORS) expect(o.dimension === 'all' ? o.id === 'ligo' : o.id.startsWith(`${o.dimension}.`)).toBe(true);
    expect(growthOperator('depth.identity').preserving).toBe('pre-ln-only');
    expect(growthOperator('width.share').preserving).toBe('always');
    expect(growthOperator('depth.stack').preserving).toBe('never');
    expect(() => growthOperator('depth.nope')).toThrow(ConfigError);
    expect(() => growthOperator('depth.nope')).toThrow(/depth\.stack.*width\.share.*length\.pool/);
  });

  it('growthOpsApplied names each dimension that changes, in growth order', () => {
    const shape = (s: Partial<StageShape>): StageShape => ({ layers: 2, ffnDiv: 1, ffnRank: 0, length: 'full', lengthFactor: 1, poolReduce: 'mean', ...s });
    const ids = (a: Partial<StageShape>, b: Partial<StageShape>, ops = stackShare) => growthOpsApplied(shape(a), shape(b), ops, { ...base, layers: 2 }).map((o) => o.id);
    expect(ids({ layers: 1, ffnDiv: 2, length: 'pool', lengthFactor: 2 }, { layers: 2 })).toEqual(['width.share', 'depth.stack', 'length.pool']);
    expect(ids({ ffnRank: 4 }, {})).toEqual(['width.factorize']);
    expect(ids({ ffnRank: 4, ffnDiv: 2 }, {}, { ...stackShare, width: 'random' })).toEqual(['width.factorize', 'width.random']);
    expect(ids({ layers: 1 }, {}, { ...stackShare, depth: 'interleave' })).toEqual(['depth.interleave']);
    expect(ids({ length: 'truncate', lengthFactor: 4 }, { length: 'truncate', lengthFactor: 2 })).toEqual(['length.truncate']);
    expect(ids({ length: 'truncate', lengthFactor: 2 }, { length: 'pool', lengthFactor: 2 })).toEqual(['length.truncate', 'length.pool']);
    expect(ids({ length: 'pool', lengthFactor: 4 }, { length: 'pool', lengthFactor: 2 })).toEqual(['length.pool']);
    expect(ids({}, {})).toEqual([]);
    // d and heads come right after defactorization, before FFN width and depth.
    expect(ids({ ffnRank: 4, hiddenDiv: 4, headsDiv: 2, layers: 1, ffnDiv: 2 }, {})).toEqual(['width.factorize', 'hidden.tile', 'heads.add', 'width.share', 'depth.stack']);
    expect(ids({ hiddenDiv: 2 }, {}, { ...stackShare, hidden: 'random' })).toEqual(['hidden.random']);
    expect(ids({ hiddenDiv: 2, headsDiv: 2 }, { headsDiv: 1 })).toEqual(['heads.add']);
    // Absent divisors are 1: an old shape and one naming 1 explicitly grow nothing.
    expect(ids({ hiddenDiv: 1, headsDiv: 1 }, {})).toEqual([]);
  });

  it('hiddenOpsApplied names the head-dimension step, then heads.add', () => {
    const ids = (a: Partial<ModelConfig>, b: Partial<ModelConfig>, ops: GrowthOps = stackShare) =>
      hiddenOpsApplied({ ...base, ...a }, { ...base, ...b }, ops).map((o) => o.id);
    expect(ids({}, { hidden: 16 })).toEqual(['hidden.tile']);
    expect(ids({}, { hidden: 16 }, { ...stackShare, hidden: 'random' })).toEqual(['hidden.random']);
    expect(ids({}, { hidden: 32, heads: 4 }, { ...stackShare, hidden: 'fpi' })).toEqual(['hidden.fpi', 'heads.add']);
    expect(ids({}, { hidden: 12 }, { ...stackShare, hidden: 'aki' })).toEqual(['hidden.aki']);
    expect(ids({}, { hidden: 16, heads: 4 })).toEqual(['heads.add']);
    expect(ids({}, { hidden: 32, heads: 4 })).toEqual(['hidden.tile', 'heads.add']);
    expect(ids({}, { layers: 4 })).toEqual([]);
    // Under MSG both steps are masked.
    expect(ids({}, { hidden: 32, heads: 4 }, { ...stackShare, hidden: 'aki', msgRamp: 3 })).toEqual(['hidden.aki+msg', 'heads.add+msg']);
  });
});

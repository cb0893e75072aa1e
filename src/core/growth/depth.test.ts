import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../node/backends.ts';
import { Rng } from '../data/rng.ts';
import { ConfigError } from '../errors.ts';
import type { ModelConfig } from '../model/config.ts';
import { disposeParams, initParams, type Params } from '../model/params.ts';
import type { AdamState } from '../train/optimizer.ts';
import type { DepthOp } from '../schedule/spec.ts';
import { depthSources, growDepth } from './depth.ts';

beforeAll(async () => {
  await useNodeBackend('cpu');
});

const base: ModelConfig = {
  vocabSize: 40, hidden: 8, layers: 2, heads: 2, ffn: 16, ffnRank: 0, maxLen: 8, norm: 'pre', dropout: 0, lnEps: 1e-12,
};
const deeper = (cfg: ModelConfig, layers: number): ModelConfig => ({ ...cfg, layers });

const LAYER_SUFFIXES = [
  'attn.q.kernel', 'attn.q.bias', 'attn.k.kernel', 'attn.k.bias', 'attn.v.kernel', 'attn.v.bias', 'attn.o.kernel', 'attn.o.bias',
  'attn.ln.gamma', 'attn.ln.beta', 'ffn.w1.kernel', 'ffn.w1.bias', 'ffn.w2.kernel', 'ffn.w2.bias', 'ffn.ln.gamma', 'ffn.ln.beta',
];
const OTHER = ['emb.tok', 'emb.pos', 'emb.ln.gamma', 'emb.ln.beta', 'final.ln.gamma', 'final.ln.beta', 'mlm.dense.kernel', 'mlm.dense.bias', 'mlm.ln.gamma', 'mlm.ln.beta', 'mlm.out.bias'];

const flat = (t: tf.Tensor) => Array.from(t.dataSync());

/** Moments whose every entry is a per-parameter tag, so a copied moment is recognisable. */
function taggedAdam(params: Params): AdamState {
  const m = new Map<string, tf.Variable>();
  const v = new Map<string, tf.Variable>();
  [...params].forEach(([name, p], i) => {
    m.set(name, tf.tidy(() => tf.variable(tf.fill(p.shape, i + 1), false)));
    v.set(name, tf.tidy(() => tf.variable(tf.fill(p.shape, (i + 1) * 1000), false)));
  });
  return { step: 11, m, v };
}

function disposeAll(...states: (Params | AdamState | null)[]): void {
  for (const s of states) {
    if (s === null) continue;
    if (s instanceof Map) disposeParams(s);
    else [...s.m.values(), ...s.v.values()].forEach((t) => t.dispose());
  }
}

const grow = (params: Params, adam: AdamState | null, from: ModelConfig, layers: number, op: DepthOp, seed = 1) =>
  growDepth(params, adam, from, deeper(from, layers), { op, rng: new Rng(seed) });

describe('depthSources', () => {
  it('stack repeats the whole stack, interleave duplicates in place, identity/random append', () => {
    expect(depthSources('stack', 2, 4)).toEqual([0, 1, 0, 1]);
    expect(depthSources('stack', 2, 3)).toEqual([0, 1, 0]);
    expect(depthSources('stack', 3, 8)).toEqual([0, 1, 2, 0, 1, 2, 0, 1]);
    expect(depthSources('interleave', 2, 4)).toEqual([0, 0, 1, 1]);
    expect(depthSources('interleave', 2, 6)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(depthSources('interleave', 2, 3)).toEqual([0, 0, 1]);
    expect(depthSources('interleave', 3, 4)).toEqual([0, 0, 1, 2]);
    expect(depthSources('identity', 2, 4)).toEqual([0, 1, null, null]);
    expect(depthSources('random', 1, 2)).toEqual([0, null]);
  });
});

describe('growDepth', () => {
  it('stack: new layer 2 equals old 0, 3 equals old 1, with their moments; names and shapes of the deeper model', () => {
    const params = initParams(base, 3);
    const adam = taggedAdam(params);
    const g = grow(params, adam, base, 4, 'stack');
    const names = [...OTHER, ...[0, 1, 2, 3].flatMap((i) => LAYER_SUFFIXES.map((s) => `layers.${i}.${s}`))];
    expect([...g.params.keys()].sort()).toEqual(names.sort());
    expect([...g.adam!.m.keys()].sort()).toEqual(names.sort());
    expect(g.params.get('layers.3.ffn.w1.kernel')!.shape).toEqual([8, 16]);
    expect(g.params.get('layers.3.attn.o.bias')!.shape).toEqual([8]);
    const tag = (name: string) => [...params.keys()].indexOf(name) + 1;
    for (const [j, src] of [[0, 0], [1, 1], [2, 0], [3, 1]]) {
      for (const s of LAYER_SUFFIXES) {
        expect(flat(g.params.get(`layers.${j}.${s}`)!)).toEqual(flat(params.get(`layers.${src}.${s}`)!));
        expect(g.adam!.m.get(`layers.${j}.${s}`)!.dataSync()[0]).toBe(tag(`layers.${src}.${s}`));
        expect(g.adam!.v.get(`layers.${j}.${s}`)!.dataSync()[0]).toBe(tag(`layers.${src}.${s}`) * 1000);
      }
    }
    for (const n of OTHER) expect(flat(g.params.get(n)!)).toEqual(flat(params.get(n)!));
    expect(g.adam!.step).toBe(11);
    // The old layers really differ, so the equalities above identify the source.
    expect(flat(params.get('layers.0.attn.q.kernel')!)).not.toEqual(flat(params.get('layers.1.attn.q.kernel')!));
    disposeAll(params, adam, g.params, g.adam);
  });

  it('interleave: [0, 0, 1, 1], and [0, 0, 1] for 2 → 3', () => {
    const params = initParams(base, 4);
    const g4 = grow(params, null, base, 4, 'interleave');
    const g3 = grow(params, null, base, 3, 'interleave');
    const q = (p: Params, i: number) => flat(p.get(`layers.${i}.attn.q.kernel`)!);
    expect([0, 1, 2, 3].map((i) => q(g4.params, i))).toEqual([0, 0, 1, 1].map((i) => q(params, i)));
    expect([0, 1, 2].map((i) => q(g3.params, i))).toEqual([0, 0, 1].map((i) => q(params, i)));
    expect(g4.adam).toBeNull();
    disposeAll(params, g4.params, g3.params);
  });

  it('identity: new layers on top with zero output projections, fresh other weights, zero moments', () => {
    const params = initParams(base, 5);
    const adam = taggedAdam(params);
    const g = grow(params, adam, base, 4, 'identity');
    for (const i of [0, 1]) {
      for (const s of LAYER_SUFFIXES) expect(flat(g.params.get(`layers.${i}.${s}`)!)).toEqual(flat(params.get(`layers.${i}.${s}`)!));
    }
    for (const i of [2, 3]) {
      for (const s of ['attn.o.kernel', 'attn.o.bias', 'ffn.w2.kernel', 'ffn.w2.bias']) {
        expect(flat(g.params.get(`layers.${i}.${s}`)!).every((x) => x === 0)).toBe(true);
      }
      const q = flat(g.params.get(`layers.${i}.attn.q.kernel`)!);
      expect(q.some((x) => x !== 0)).toBe(true);
      expect(q).not.toEqual(flat(params.get('layers.0.attn.q.kernel')!));
      expect(q).not.toEqual(flat(params.get('layers.1.attn.q.kernel')!));
      expect(flat(g.params.get(`layers.${i}.attn.ln.gamma`)!)).toEqual(new Array(8).fill(1));
      for (const s of LAYER_SUFFIXES) {
        expect(flat(g.adam!.m.get(`layers.${i}.${s}`)!).every((x) => x === 0)).toBe(true);
        expect(flat(g.adam!.v.get(`layers.${i}.${s}`)!).every((x) => x === 0)).toBe(true);
      }
    }
    expect(flat(g.params.get('layers.2.attn.q.kernel')!)).not.toEqual(flat(g.params.get('layers.3.attn.q.kernel')!));
    disposeAll(params, adam, g.params, g.adam);
  });

  it('identity with a factorized FFN zeroes only W2\'s B factor, so A still gets gradients', () => {
    const cfg = { ...base, ffnRank: 2 };
    const params = initParams(cfg, 6);
    const g = grow(params, null, cfg, 3, 'identity');
    expect(flat(g.params.get('layers.2.ffn.w2.kernelB')!).every((x) => x === 0)).toBe(true);
    expect(flat(g.params.get('layers.2.ffn.w2.kernelA')!).some((x) => x !== 0)).toBe(true);
    expect(g.params.get('layers.2.ffn.w2.kernelA')!.shape).toEqual([16, 2]);
    disposeAll(params, g.params);
  });

  it('random: new layers are BERT-initialised (truncated N(0, 0.02)), differ from each other, same seed same weights', () => {
    const params = initParams(base, 7);
    const g = grow(params, null, base, 4, 'random', 9);
    const again = grow(params, null, base, 4, 'random', 9);
    const other = grow(params, null, base, 4, 'random', 10);
    const o2 = flat(g.params.get('layers.2.attn.o.kernel')!);
    expect(o2.some((x) => x !== 0)).toBe(true);
    expect(o2.every((x) => Math.abs(x) <= 0.04)).toBe(true);
    expect(o2).not.toEqual(flat(g.params.get('layers.3.attn.o.kernel')!));
    expect(flat(g.params.get('layers.2.ffn.w2.bias')!).every((x) => x === 0)).toBe(true);
    expect(flat(again.params.get('layers.3.ffn.w1.kernel')!)).toEqual(flat(g.params.get('layers.3.ffn.w1.kernel')!));
    expect(flat(other.params.get('layers.3.ffn.w1.kernel')!)).not.toEqual(flat(g.params.get('layers.3.ffn.w1.kernel')!));
    disposeAll(params, g.params, again.params, other.params);
  });

  it('rejects a depth that does not grow and an unknown operator, leaking nothing', () => {
    const params = initParams(base, 8);
    const before = tf.memory().numTensors;
    expect(() => grow(params, null, base, 2, 'stack')).toThrow(ConfigError);
    expect(() => grow(params, null, base, 4, 'bogus' as DepthOp)).toThrow(/ops\.depth.*stack, interleave, identity, random/);
    expect(tf.memory().numTensors).toBe(before);
    disposeAll(params);
  });

  it('leaves the inputs untouched and leaks nothing once both models are disposed', () => {
    const before = tf.memory().numTensors;
    const params = initParams(base, 9);
    const adam = taggedAdam(params);
    const snap = (m: Map<string, tf.Variable>) => [...m].map(([n, t]) => [n, flat(t)]);
    const [p0, m0] = [snap(params), snap(adam.m)];
    const grown = (['stack', 'interleave', 'identity', 'random'] as const).map((op) => grow(params, adam, base, 3, op));
    expect([snap(params), snap(adam.m), adam.step]).toEqual([p0, m0, 11]);
    disposeAll(params, adam, ...grown.flatMap((g) => [g.params, g.adam]));
    expect(tf.memory().numTensors).toBe(before);
  });
});

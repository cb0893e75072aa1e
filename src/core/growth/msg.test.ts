import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../node/backends.ts';
import { handBatch } from '../data/hand-batch.ts';
import { Rng } from '../data/rng.ts';
import { ConfigError } from '../errors.ts';
import type { ModelConfig } from '../model/config.ts';
import { encode, mlmForward, mlmLoss } from '../model/forward.ts';
import { attention, keyBias, maskedLayerNorm } from '../model/layers.ts';
import type { GrowthMask } from '../model/growth-mask.ts';
import { makePoolPlan } from '../model/pool-plan.ts';
import { paramShapes } from '../model/shapes.ts';
import { setFused } from '../kernels/ops.ts';
import { DEPTH_OP_NAMES, type GrowthOps } from '../schedule/spec.ts';
import { growthCheck } from './check.ts';
import { growModel } from './grow.ts';
import { disposeAll, gradients, normAndFfnVariants, randomAdam, trainedLike, TWO_HEADS_OF_4 } from './model.test-helper.ts';
import { dRoles, type DRole } from './d-axes.ts';
import { growHidden, hiddenNewUnits } from './hidden.ts';
import { msgMaskAt, msgRampValue, msgStructure } from './msg.ts';
import { GROWTH_OPERATORS, MSG_LEFT_OUT, growthOperator, growthOpsApplied } from './registry.ts';

beforeAll(async () => {
  await useNodeBackend('cpu');
});

const base = TWO_HEADS_OF_4;
const probe = handBatch();
const msgOps = (o: Partial<GrowthOps> = {}): GrowthOps => ({ depth: 'stack', width: 'share', widthNoise: 0.05, msgRamp: 4, ...o });
const grow = (from: ModelConfig, to: ModelConfig, ops: GrowthOps, seed = 1) => {
  const params = trainedLike(from, seed);
  const grown = growModel(params, null, from, to, ops, new Rng(seed + 7));
  return { params, grown: grown.params };
};
const maskAt = (from: ModelConfig, to: ModelConfig, ops: GrowthOps, value: number): GrowthMask => ({ ...msgStructure(from, to, ops)!, value });
const arr = (t: tf.Tensor) => Array.from(t.dataSync());
const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i])));

/** The growth event of each MSG variant on the 2-head test model. */
const EVENTS: [string, (from: ModelConfig) => ModelConfig, Partial<GrowthOps>][] = [
  ...DEPTH_OP_NAMES.map((depth): [string, (f: ModelConfig) => ModelConfig, Partial<GrowthOps>] => [`depth.${depth}+msg`, (f) => ({ ...f, layers: 4 }), { depth }]),
  ['width.share+msg', (f) => ({ ...f, ffn: 16 }), { width: 'share' }],
  ['width.random+msg', (f) => ({ ...f, ffn: 24 }), { width: 'random' }],
  ['heads.add+msg', (f) => ({ ...f, heads: 4, hidden: 16 }), {}],
  ['compound (depth, FFN, heads)', (f) => ({ ...f, layers: 3, ffn: 16, heads: 4, hidden: 16 }), { depth: 'interleave' }],
  // d_h 4 → 8 (tile needs an integer factor) or 4 → 12 at 2 heads.
  ['hidden.tile+msg', (f) => ({ ...f, hidden: 16 }), { hidden: 'tile' }],
  ['hidden.fpi+msg', (f) => ({ ...f, hidden: 24 }), { hidden: 'fpi' }],
  ['hidden.aki+msg', (f) => ({ ...f, hidden: 24 }), { hidden: 'aki' }],
  ['hidden.random+msg', (f) => ({ ...f, hidden: 24 }), { hidden: 'random' }],
  ['compound (d, depth, FFN)', (f) => ({ ...f, layers: 3, ffn: 16, hidden: 16 }), { depth: 'interleave', hidden: 'tile' }],
  ['compound (d_h, heads, depth, FFN)', (f) => ({ ...f, layers: 4, ffn: 24, heads: 4, hidden: 32 }), { depth: 'random', width: 'random', hidden: 'fpi' }],
  ['compound (d_h, heads) random', (f) => ({ ...f, heads: 4, hidden: 24 }), { hidden: 'random' }],
];

describe('MSG ramp', () => {
  it('ramps linearly from 0 and leaves the model at the ramp length', () => {
    // ramp 4: m = t/4 at steps 0..3, then no mask.
    expect([0, 1, 2, 3, 4, 5, 100].map((t) => msgRampValue(t, 4))).toEqual([0, 0.25, 0.5, 0.75, null, null, null]);
    expect([0, 1].map((t) => msgRampValue(t, 1))).toEqual([0, null]);
    expect([0, 2, 4].map((t) => msgRampValue(t, 5))).toEqual([0, 0.4, 0.8]);
    for (const bad of [0, -1, 2.5, NaN]) expect(() => msgRampValue(0, bad)).toThrow(ConfigError);
  });

  it('masks what each growth adds: new layers, new FFN units, new heads and new head-dimension units', () => {
    const to = { ...base, layers: 4 };
    expect(msgStructure(base, to, { depth: 'stack' })?.newLayers).toEqual([2, 3]);
    expect(msgStructure(base, to, { depth: 'interleave' })?.newLayers).toEqual([1, 3]);
    expect(msgStructure(base, { ...base, layers: 3 }, { depth: 'interleave' })?.newLayers).toEqual([1]);
    expect(msgStructure(base, to, { depth: 'identity' })?.newLayers).toEqual([2, 3]);
    expect(msgStructure(base, { ...base, ffn: 16, heads: 4, hidden: 16 }, { depth: 'stack' })).toEqual({ newLayers: [], ffnFrom: 8, headsFrom: 2, hidden: null });
    // Head dimension 4 → 8 at 2 heads: where each operator puts its new units (hidden.ts).
    const d16 = { ...base, hidden: 16 };
    const dh = (op: 'tile' | 'fpi' | 'aki' | 'random') => msgStructure(base, d16, { depth: 'stack', hidden: op })?.hidden;
    expect(dh('tile')).toEqual({ stream: Array.from({ length: 16 }, (_, j) => j % 2), head: [0, 1, 0, 1, 0, 1, 0, 1] });
    expect(msgStructure(base, d16, { depth: 'stack' })?.hidden).toEqual(dh('tile'));
    for (const op of ['fpi', 'aki'] as const) expect(dh(op)).toEqual({ stream: [...Array(8).fill(0), ...Array(8).fill(1)], head: [0, 0, 0, 0, 1, 1, 1, 1] });
    expect(dh('random')).toEqual({ stream: [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1], head: [0, 0, 0, 0, 1, 1, 1, 1] });
    // With heads.add after it, the stream pattern is repeated as heads.add repeats the stream.
    expect(msgStructure(base, { ...base, hidden: 32, heads: 4 }, { depth: 'stack', hidden: 'tile' })).toEqual({
      newLayers: [], ffnFrom: null, headsFrom: 2, hidden: { stream: Array.from({ length: 32 }, (_, j) => (j >> 1) % 2), head: [0, 1, 0, 1, 0, 1, 0, 1] },
    });
    expect(msgStructure(base, base, { depth: 'stack' })).toBeNull();
    const s = msgStructure(base, to, { depth: 'stack' });
    expect(msgMaskAt(s, 4, 1)).toEqual({ newLayers: [2, 3], ffnFrom: null, headsFrom: null, hidden: null, value: 0.25 });
    // The head-dimension structure rides the same ramp.
    const h = msgStructure(base, d16, { depth: 'stack', hidden: 'fpi' });
    expect([0, 1, 2, 3, 4].map((t) => msgMaskAt(h, 4, t)?.value ?? null)).toEqual([0, 0.25, 0.5, 0.75, null]);
    expect(msgMaskAt(h, 4, 2)?.hidden).toEqual(h?.hidden);
    expect(msgMaskAt(s, 4, 4)).toBeNull();
    expect(msgMaskAt(s, undefined, 0)).toBeNull();
    expect(msgMaskAt(null, 4, 0)).toBeNull();
  });
});

describe('MSG operators', () => {
  it('lists an always-preserving MSG variant of every structural operator, and says why the others have none', () => {
    const variants = GROWTH_OPERATORS.filter((o) => o.msg).map((o) => o.id);
    expect(variants).toEqual([
      'depth.stack+msg', 'depth.interleave+msg', 'depth.identity+msg', 'depth.random+msg', 'width.share+msg', 'width.random+msg',
      'hidden.tile+msg', 'hidden.fpi+msg', 'hidden.aki+msg', 'hidden.random+msg', 'heads.add+msg',
    ]);
    for (const id of variants) expect(growthOperator(id).preserving).toBe('always');
    expect(Object.keys(MSG_LEFT_OUT)).toEqual(['width.factorize', 'length.*']);
    const shape = { layers: 1, ffnDiv: 2, ffnRank: 0, length: 'full' as const, lengthFactor: 1, poolReduce: 'mean' as const, hiddenDiv: 2, headsDiv: 2 };
    const ids = growthOpsApplied(shape, { ...shape, layers: 2, ffnDiv: 1, hiddenDiv: 1, headsDiv: 1 }, msgOps(), base).map((o) => o.id);
    expect(ids).toEqual(['heads.add+msg', 'width.share+msg', 'depth.stack+msg']);
    const withD = growthOpsApplied(shape, { ...shape, layers: 2, ffnDiv: 1, hiddenDiv: 1, headsDiv: 2 }, msgOps({ hidden: 'random' }), base).map((o) => o.id);
    expect(withD).toEqual(['hidden.random+msg', 'width.share+msg', 'depth.stack+msg']);
  });

  it('grows to the plain shapes; share keeps the old units and copies them, heads.add gives new heads W_o rows', () => {
    const to = { ...base, layers: 3, ffn: 16, heads: 4, hidden: 16 };
    const { params, grown } = grow(base, to, msgOps());
    expect([...grown.keys()]).toEqual([...paramShapes(to).keys()]);
    for (const [name, shape] of paramShapes(to)) expect(grown.get(name)!.shape, name).toEqual(shape);
    // Width, layer 0 (after heads.add repeated d ×2, which W2's columns follow): old rows as heads.add left them, new rows ≈ copies, not divided by k.
    const w2 = grown.get('layers.0.ffn.w2.kernel')!.arraySync() as number[][];
    for (let f = 0; f < 8; f++) {
      for (let c = 0; c < 16; c++) {
        const ratio = w2[8 + f][c] / w2[f][c];
        expect(Math.abs(ratio - 1), `copy ${f},${c}`).toBeLessThan(0.3);
      }
    }
    expect(w2.slice(8).flat().some((x, i) => x !== w2.slice(0, 8).flat()[i])).toBe(true);
    const w1 = grown.get('layers.0.ffn.w1.kernel')!.arraySync() as number[][];
    w1.forEach((row) => expect(row.slice(8)).toEqual(row.slice(0, 8)));
    // Heads: the plain operator zeroes the new heads' W_o rows; MSG gives them fresh ones.
    const wo = arr(grown.get('layers.0.attn.o.kernel')!).slice(8 * 16);
    expect(wo.some((x) => x !== 0)).toBe(true);
    expect(Math.max(...wo.map(Math.abs))).toBeLessThan(0.1);
    disposeAll(params, grown);
  });

  for (const [label, from] of normAndFfnVariants(base)) {
    it(`preserves the logits at mask 0 and changes them once the mask opens (${label})`, async () => {
      for (const [event, toOf, ops] of EVENTS) {
        const to = toOf(from);
        const o = msgOps(ops);
        const { params, grown } = grow(from, to, o);
        for (const pool of [null, makePoolPlan(probe, 2, 'mean')]) {
          const at0 = await growthCheck({ params, cfg: from, pool }, { params: grown, cfg: to, pool, mask: maskAt(from, to, o, 0) }, probe);
          expect(at0.maxAbsLogitDiff, `${event} pool=${pool ? 2 : 'none'}`).toBeLessThan(1e-5);
          expect(at0.lossBefore).toBeGreaterThan(0.5);
        }
        // The same weights half-way up the ramp compute something else: the new structures are live
        // (except identity layers under pre-LN, which add nothing at any m: their output projections are zero).
        const half = await growthCheck({ params, cfg: from }, { params: grown, cfg: to, mask: maskAt(from, to, o, 0.5) }, probe);
        if (event === 'depth.identity+msg' && from.norm === 'pre') expect(half.maxAbsLogitDiff, event).toBeLessThan(1e-5);
        else expect(half.maxAbsLogitDiff, event).toBeGreaterThan(1e-3);
        disposeAll(params, grown);
      }
    });
  }

  it('after the ramp the model is the plain grown model with the same weights (m = 1 adds nothing)', () => {
    // Under a head-dimension mask every LayerNorm takes the unfused, mask-weighted ops, which round
    // differently from the fused kernel and from tf.moments (Σx/24 is not x·(1/24)). MSG's unscaled
    // copies make these grown models large and sensitive: the plain hidden.fpi+msg model's own logits
    // differ by 3.4e-5 between the fused and the reference path. Hence a tolerance relative to the
    // logits, on both paths (d = 16 on the reference path matches exactly).
    try {
      for (const reference of [false, true]) {
        setFused(!reference, reference ? 'test: reference path' : null);
        for (const [event, toOf, ops] of EVENTS) {
          for (const norm of ['pre', 'post'] as const) {
            const from = { ...base, norm };
            const to = toOf(from);
            const o = msgOps(ops);
            const { params, grown } = grow(from, to, o, 3);
            const plain = arr(mlmForward(grown, to, probe, { training: false }).logits);
            const full = arr(mlmForward(grown, to, probe, { training: false, mask: maskAt(from, to, o, 1) }).logits);
            expect(maxDiff(full, plain), `${event} ${norm} reference=${reference}`).toBeLessThan(1e-5 * Math.max(1, ...plain.map(Math.abs)));
            disposeAll(params, grown);
          }
        }
      }
    } finally {
      setFused(true);
    }
  });

  it('masks each structure as its independent form: units and heads as scaled weights, a new last layer as a blend', () => {
    const m = 0.3;
    // FFN: new activations ×m before W2 ≡ the plain model with W2's new rows ×m.
    const ffnTo = { ...base, ffn: 16 };
    const o = msgOps({ width: 'random' });
    const { params, grown } = grow(base, ffnTo, o, 5);
    const scaled = new Map(grown);
    const w2Scale = tf.concat([tf.ones([8, 8]), tf.fill([8, 8], m)]);
    for (const i of [0, 1]) scaled.set(`layers.${i}.ffn.w2.kernel`, tf.variable(tf.mul(grown.get(`layers.${i}.ffn.w2.kernel`)!, w2Scale)));
    const masked = arr(mlmForward(grown, ffnTo, probe, { training: false, mask: maskAt(base, ffnTo, o, m) }).logits);
    const byWeights = arr(mlmForward(scaled, ffnTo, probe, { training: false }).logits);
    expect(maxDiff(masked, byWeights)).toBeLessThan(1e-5);
    // Heads: new heads' context ×m ≡ W_o's new rows ×m.
    const headsTo = { ...base, heads: 4, hidden: 16 };
    const h = grow(base, headsTo, msgOps(), 6);
    const hScaled = new Map(h.grown);
    const woScale = tf.concat([tf.ones([8, 16]), tf.fill([8, 16], m)]);
    for (const i of [0, 1]) hScaled.set(`layers.${i}.attn.o.kernel`, tf.variable(tf.mul(h.grown.get(`layers.${i}.attn.o.kernel`)!, woScale)));
    const hMasked = arr(mlmForward(h.grown, headsTo, probe, { training: false, mask: maskAt(base, headsTo, msgOps(), m) }).logits);
    const hByWeights = arr(mlmForward(hScaled, headsTo, probe, { training: false }).logits);
    expect(maxDiff(hMasked, hByWeights)).toBeLessThan(1e-5);
    // Depth, post-LN (no final LayerNorm): a new top layer's output is (1 − m)·old model + m·plain grown model.
    const post = { ...base, norm: 'post' as const };
    const postTo = { ...post, layers: 3 };
    const d = grow(post, postTo, msgOps({ depth: 'random' }), 8);
    const mask = Array.from(probe.attentionMask);
    const ids = tf.tensor2d(probe.inputIds, [2, 8], 'int32');
    const old = arr(encode(d.params, post, ids, mask, { training: false }));
    const plain = arr(encode(d.grown, postTo, ids, mask, { training: false }));
    const blended = arr(encode(d.grown, postTo, ids, mask, { training: false, mask: maskAt(post, postTo, msgOps({ depth: 'random' }), m) }));
    expect(maxDiff(blended, old.map((x, i) => (1 - m) * x + m * plain[i]))).toBeLessThan(1e-5);
    tf.dispose([w2Scale, woScale, ids, ...[0, 1].map((i) => scaled.get(`layers.${i}.ffn.w2.kernel`)!), ...[0, 1].map((i) => hScaled.get(`layers.${i}.attn.o.kernel`)!)]);
    disposeAll(params, grown, h.params, h.grown, d.params, d.grown);
  });
});

describe('MSG head-dimension growth', () => {
  const OPS = ['tile', 'fpi', 'aki', 'random'] as const;
  /** The test model's d 8 → 16 (tile) or 24, at 2 heads. */
  const dTo = (op: (typeof OPS)[number]) => (op === 'tile' ? 16 : 24);

  it('mask-weighted LayerNorm is the old units\' LayerNorm at m = 0 (new units 0), LayerNorm at m = 1, the weighted form between', () => {
    const rng = new Rng(11);
    const [N, d, eps] = [3, 6, 1e-5];
    const isNew = [0, 1, 0, 0, 1, 1];
    const x = Array.from({ length: N * d }, () => 1 + 3 * rng.normal());
    const gamma = Array.from({ length: d }, () => 1 + 0.3 * rng.normal());
    const beta = Array.from({ length: d }, () => 0.3 * rng.normal());
    // Weighted LayerNorm in plain JS over the units with weight w > 0, output ×w.
    const jsNorm = (w: number[]) =>
      Array.from({ length: N }, (_, r) => {
        const row = x.slice(r * d, (r + 1) * d);
        const S = w.reduce((a, b) => a + b, 0);
        const mu = row.reduce((a, v, i) => a + w[i] * v, 0) / S;
        const s2 = row.reduce((a, v, i) => a + w[i] * (v - mu) ** 2, 0) / S;
        return row.map((v, i) => w[i] * (gamma[i] * (v - mu) / Math.sqrt(s2 + eps) + beta[i]));
      }).flat();
    // The old model's LayerNorm on the old units alone, scattered back with 0 on the new ones.
    const oldOnly = Array.from({ length: N }, (_, r) => {
      const idx = isNew.flatMap((n, i) => (n ? [] : [i]));
      const row = idx.map((i) => x[r * d + i]);
      const mu = row.reduce((a, b) => a + b, 0) / row.length;
      const s2 = row.reduce((a, v) => a + (v - mu) ** 2, 0) / row.length;
      const out = new Array<number>(d).fill(0);
      idx.forEach((i, j) => (out[i] = gamma[i] * (row[j] - mu) / Math.sqrt(s2 + eps) + beta[i]));
      return out;
    }).flat();
    const plain = jsNorm(new Array<number>(d).fill(1));
    for (const [m, want] of [[0, oldOnly], [0.4, jsNorm(isNew.map((n) => (n ? 0.4 : 1)))], [1, plain]] as [number, number[]][]) {
      const c = isNew.map((n) => (n ? m : 1));
      const got = tf.tidy(() => arr(maskedLayerNorm(tf.tensor2d(x, [N, d]), tf.tensor1d(gamma), tf.tensor1d(beta), eps, { c: tf.tensor1d(c), total: c.reduce((a, b) => a + b, 0) })));
      expect(maxDiff(got, want), `m = ${m}`).toBeLessThan(1e-5);
      if (m === 0) expect(got.filter((_, i) => isNew[i % d] === 1).every((v) => v === 0)).toBe(true);
    }
  });

  it('masked attention is attention with q\'s new columns ×c·√(d_h\'/Σc) and W_o\'s new rows ×c', () => {
    const from = base;
    const to = { ...base, hidden: 24 };
    const o = msgOps({ hidden: 'fpi' });
    const { params, grown } = grow(from, to, o, 4);
    const { head } = msgStructure(from, to, o)!.hidden!;
    const m = 0.3;
    const c = head.map((n) => (n ? m : 1));
    const sumC = c.reduce((a, b) => a + b, 0);
    const scale = 1 / Math.sqrt(sumC);
    const cols = [...c, ...c]; // head-major: every head has the same pattern
    const qScale = cols.map((ci) => ci * scale * Math.sqrt(12));
    const scaled = new Map(grown);
    const made: tf.Tensor[] = [];
    const set = (name: string, f: (t: tf.Tensor) => tf.Tensor) => {
      const v = tf.variable(tf.tidy(() => f(grown.get(name)!)));
      made.push(v);
      scaled.set(name, v);
    };
    set('layers.0.attn.q.kernel', (t) => tf.mul(t, tf.tensor2d([qScale], [1, 24])));
    set('layers.0.attn.q.bias', (t) => tf.mul(t, tf.tensor1d(qScale)));
    set('layers.0.attn.o.kernel', (t) => tf.mul(t, tf.tensor2d(cols, [24, 1])));
    const rng = new Rng(12);
    const shape = { batch: 2, hidden: 24, heads: 2, qLen: 8, kLen: 8 };
    const masked = tf.tidy(() => {
      const x = tf.tensor2d(Array.from({ length: 16 * 24 }, () => rng.normal()), [16, 24]);
      const bias = keyBias(probe.attentionMask, 2, 8);
      const a = arr(attention(x, x, bias, grown, 'layers.0.attn', shape, 0, null, null, { c: tf.tensor1d(c), scale }));
      const b = arr(attention(x, x, bias, scaled, 'layers.0.attn', shape, 0, null));
      return [a, b];
    });
    expect(maxDiff(masked[0], masked[1])).toBeLessThan(1e-5);
    tf.dispose(made);
    disposeAll(params, grown);
  });

  it('builds MSG\'s weights: every old-by-old block is the old parameter, old moments carried, new entries at zero moments', () => {
    for (const op of OPS) {
      const to = { ...base, hidden: dTo(op) };
      const params = trainedLike(base, 21);
      const adam = randomAdam(params, 22);
      const g = growHidden(params, adam, base, to, { op, rng: new Rng(23), msg: true });
      const units = hiddenNewUnits(op, 2, 4, to.hidden / 2);
      const headUnits = [...units.head, ...units.head];
      for (const [name, p] of params) {
        const roles = dRoles(name);
        const isNewAlong = (role: DRole | null) => (role === 'headIn' || role === 'headOut' ? headUnits : units.stream);
        const oldIdx = roles.map((r) => (r === null ? null : isNewAlong(r).flatMap((n, i) => (n ? [] : [i]))));
        const oldBlock = (t: tf.Tensor) =>
          tf.tidy(() => arr(oldIdx.reduce((x, idx, axis) => (idx ? tf.gather(x, tf.tensor1d(idx, 'int32'), axis) : x), t)));
        const newPart = (t: tf.Tensor) =>
          tf.tidy(() => {
            const keep = roles.reduce((x: tf.Tensor, r, axis) => {
              if (r === null) return x;
              return tf.mul(x, tf.tensor(isNewAlong(r).map((n) => 1 - n), t.shape.map((n, i) => (i === axis ? n : 1))));
            }, tf.onesLike(t));
            return tf.sum(tf.abs(tf.mul(t, tf.sub(1, keep)))).dataSync()[0];
          });
        expect(oldBlock(g.params.get(name)!), `${op} ${name}`).toEqual(arr(p));
        expect(oldBlock(g.adam!.m.get(name)!), `${op} m ${name}`).toEqual(arr(adam.m.get(name)!));
        expect(oldBlock(g.adam!.v.get(name)!), `${op} v ${name}`).toEqual(arr(adam.v.get(name)!));
        expect(newPart(g.adam!.m.get(name)!) + newPart(g.adam!.v.get(name)!), `${op} new moments ${name}`).toBe(0);
        // The new units hold something: copies (tile, fpi), the upper layer's (aki) or fresh values (random).
        if (roles.some((r) => r !== null) && !/bias|beta/.test(name)) expect(newPart(g.params.get(name)!), `${op} new ${name}`).toBeGreaterThan(0);
      }
      if (op === 'random') {
        // random rescales nothing, so MSG changes none of its weights.
        const plain = growHidden(params, null, base, to, { op, rng: new Rng(23) });
        for (const [name, p] of plain.params) expect(arr(g.params.get(name)!), name).toEqual(arr(p));
        disposeAll(plain.params);
      }
      disposeAll(params, adam, g.params, g.adam);
    }
  });

  it('at m = 0 the old entries get the old model\'s gradients and the new ones none; gradients stay finite up the ramp', () => {
    for (const norm of ['pre', 'post'] as const) {
      for (const op of OPS) {
        const from = { ...base, norm };
        const to = { ...from, hidden: dTo(op), layers: 3 };
        const o = msgOps({ hidden: op });
        const { params, grown } = grow(from, to, o, 31);
        const before = gradients(params, from, probe);
        const grads = (m: number) => {
          const list = [...grown];
          const { value, grads: gs } = tf.variableGrads(() => mlmLoss(grown, to, probe, { training: false, mask: maskAt(from, to, o, m) }), list.map(([, v]) => v));
          value.dispose();
          const out = new Map(list.map(([name, v]) => [name, arr(gs[v.name])]));
          tf.dispose(Object.values(gs));
          return out;
        };
        const at0 = grads(0);
        const { stream, head } = msgStructure(from, to, o)!.hidden!;
        const headUnits = [...head, ...head];
        // Layer 2 is new (depth.stack of 2 → 3): at m = 0 its block is bypassed, so its gradients are zero.
        for (const [name, g] of at0) {
          expect(g.every(Number.isFinite), `${op} ${norm} ${name}`).toBe(true);
          const old = before.get(name);
          if (!old) {
            expect(Math.max(...g.map(Math.abs)), `${op} ${norm} new ${name}`).toBe(0);
            continue;
          }
          const roles = dRoles(name);
          const shape = grown.get(name)!.shape;
          const isNewAt = (flat: number) => {
            let rest = flat;
            let fresh = false;
            for (let axis = roles.length - 1; axis >= 0; axis--) {
              const i = rest % shape[axis];
              rest = Math.floor(rest / shape[axis]);
              const r = roles[axis];
              if (r !== null && (r === 'headIn' || r === 'headOut' ? headUnits : stream)[i] === 1) fresh = true;
            }
            return fresh;
          };
          const oldGrads = g.filter((_, i) => !isNewAt(i));
          const newGrads = g.filter((_, i) => isNewAt(i));
          expect(newGrads.every((x) => x === 0), `${op} ${norm} new entries of ${name}`).toBe(true);
          const tol = 1e-4 * Math.max(1e-3, ...Array.from(old, Math.abs));
          expect(maxDiff(oldGrads, Array.from(old)), `${op} ${norm} ${name}`).toBeLessThan(tol);
        }
        const half = grads(0.5);
        expect([...half.values()].every((g) => g.every(Number.isFinite))).toBe(true);
        expect(Math.max(...(half.get('layers.0.attn.q.kernel') ?? []).map(Math.abs))).toBeGreaterThan(0);
        disposeAll(params, grown);
      }
    }
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../node/backends.ts';
import { handBatch } from '../data/hand-batch.ts';
import { Rng } from '../data/rng.ts';
import { ConfigError } from '../errors.ts';
import type { ModelConfig } from '../model/config.ts';
import { encode, mlmForward } from '../model/forward.ts';
import type { GrowthMask } from '../model/growth-mask.ts';
import { makePoolPlan } from '../model/pool-plan.ts';
import { paramShapes } from '../model/shapes.ts';
import { DEPTH_OP_NAMES, type GrowthOps } from '../schedule/spec.ts';
import { growthCheck } from './check.ts';
import { growModel } from './grow.ts';
import { disposeAll, normAndFfnVariants, trainedLike, TWO_HEADS_OF_4 } from './model.test-helper.ts';
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
];

describe('MSG ramp', () => {
  it('ramps linearly from 0 and leaves the model at the ramp length', () => {
    // ramp 4: m = t/4 at steps 0..3, then no mask.
    expect([0, 1, 2, 3, 4, 5, 100].map((t) => msgRampValue(t, 4))).toEqual([0, 0.25, 0.5, 0.75, null, null, null]);
    expect([0, 1].map((t) => msgRampValue(t, 1))).toEqual([0, null]);
    expect([0, 2, 4].map((t) => msgRampValue(t, 5))).toEqual([0, 0.4, 0.8]);
    for (const bad of [0, -1, 2.5, NaN]) expect(() => msgRampValue(0, bad)).toThrow(ConfigError);
  });

  it('masks what each growth adds: new layers, new FFN units and new heads', () => {
    const to = { ...base, layers: 4 };
    expect(msgStructure(base, to, { depth: 'stack' })?.newLayers).toEqual([2, 3]);
    expect(msgStructure(base, to, { depth: 'interleave' })?.newLayers).toEqual([1, 3]);
    expect(msgStructure(base, { ...base, layers: 3 }, { depth: 'interleave' })?.newLayers).toEqual([1]);
    expect(msgStructure(base, to, { depth: 'identity' })?.newLayers).toEqual([2, 3]);
    expect(msgStructure(base, { ...base, ffn: 16, heads: 4, hidden: 16 }, { depth: 'stack' })).toEqual({ newLayers: [], ffnFrom: 8, headsFrom: 2 });
    // Nothing added that MSG masks: d alone (hidden.*) or no growth at all.
    expect(msgStructure(base, { ...base, hidden: 16 }, { depth: 'stack' })).toBeNull();
    expect(msgStructure(base, base, { depth: 'stack' })).toBeNull();
    const s = msgStructure(base, to, { depth: 'stack' });
    expect(msgMaskAt(s, 4, 1)).toEqual({ newLayers: [2, 3], ffnFrom: null, headsFrom: null, value: 0.25 });
    expect(msgMaskAt(s, 4, 4)).toBeNull();
    expect(msgMaskAt(s, undefined, 0)).toBeNull();
    expect(msgMaskAt(null, 4, 0)).toBeNull();
  });
});

describe('MSG operators', () => {
  it('lists an always-preserving MSG variant of every structural operator, and says why the others have none', () => {
    const variants = GROWTH_OPERATORS.filter((o) => o.msg).map((o) => o.id);
    expect(variants).toEqual(['depth.stack+msg', 'depth.interleave+msg', 'depth.identity+msg', 'depth.random+msg', 'width.share+msg', 'width.random+msg', 'heads.add+msg']);
    for (const id of variants) expect(growthOperator(id).preserving).toBe('always');
    expect(Object.keys(MSG_LEFT_OUT)).toEqual(['hidden.*', 'width.factorize', 'length.*']);
    const shape = { layers: 1, ffnDiv: 2, ffnRank: 0, length: 'full' as const, lengthFactor: 1, poolReduce: 'mean' as const, hiddenDiv: 2, headsDiv: 2 };
    const ids = growthOpsApplied(shape, { ...shape, layers: 2, ffnDiv: 1, hiddenDiv: 1, headsDiv: 1 }, msgOps(), base).map((o) => o.id);
    expect(ids).toEqual(['heads.add+msg', 'width.share+msg', 'depth.stack+msg']);
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
    for (const [event, toOf, ops] of EVENTS) {
      for (const norm of ['pre', 'post'] as const) {
        const from = { ...base, norm };
        const to = toOf(from);
        const o = msgOps(ops);
        const { params, grown } = grow(from, to, o, 3);
        const plain = arr(mlmForward(grown, to, probe, { training: false }).logits);
        const full = arr(mlmForward(grown, to, probe, { training: false, mask: maskAt(from, to, o, 1) }).logits);
        expect(maxDiff(full, plain), `${event} ${norm}`).toBeLessThan(1e-6);
        disposeAll(params, grown);
      }
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

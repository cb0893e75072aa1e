import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../node/backends.ts';
import { handBatch } from '../data/hand-batch.ts';
import { Rng } from '../data/rng.ts';
import { ConfigError } from '../errors.ts';
import type { ModelConfig } from '../model/config.ts';
import { initParams } from '../model/params.ts';
import { makePoolPlan } from '../model/pool-plan.ts';
import { paramShapes } from '../model/shapes.ts';
import { growthCheck } from './check.ts';
import { dRoles, repeatUnits } from './d-axes.ts';
import { growHidden, placeInHeads } from './hidden.ts';
import { BETA1, BETA2, disposeAll, gradients, normAndFfnVariants, TWO_HEADS_OF_4, oneStepAdam, randomAdam, trainedLike, values } from './model.test-helper.ts';

beforeAll(async () => {
  await useNodeBackend('cpu');
});

const base = TWO_HEADS_OF_4;
const probe = handBatch();
const variants = normAndFfnVariants(base);
const tile = (seed = 1) => ({ op: 'tile' as const, rng: new Rng(seed) });

/** Row-major [rows, cols] values with index i of `axis` sent to k·i … k·i+k−1 (reference for repeatUnits). */
function repeatRef(x: number[], shape: number[], axes: number[], k: number): number[] {
  const cols = shape.length === 2 ? shape[1] : 1;
  const rows = shape[0];
  const rk = axes.includes(0) ? k : 1;
  const ck = shape.length === 2 && axes.includes(1) ? k : 1;
  const out: number[] = [];
  for (let r = 0; r < rows * rk; r++) for (let c = 0; c < cols * ck; c++) out.push(x[Math.floor(r / rk) * cols + Math.floor(c / ck)]);
  return out;
}

function expectClose(got: number[], want: number[], tol: number, label = ''): void {
  expect(got.length, label).toBe(want.length);
  got.forEach((x, i) => expect(Math.abs(x - want[i]), `${label}[${i}]`).toBeLessThanOrEqual(tol));
}

describe('d axes', () => {
  it('knows every parameter of dense and factorized, pre- and post-LN models, each d axis of size d', () => {
    for (const [, cfg] of variants) {
      for (const [name, shape] of paramShapes({ ...cfg, hidden: 12, heads: 3, ffn: 20, vocabSize: 30, maxLen: 9 })) {
        const roles = dRoles(name);
        expect(roles, name).toHaveLength(shape.length);
        roles.forEach((r, i) => expect(r === null || shape[i] === 12, `${name} axis ${i}`).toBe(true));
      }
    }
    expect(() => dRoles('layers.0.attn.rotary')).toThrow(/no rule/);
    expect(dRoles('layers.3.attn.q.kernel')).toEqual(['in', 'headOut']);
    expect(dRoles('layers.3.attn.o.kernel')).toEqual(['headIn', 'out']);
    expect(dRoles('layers.3.ffn.w1.kernelB')).toEqual([null, null]);
  });

  it('repeatUnits interleaves copies; placeInHeads keeps each unit in its head', () => {
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    expect(repeatUnits(x, 1, 2).arraySync()).toEqual([[1, 1, 2, 2], [3, 3, 4, 4]]);
    expect(repeatUnits(x, 0, 3).arraySync()).toEqual([[1, 2], [1, 2], [1, 2], [3, 4], [3, 4], [3, 4]]);
    const row = tf.tensor1d([1, 2, 3, 4]);
    // 2 heads of 2 → 2 heads of 3: head 0 = [1, 2, _], head 1 = [3, 4, _].
    expect(placeInHeads(row, [0], 2, 2, 3).arraySync()).toEqual([1, 2, 0, 3, 4, 0]);
    tf.dispose([x, row]);
  });
});

describe('hidden.tile', () => {
  it('grows every parameter to the grown shape with the derived factors', () => {
    for (const [label, from] of variants) {
      for (const k of [2, 3]) {
        const to = { ...from, hidden: 8 * k };
        const params = trainedLike(from, 2);
        const g = growHidden(params, null, from, to, tile());
        expect([...g.params.keys()], label).toEqual([...paramShapes(to).keys()]);
        for (const [name, shape] of paramShapes(to)) expect(g.params.get(name)!.shape, `${label} ${name}`).toEqual(shape);
        expect(g.adam).toBeNull();
        const check = (name: string, axes: number[], scale: number) =>
          expectClose(values(g.params, name), repeatRef(values(params, name), params.get(name)!.shape, axes, k).map((x) => x * scale), 1e-6, `${label} k=${k} ${name}`);
        check('emb.tok', [1], 1);
        check('emb.pos', [1], 1);
        check('emb.ln.gamma', [0], 1);
        check('layers.1.attn.q.kernel', [0, 1], 1 / (k * Math.sqrt(k)));
        check('layers.1.attn.q.bias', [0], 1 / Math.sqrt(k));
        check('layers.1.attn.k.kernel', [0, 1], 1 / k);
        check('layers.1.attn.v.bias', [0], 1);
        check('layers.1.attn.o.kernel', [0, 1], 1 / k);
        check('layers.1.attn.o.bias', [0], 1);
        check(from.ffnRank ? 'layers.0.ffn.w1.kernelA' : 'layers.0.ffn.w1.kernel', [0], 1 / k);
        check(from.ffnRank ? 'layers.0.ffn.w2.kernelB' : 'layers.0.ffn.w2.kernel', [1], 1);
        check('layers.0.ffn.w1.bias', [], 1);
        check('mlm.dense.kernel', [0, 1], 1 / k);
        check('mlm.ln.gamma', [0], 1 / k);
        check('mlm.ln.beta', [0], 1 / k);
        check('mlm.out.bias', [], 1);
        if (from.ffnRank) check('layers.0.ffn.w1.kernelB', [], 1);
        disposeAll(params, g.params);
      }
    }
  });

  it('preserves the logits, pre-LN and post-LN, dense and factorized, with and without pooling', async () => {
    const pools = [null, makePoolPlan(probe, 2, 'mean'), makePoolPlan(probe, 2, 'max')];
    for (const [label, from] of variants) {
      for (const k of [2, 3]) {
        const to = { ...from, hidden: 8 * k };
        const params = trainedLike(from, 3);
        const g = growHidden(params, null, from, to, tile());
        for (const pool of pools) {
          const r = await growthCheck({ params, cfg: from, pool }, { params: g.params, cfg: to, pool }, probe);
          expect(r.maxAbsLogitDiff, `${label} k=${k} pool=${pool?.k ?? 'none'}`).toBeLessThan(1e-5);
          expect(r.lossBefore).toBeGreaterThan(0.5);
        }
        disposeAll(params, g.params);
      }
    }
  });

  // After one Adam step from zero, m = (1−β1)·g and v = (1−β2)·g². With the derived transform the
  // carried moments equal the grown model's own one-step moments, from gradients autodiff computes
  // independently of hidden.ts.
  for (const [label, from] of variants) {
    it(`carries moments as the grown model's one-step moments (${label}, k = 2 and 3)`, () => {
      for (const k of [2, 3]) {
        const to = { ...from, hidden: 8 * k };
        const params = trainedLike(from, 4);
        const adam = oneStepAdam(params, gradients(params, from, probe));
        const g = growHidden(params, adam, from, to, tile());
        const g2 = gradients(g.params, to, probe);
        expect([...g2.keys()].sort()).toEqual([...g.adam!.m.keys()].sort());
        // b_k's true gradient is 0 (a per-query constant added to every score), so its float noise
        // is measured against the model's largest gradient, not its own.
        const floor = 1e-5 * Math.max(...[...g2.values()].map((gn) => Math.max(...gn.map(Math.abs))));
        for (const [name, gn] of g2) {
          const m = values(g.adam!.m, name);
          const v = values(g.adam!.v, name);
          const scale = Math.max(floor, ...gn.map(Math.abs));
          expectClose(m, Array.from(gn, (x) => (1 - BETA1) * x), 2e-4 * (1 - BETA1) * scale + 1e-9, `${label} k=${k} m ${name}`);
          expectClose(v, Array.from(gn, (x) => (1 - BETA2) * x * x), 4e-4 * (1 - BETA2) * scale * scale + 1e-12, `${label} k=${k} v ${name}`);
        }
        // Not vacuous: the scaled ones really have gradients.
        for (const name of ['layers.0.attn.q.kernel', 'mlm.ln.gamma', 'emb.tok', 'layers.1.ffn.w2.bias']) {
          expect(Math.max(...g2.get(name)!.map(Math.abs)), name).toBeGreaterThan(1e-4);
        }
        disposeAll(params, adam, g.params, g.adam);
      }
    });
  }

  it('refuses a non-integer factor, a shrink, a head change or an unknown op, leaking nothing', () => {
    const params = initParams(base, 5);
    const before = tf.memory().numTensors;
    const attempt = (to: Partial<ModelConfig>, op: 'tile' | 'random' = 'tile') => () =>
      growHidden(params, null, base, { ...base, ...to }, { op, rng: new Rng(1) });
    expect(attempt({ hidden: 12 })).toThrow(/hidden: hidden\.tile needs .* integer factor: 12 \/ 8 = 1\.5/);
    expect(attempt({ hidden: 8 })).toThrow(ConfigError);
    expect(attempt({ hidden: 4 })).toThrow(/larger hidden size/);
    expect(attempt({ hidden: 13 }, 'random')).toThrow(/divisible by heads 2/);
    expect(attempt({ hidden: 16, heads: 4 })).toThrow(/keeps the heads/);
    expect(() => growHidden(params, null, base, { ...base, hidden: 16 }, { op: 'copy' as 'tile', rng: new Rng(1) })).toThrow(/ops\.hidden/);
    expect(() => growHidden(params, null, { ...base, hidden: 16 }, { ...base, hidden: 32 }, tile())).toThrow(/expected d = 16/);
    expect(tf.memory().numTensors).toBe(before);
    disposeAll(params);
  });
});

describe('hidden.random', () => {
  const to = { ...base, hidden: 12 }; // 2 heads of 4 → 2 heads of 6
  /** New position of old unit i: head ⌊i/4⌋, offset i mod 4, at head width 6. */
  const at = (i: number) => Math.floor(i / 4) * 6 + (i % 4);
  const isOld = (j: number) => j % 6 < 4;

  it('keeps old units in their heads, BERT-initialises the rest, and changes the function', async () => {
    const params = trainedLike(base, 6);
    const adam = randomAdam(params, 7);
    const g = growHidden(params, adam, base, to, { op: 'random', rng: new Rng(8) });
    for (const [name, shape] of paramShapes(to)) expect(g.params.get(name)!.shape, name).toEqual(shape);
    const q = g.params.get('layers.0.attn.q.kernel')!.arraySync() as number[][];
    const q0 = params.get('layers.0.attn.q.kernel')!.arraySync() as number[][];
    for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) expect(q[at(i)][at(j)]).toBe(q0[i][j]);
    const fresh = q.flatMap((r, i) => r.filter((_, j) => !isOld(i) || !isOld(j)));
    expect(fresh.every((x) => Math.abs(x) <= 0.04)).toBe(true); // N(0, 0.02) truncated at 2σ
    expect(fresh.some((x) => x !== 0)).toBe(true);
    const gamma = values(g.params, 'layers.1.attn.ln.gamma');
    const bias = values(g.params, 'layers.1.attn.o.bias');
    gamma.forEach((x, j) => { if (!isOld(j)) expect(x).toBe(1); });
    bias.forEach((x, j) => { if (!isOld(j)) expect(x).toBe(0); });
    const tok = g.params.get('emb.tok')!.arraySync() as number[][];
    expect(tok.some((r) => r.some((x, j) => !isOld(j) && x !== 0))).toBe(true);
    expect(values(g.params, 'mlm.out.bias')).toEqual(values(params, 'mlm.out.bias'));

    // Moments: old entries carried as they were, new entries zero.
    const m = g.adam!.m.get('layers.0.attn.q.kernel')!.arraySync() as number[][];
    const m0 = adam.m.get('layers.0.attn.q.kernel')!.arraySync() as number[][];
    m.forEach((r, i) => r.forEach((x, j) => expect(x).toBe(isOld(i) && isOld(j) ? m0[i - 2 * Math.floor(i / 6)][j - 2 * Math.floor(j / 6)] : 0)));
    expect(g.adam!.step).toBe(adam.step);

    const r = await growthCheck({ params, cfg: base }, { params: g.params, cfg: to }, probe);
    expect(r.maxAbsLogitDiff).toBeGreaterThan(1e-3);
    disposeAll(params, adam, g.params, g.adam);
  });
});

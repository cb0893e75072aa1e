import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../node/backends.ts';
import { handBatch } from '../data/hand-batch.ts';
import { Rng } from '../data/rng.ts';
import type { ModelConfig } from '../model/config.ts';
import { initParams } from '../model/params.ts';
import { makePoolPlan } from '../model/pool-plan.ts';
import { paramShapes } from '../model/shapes.ts';
import { growthCheck } from './check.ts';
import { growHeads } from './heads.ts';
import { BETA1, BETA2, disposeAll, gradients, normAndFfnVariants, TWO_HEADS_OF_4, oneStepAdam, trainedLike, values } from './model.test-helper.ts';

beforeAll(async () => {
  await useNodeBackend('cpu');
});

// 2 heads of 4.
const base = TWO_HEADS_OF_4;
const probe = handBatch();
const variants = normAndFfnVariants(base);
const grownTo = (from: ModelConfig, m: number): ModelConfig => ({ ...from, heads: from.heads * m, hidden: from.hidden * m });
const rng = () => ({ rng: new Rng(9) });
const mat = (p: Map<string, tf.Variable>, name: string) => p.get(name)!.arraySync() as number[][];

describe('heads.add', () => {
  it('grows to the new shape: stream repeated, old heads kept, new q/k/v fresh and W_o rows zero', () => {
    for (const [label, from] of variants) {
      for (const m of [2, 3]) {
        const to = grownTo(from, m);
        const params = trainedLike(from, 1);
        const g = growHeads(params, null, from, to, rng());
        expect([...g.params.keys()], label).toEqual([...paramShapes(to).keys()]);
        for (const [name, shape] of paramShapes(to)) expect(g.params.get(name)!.shape, `${label} ${name}`).toEqual(shape);
        const d = 8;
        const q0 = mat(params, 'layers.1.attn.q.kernel');
        const q = mat(g.params, 'layers.1.attn.q.kernel');
        const o0 = mat(params, 'layers.1.attn.o.kernel');
        const o = mat(g.params, 'layers.1.attn.o.kernel');
        for (let r = 0; r < d * m; r++) {
          for (let c = 0; c < d * m; c++) {
            // Stream unit r is a copy of old unit ⌊r/m⌋; head-space column c < d is an old head's.
            if (c < d) expect(q[r][c]).toBeCloseTo(q0[Math.floor(r / m)][c] / m, 6);
            else expect(Math.abs(q[r][c])).toBeLessThanOrEqual(0.04);
            expect(o[r][c]).toBeCloseTo(r < d ? o0[r][Math.floor(c / m)] : 0, 6);
          }
        }
        expect(q.flatMap((row) => row.slice(d)).some((x) => x !== 0)).toBe(true);
        const bq = values(g.params, 'layers.1.attn.q.bias');
        expect(bq.slice(0, d)).toEqual(values(params, 'layers.1.attn.q.bias'));
        expect(bq.slice(d).every((x) => x === 0)).toBe(true);
        expect(values(g.params, 'layers.1.attn.o.bias')).toEqual(values(params, 'layers.1.attn.o.bias').flatMap((x) => Array(m).fill(x)));
        const gamma0 = values(params, 'mlm.ln.gamma');
        values(g.params, 'mlm.ln.gamma').forEach((x, j) => expect(x).toBeCloseTo(gamma0[Math.floor(j / m)] / m, 6));
        disposeAll(params, g.params);
      }
    }
  });

  it('preserves the logits, pre-LN and post-LN, dense and factorized, pooled or not', async () => {
    for (const [label, from] of variants) {
      for (const [fromHeads, m] of [[1, 2], [2, 2], [2, 3]]) {
        const f = { ...from, heads: fromHeads };
        const to = grownTo(f, m);
        const params = trainedLike(f, 2);
        const g = growHeads(params, null, f, to, rng());
        for (const pool of [null, makePoolPlan(probe, 2, 'mean')]) {
          const r = await growthCheck({ params, cfg: f, pool }, { params: g.params, cfg: to, pool }, probe);
          expect(r.maxAbsLogitDiff, `${label} ${fromHeads}→${fromHeads * m} pool=${pool ? 2 : 'none'}`).toBeLessThan(1e-5);
          expect(r.lossBefore).toBeGreaterThan(0.5);
        }
        disposeAll(params, g.params);
      }
    }
  });

  // Carried moments equal the grown model's own one-step moments (autodiff), except where the
  // derivation says there is no history: W_o's new rows start at zero although their gradient is not.
  for (const [label, from] of variants) {
    it(`carries moments as derived (${label})`, () => {
      const m = 2;
      const to = grownTo(from, m);
      const params = trainedLike(from, 3);
      const adam = oneStepAdam(params, gradients(params, from, probe));
      const g = growHeads(params, adam, from, to, rng());
      const g2 = gradients(g.params, to, probe);
      const floor = 1e-5 * Math.max(...[...g2.values()].map((gn) => Math.max(...gn.map(Math.abs))));
      for (const [name, gn] of g2) {
        const mv = values(g.adam!.m, name);
        const vv = values(g.adam!.v, name);
        const newRows = /attn\.o\.kernel$/.test(name) ? 8 * 16 : Infinity; // rows ≥ 8 are the new heads'
        const scale = Math.max(floor, ...gn.slice(0, Math.min(gn.length, newRows)).map(Math.abs));
        gn.forEach((x, i) => {
          const [wm, wv] = i >= newRows ? [0, 0] : [(1 - BETA1) * x, (1 - BETA2) * x * x];
          expect(Math.abs(mv[i] - wm), `${name}[${i}]`).toBeLessThanOrEqual(2e-4 * (1 - BETA1) * scale + 1e-9);
          expect(Math.abs(vv[i] - wv), `${name}[${i}]`).toBeLessThanOrEqual(4e-4 * (1 - BETA2) * scale * scale + 1e-12);
        });
      }
      // The new heads' q/k/v really have zero gradient, and their W_o rows do not (hence zero moments by choice).
      expect(Math.max(...g2.get('layers.0.attn.q.kernel')!.filter((_, i) => i % 16 >= 8).map(Math.abs))).toBe(0);
      expect(Math.max(...g2.get('layers.0.attn.o.kernel')!.slice(8 * 16).map(Math.abs))).toBeGreaterThan(1e-4);
      disposeAll(params, adam, g.params, g.adam);
    });
  }

  it('refuses non-integer factors, a changed head dimension and fewer heads, leaking nothing', () => {
    const params = initParams(base, 4);
    const before = tf.memory().numTensors;
    const attempt = (to: Partial<ModelConfig>) => () => growHeads(params, null, base, { ...base, ...to }, rng());
    expect(attempt({ heads: 3, hidden: 12 })).toThrow(/heads: heads\.add grows the heads by an integer factor.*: 3 \/ 2 = 1\.5/);
    expect(attempt({ heads: 4, hidden: 8 })).toThrow(/hidden: heads\.add keeps the head dimension 4: 4 heads need hidden 16, got 8/);
    expect(attempt({ heads: 2 })).toThrow(/more heads than 2/);
    expect(tf.memory().numTensors).toBe(before);
    disposeAll(params);
  });
});

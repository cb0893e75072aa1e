import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../node/backends.ts';
import { handBatch } from '../data/hand-batch.ts';
import { Rng } from '../data/rng.ts';
import type { ModelConfig } from '../model/config.ts';
import { makePoolPlan } from '../model/pool-plan.ts';
import { paramShapes } from '../model/shapes.ts';
import { drawWidthMaps, growBert2Bert, type WidthMaps } from './bert2bert.ts';
import { growthCheck } from './check.ts';
import { growHidden } from './hidden.ts';
import { BETA1, BETA2, disposeAll, gradients, normAndFfnVariants, oneStepAdam, randomAdam, TWO_HEADS_OF_4, trainedLike, values } from './model.test-helper.ts';

beforeAll(async () => {
  await useNodeBackend('cpu');
});

const base = TWO_HEADS_OF_4; // d = 8, 2 heads of 4, 2 layers
const probe = handBatch();
const variants = normAndFfnVariants(base);
const H = base.heads;
const dh = base.hidden / H;

/** Counted here, not with bert2bert.ts's helper. */
function counts(map: Int32Array, d: number): number[] {
  const c = new Array<number>(d).fill(0);
  map.forEach((i) => c[i]++);
  return c;
}

/** Equal counts: g(j) = j mod d, gh = offset mod d_h in the same head (a permutation of hidden.tile's map). */
function balancedMaps(from: ModelConfig, to: ModelConfig): WidthMaps {
  const dh2 = to.hidden / from.heads;
  const d = from.hidden;
  const fdh = d / from.heads;
  return {
    stream: Int32Array.from({ length: to.hidden }, (_, j) => j % d),
    heads: Array.from({ length: from.layers }, () => Int32Array.from({ length: to.hidden }, (_, j) => Math.floor(j / dh2) * fdh + ((j % dh2) % fdh))),
  };
}

const rows = (m: Map<string, tf.Variable>, name: string) => m.get(name)!.arraySync() as number[][];
const vec = (m: Map<string, tf.Variable>, name: string) => m.get(name)!.arraySync() as number[];

function close(got: number, want: number, tol: number, label: string): void {
  expect(Math.abs(got - want), `${label}: ${got} vs ${want}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want)));
}

describe('bert2BERT maps', () => {
  it('keep old units in place, draw new ones uniformly within range and head, deterministic by seed', () => {
    for (const d2 of [12, 16, 24]) {
      const to = { ...base, hidden: d2 };
      const dh2 = d2 / H;
      const maps = drawWidthMaps(base, to, new Rng(3));
      expect(maps.stream).toHaveLength(d2);
      maps.stream.forEach((i, j) => (j < 8 ? expect(i).toBe(j) : expect(i >= 0 && i < 8).toBe(true)));
      expect(counts(maps.stream, 8).reduce((a, b) => a + b)).toBe(d2);
      expect(Math.min(...counts(maps.stream, 8))).toBeGreaterThanOrEqual(1);
      expect(maps.heads).toHaveLength(base.layers);
      for (const m of maps.heads) {
        m.forEach((i, j) => {
          const head = Math.floor(j / dh2);
          expect(Math.floor(i / dh), `unit ${j} leaves head ${head}`).toBe(head);
          if (j % dh2 < dh) expect(i).toBe(head * dh + (j % dh2));
        });
      }
      const again = drawWidthMaps(base, to, new Rng(3));
      expect([...again.stream]).toEqual([...maps.stream]);
      expect(again.heads.map((m) => [...m])).toEqual(maps.heads.map((m) => [...m]));
    }
    // Different seeds, different draws; and (the point of bert2BERT's sampling) uneven counts.
    const to = { ...base, hidden: 16 };
    const a = drawWidthMaps(base, to, new Rng(1));
    const b = drawWidthMaps(base, to, new Rng(2));
    expect([...a.stream]).not.toEqual([...b.stream]);
    expect(new Set(counts(a.stream, 8)).size).toBeGreaterThan(1);
  });

  it('refuses a map that moves an old unit or leaves its head', () => {
    const to = { ...base, hidden: 16 };
    const params = trainedLike(base, 1);
    const before = tf.memory().numTensors;
    const good = balancedMaps(base, to);
    const moved = { ...good, stream: Int32Array.from(good.stream, (i, j) => (j === 0 ? 1 : i)) };
    expect(() => growBert2Bert(params, null, base, to, 'fpi', moved)).toThrow(/stream map sends 0 to 1/);
    // Head width 4 → 8: unit 7 is new in head 0 (may copy 0…3), unit 8 is head 1's old unit 4.
    const withHead = (j0: number, i0: number) => ({ ...good, heads: good.heads.map((m) => Int32Array.from(m, (i, j) => (j === j0 ? i0 : i))) });
    expect(() => growBert2Bert(params, null, base, to, 'fpi', withHead(7, 5))).toThrow(/head map sends 7 to 5/);
    expect(() => growBert2Bert(params, null, base, to, 'fpi', withHead(8, 0))).toThrow(/head map sends 8 to 0/);
    const ok = growBert2Bert(params, null, base, to, 'fpi', withHead(7, 0));
    disposeAll(ok.params);
    expect(tf.memory().numTensors).toBe(before);
    disposeAll(params);
  });
});

describe('hidden.fpi', () => {
  it('grows every parameter to the grown shape, k integer or not', () => {
    for (const [label, from] of variants) {
      for (const d2 of [12, 16]) {
        for (const op of ['fpi', 'aki'] as const) {
          const to = { ...from, hidden: d2 };
          const before = tf.memory().numTensors;
          const params = trainedLike(from, 2);
          const adam = randomAdam(params, 3);
          const g = growHidden(params, adam, from, to, { op, rng: new Rng(4) });
          expect([...g.params.keys()], label).toEqual([...paramShapes(to).keys()]);
          for (const [name, shape] of paramShapes(to)) {
            expect(g.params.get(name)!.shape, `${label} ${op} ${name}`).toEqual(shape);
            expect(g.adam!.m.get(name)!.shape, `${label} ${op} m ${name}`).toEqual(shape);
            expect(g.adam!.v.get(name)!.shape, `${label} ${op} v ${name}`).toEqual(shape);
          }
          expect(g.adam!.step).toBe(adam.step);
          disposeAll(params, adam, g.params, g.adam);
          expect(tf.memory().numTensors, `${label} ${op} leaks`).toBe(before);
        }
      }
    }
  });

  // The divide-by-count rule, checked on what the weights compute (plain JS, the maps re-drawn
  // from the same seed and counted here): the copies of a read input add back up to the old input.
  it('reproduces every linear map: readers divided by the copy count, writers copied', () => {
    for (const d2 of [12, 16]) {
      const to = { ...base, hidden: d2 };
      const dh2 = d2 / H;
      const r = Math.sqrt(dh2 / dh);
      const params = trainedLike(base, 5);
      const g = growHidden(params, null, base, to, { op: 'fpi', rng: new Rng(6) });
      const maps = drawWidthMaps(base, to, new Rng(6));
      const gs = maps.stream;
      const c = counts(gs, 8);
      const x = Array.from({ length: 8 }, (_, i) => Math.sin(3 * i + 1));
      const xg = Array.from(gs, (i) => x[i]);
      const mul = (v: number[], w: number[][]) => w[0].map((_, col) => v.reduce((s, vi, i) => s + vi * w[i][col], 0));
      const tol = 1e-5;

      // FFN W1 (F not grown): x'·W1' = x·W1.
      const w1 = mul(x, rows(params, 'layers.0.ffn.w1.kernel'));
      mul(xg, rows(g.params, 'layers.0.ffn.w1.kernel')).forEach((y, f) => close(y, w1[f], tol, `W1 ${f}`));
      // mlm.dense writes the stream: x'·W' + b' = (x·W + b)[g].
      const dense = mul(x, rows(params, 'mlm.dense.kernel')).map((y, j) => y + vec(params, 'mlm.dense.bias')[j]);
      const dense2 = mul(xg, rows(g.params, 'mlm.dense.kernel')).map((y, j) => y + vec(g.params, 'mlm.dense.bias')[j]);
      dense2.forEach((y, j) => close(y, dense[gs[j]], tol, `mlm.dense ${j}`));

      for (let l = 0; l < base.layers; l++) {
        const gh = maps.heads[l];
        const ch = counts(gh, 8);
        const at = (name: string) => `layers.${l}.attn.${name}`;
        // k and v copied head unit by head unit.
        for (const m of ['k', 'v']) {
          const old = mul(x, rows(params, at(`${m}.kernel`))).map((y, i) => y + vec(params, at(`${m}.bias`))[i]);
          const grown = mul(xg, rows(g.params, at(`${m}.kernel`))).map((y, b) => y + vec(g.params, at(`${m}.bias`))[b]);
          grown.forEach((y, b) => close(y, old[gh[b]], tol, `layer ${l} ${m} ${b}`));
        }
        // q: each copy carries r/ch of it, so the copies of head unit i add up to r·q_i, and
        // q'·k' = r·q·k, which the scale 1/√d_h' = 1/(r·√d_h) turns back into the old score.
        const q = mul(x, rows(params, at('q.kernel'))).map((y, i) => y + vec(params, at('q.bias'))[i]);
        const q2 = mul(xg, rows(g.params, at('q.kernel'))).map((y, b) => y + vec(g.params, at('q.bias'))[b]);
        q2.forEach((y, b) => close(y, (r * q[gh[b]]) / ch[gh[b]], tol, `layer ${l} q ${b}`));
        // W_o reads the copied context, divided by the head counts, and writes the stream.
        const ctx = Array.from({ length: 8 }, (_, i) => Math.cos(2 * i + l));
        const o = mul(ctx, rows(params, at('o.kernel')));
        mul(Array.from(gh, (i) => ctx[i]), rows(g.params, at('o.kernel'))).forEach((y, j) => close(y, o[gs[j]], tol, `layer ${l} o ${j}`));
        // LayerNorm parameters of the stream are copied.
        vec(g.params, `layers.${l}.ffn.ln.gamma`).forEach((y, j) => expect(y).toBe(vec(params, `layers.${l}.ffn.ln.gamma`)[gs[j]]));
      }
      // Embeddings write the stream (copied); mlm.ln carries 1/c for the tied output, so the tied
      // logits t'·E'ᵀ over the copies equal t·Eᵀ.
      const tok = rows(params, 'emb.tok');
      rows(g.params, 'emb.tok').forEach((row, v) => row.forEach((y, j) => expect(y).toBe(tok[v][gs[j]])));
      const gamma = vec(params, 'mlm.ln.gamma');
      vec(g.params, 'mlm.ln.gamma').forEach((y, j) => close(y, gamma[gs[j]] / c[gs[j]], 1e-6, `mlm.ln.gamma ${j}`));
      const t = x.map((xi, i) => xi * gamma[i]);
      const t2 = xg.map((xi, j) => xi * vec(g.params, 'mlm.ln.gamma')[j]);
      const tok2 = rows(g.params, 'emb.tok');
      tok.forEach((row, v) => close(t2.reduce((s, tj, j) => s + tj * tok2[v][j], 0), t.reduce((s, ti, i) => s + ti * row[i], 0), tol, `logit ${v}`));
      expect(values(g.params, 'mlm.out.bias')).toEqual(values(params, 'mlm.out.bias'));
      disposeAll(params, g.params);
    }
  });

  it('preserves the logits exactly with a balanced map (every count k), pre-LN and post-LN, dense and factorized, pooled or not', async () => {
    const pools = [null, makePoolPlan(probe, 2, 'mean'), makePoolPlan(probe, 2, 'max')];
    for (const [label, from] of variants) {
      for (const k of [2, 3]) {
        const to = { ...from, hidden: 8 * k };
        const params = trainedLike(from, 7);
        const g = growBert2Bert(params, null, from, to, 'fpi', balancedMaps(from, to));
        for (const pool of pools) {
          const r = await growthCheck({ params, cfg: from, pool }, { params: g.params, cfg: to, pool }, probe);
          expect(r.maxAbsLogitDiff, `${label} k=${k} pool=${pool?.k ?? 'none'}`).toBeLessThan(1e-5);
          expect(r.lossBefore).toBeGreaterThan(0.5);
        }
        disposeAll(params, g.params);
      }
    }
  });

  // Uneven head counts alone change nothing: no LayerNorm runs over head units, and dividing q by
  // its head count keeps q·k exact for any counts. So the stream's counts are FPI's only jump.
  it('preserves the logits with a balanced stream map and drawn (uneven) head maps', async () => {
    for (const [label, from] of variants) {
      for (const k of [2, 3]) {
        const to = { ...from, hidden: 8 * k };
        const params = trainedLike(from, 19);
        const drawn = drawWidthMaps(from, to, new Rng(20));
        expect(drawn.heads.some((m) => new Set(counts(m, 8)).size > 1), 'head counts must be uneven for this test').toBe(true);
        const g = growBert2Bert(params, null, from, to, 'fpi', { stream: balancedMaps(from, to).stream, heads: drawn.heads });
        const r = await growthCheck({ params, cfg: from }, { params: g.params, cfg: to }, probe);
        expect(r.maxAbsLogitDiff, `${label} k=${k}`).toBeLessThan(1e-5);
        disposeAll(params, g.params);
      }
    }
  });

  // The paper's uniform draws give uneven counts, and LayerNorm's mean and variance over the grown
  // stream then differ from the old ones (bert2bert.ts derives it): not preserved under either norm.
  it('with the drawn (uneven) map changes the logits under pre-LN and post-LN alike', async () => {
    for (const [label, from] of variants) {
      for (const d2 of [12, 16]) {
        const to = { ...from, hidden: d2 };
        const params = trainedLike(from, 8);
        const maps = drawWidthMaps(from, to, new Rng(9));
        expect(new Set(counts(maps.stream, 8)).size, 'the draw must be uneven for this test').toBeGreaterThan(1);
        const g = growBert2Bert(params, null, from, to, 'fpi', maps);
        const r = await growthCheck({ params, cfg: from }, { params: g.params, cfg: to }, probe);
        expect(Number.isFinite(r.maxAbsLogitDiff), label).toBe(true);
        expect(r.maxAbsLogitDiff, `${label} d'=${d2}`).toBeGreaterThan(1e-3);
        disposeAll(params, g.params);
      }
    }
  });

  // With equal counts the carried moments are the grown model's own one-step moments, from
  // gradients autodiff computes independently of bert2bert.ts (as hidden.test.ts does for tile).
  for (const [label, from] of variants) {
    it(`carries moments as the grown model's one-step moments with a balanced map (${label})`, () => {
      for (const k of [2, 3]) {
        const to = { ...from, hidden: 8 * k };
        const params = trainedLike(from, 10);
        const adam = oneStepAdam(params, gradients(params, from, probe));
        const g = growBert2Bert(params, adam, from, to, 'fpi', balancedMaps(from, to));
        const g2 = gradients(g.params, to, probe);
        const floor = 1e-5 * Math.max(...[...g2.values()].map((gn) => Math.max(...gn.map(Math.abs))));
        for (const [name, gn] of g2) {
          const scale = Math.max(floor, ...gn.map(Math.abs));
          values(g.adam!.m, name).forEach((m, i) => expect(Math.abs(m - (1 - BETA1) * gn[i]), `${label} k=${k} m ${name}[${i}]`).toBeLessThanOrEqual(2e-4 * (1 - BETA1) * scale + 1e-9));
          values(g.adam!.v, name).forEach((v, i) => expect(Math.abs(v - (1 - BETA2) * gn[i] * gn[i]), `${label} k=${k} v ${name}[${i}]`).toBeLessThanOrEqual(4e-4 * (1 - BETA2) * scale * scale + 1e-12));
        }
        disposeAll(params, adam, g.params, g.adam);
      }
    });
  }

  it('scales carried moments by the uneven counts as derived (hand-computed entries)', () => {
    const to = { ...base, hidden: 12 };
    const r = Math.sqrt(6 / 4);
    const params = trainedLike(base, 11);
    const adam = randomAdam(params, 12);
    const maps = drawWidthMaps(base, to, new Rng(13));
    const g = growBert2Bert(params, adam, base, to, 'fpi', maps);
    const gs = maps.stream;
    const gh = maps.heads[1];
    const c = counts(gs, 8);
    const ch = counts(gh, 8);
    expect(new Set(c).size).toBeGreaterThan(1);
    // [name, source entry of grown [a, b], m factor]; v takes the factor squared.
    const cases: [string, (a: number, b: number) => [number, number], (a: number, b: number) => number][] = [
      ['layers.1.attn.q.kernel', (a, b) => [gs[a], gh[b]], () => 1 / r],
      ['layers.1.attn.k.kernel', (a, b) => [gs[a], gh[b]], (_, b) => 1 / ch[gh[b]]],
      ['layers.1.attn.o.kernel', (a, b) => [gh[a], gs[b]], (_, b) => 1 / c[gs[b]]],
      ['mlm.dense.kernel', (a, b) => [gs[a], gs[b]], (_, b) => 1 / c[gs[b]]],
      ['layers.1.ffn.w1.kernel', (a, b) => [gs[a], b], () => 1],
      ['layers.1.ffn.w2.kernel', (a, b) => [a, gs[b]], (_, b) => 1 / c[gs[b]]],
      ['emb.tok', (a, b) => [a, gs[b]], (_, b) => 1 / c[gs[b]]],
    ];
    for (const [name, src, f] of cases) {
      const m0 = rows(adam.m, name);
      const v0 = rows(adam.v, name);
      rows(g.adam!.m, name).forEach((row, a) => row.forEach((m, b) => {
        const [i, j] = src(a, b);
        close(m, m0[i][j] * f(a, b), 1e-6, `m ${name}[${a}, ${b}]`);
        close(rows(g.adam!.v, name)[a][b], v0[i][j] * f(a, b) ** 2, 1e-6, `v ${name}[${a}, ${b}]`);
      }));
    }
    // 1-D: b_q ÷r, b_v ÷ch, mlm.ln ×1, attn.ln ÷c.
    const oneD: [string, Int32Array, (j: number) => number][] = [
      ['layers.1.attn.q.bias', gh, () => 1 / r],
      ['layers.1.attn.v.bias', gh, (j) => 1 / ch[gh[j]]],
      ['mlm.ln.gamma', gs, () => 1],
      ['layers.0.attn.ln.beta', gs, (j) => 1 / c[gs[j]]],
    ];
    for (const [name, map, f] of oneD) {
      const m0 = vec(adam.m, name);
      vec(g.adam!.m, name).forEach((m, j) => close(m, m0[map[j]] * f(j), 1e-6, `m ${name}[${j}]`));
    }
    disposeAll(params, adam, g.params, g.adam);
  });
});

describe('hidden.aki', () => {
  const to = { ...base, hidden: 12 }; // heads of 4 → 6: head units at offset 4, 5 are new
  const isNewHead = (j: number) => j % 6 >= 4;

  it("takes layer l's new output units from layer l + 1 expanded the same way, the top layer from itself", () => {
    const params = trainedLike(base, 14);
    const adam = randomAdam(params, 15);
    const maps = drawWidthMaps(base, to, new Rng(16));
    const fpi = growBert2Bert(params, adam, base, to, 'fpi', maps);
    const aki = growBert2Bert(params, adam, base, to, 'aki', maps);
    // FPI of layer 1's weights with layer 0's maps: what layer 0's new units must hold.
    const upper = new Map([...params].filter(([n]) => n.startsWith('layers.1.')).map(([n, p]) => [n.replace('layers.1.', 'layers.0.'), p]));
    const upperAdam = { step: adam.step, m: new Map([...upper.keys()].map((n) => [n, adam.m.get(n.replace('layers.0.', 'layers.1.'))!])), v: new Map([...upper.keys()].map((n) => [n, adam.v.get(n.replace('layers.0.', 'layers.1.'))!])) };
    const oneLayer = { ...base, layers: 1 };
    const up = growBert2Bert(upper, upperAdam, oneLayer, { ...to, layers: 1 }, 'fpi', { stream: maps.stream, heads: [maps.heads[0]] });

    const q = rows(aki.params, 'layers.0.attn.q.kernel');
    q.forEach((row, a) => row.forEach((y, b) => expect(y).toBe(rows((isNewHead(b) ? up : fpi).params, 'layers.0.attn.q.kernel')[a][b])));
    const o = rows(aki.params, 'layers.0.attn.o.kernel');
    o.forEach((row, a) => row.forEach((y, b) => expect(y).toBe(rows((b >= 8 ? up : fpi).params, 'layers.0.attn.o.kernel')[a][b])));
    vec(aki.params, 'layers.0.ffn.ln.gamma').forEach((y, j) => expect(y).toBe(vec((j >= 8 ? up : fpi).params, 'layers.0.ffn.ln.gamma')[j]));
    // Moments of the new entries come from the upper layer's moments.
    vec(aki.adam!.m, 'layers.0.ffn.w2.bias').forEach((y, j) => expect(y).toBe(vec((j >= 8 ? up : fpi).adam!.m, 'layers.0.ffn.w2.bias')[j]));
    // Some new units really differ from FPI's (not vacuous).
    expect(values(aki.params, 'layers.0.attn.q.kernel')).not.toEqual(values(fpi.params, 'layers.0.attn.q.kernel'));
    // No output-side d axis (W1 rows), the top layer, embeddings and the MLM head: FPI's.
    for (const name of ['layers.0.ffn.w1.kernel', 'layers.1.attn.q.kernel', 'layers.1.ffn.w2.kernel', 'emb.tok', 'mlm.ln.gamma', 'mlm.dense.kernel']) {
      expect(values(aki.params, name), name).toEqual(values(fpi.params, name));
      expect(values(aki.adam!.v, name), name).toEqual(values(fpi.adam!.v, name));
    }
    disposeAll(params, adam, fpi.params, fpi.adam, aki.params, aki.adam, up.params, up.adam);
  });

  it('runs under pre-LN and post-LN and reports a finite jump', async () => {
    for (const [label, from] of variants) {
      const params = trainedLike(from, 17);
      const g = growHidden(params, null, from, { ...from, hidden: 16 }, { op: 'aki', rng: new Rng(18) });
      const r = await growthCheck({ params, cfg: from }, { params: g.params, cfg: { ...from, hidden: 16 } }, probe);
      expect(Number.isFinite(r.maxAbsLogitDiff), label).toBe(true);
      expect(r.maxAbsLogitDiff, label).toBeGreaterThan(1e-3);
      expect(Number.isFinite(r.lossAfter), label).toBe(true);
      disposeAll(params, g.params);
    }
  });
});

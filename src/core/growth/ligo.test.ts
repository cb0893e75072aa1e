import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../node/backends.ts';
import { loadCorpus } from '../../node/corpus.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../checkpoint/format.ts';
import { handBatch } from '../data/hand-batch.ts';
import { Rng } from '../data/rng.ts';
import { ConfigError } from '../errors.ts';
import { SIZES, type ModelConfig } from '../model/config.ts';
import { mlmLoss } from '../model/forward.ts';
import type { Params } from '../model/params.ts';
import { paramShapes } from '../model/shapes.ts';
import { Experiment } from '../run/experiment.ts';
import { matchBudget } from '../suite/budget.ts';
import type { ExperimentConfig } from '../run/config.ts';
import { ligoGrowthFlops, scheduleFlops, stageFlops } from '../schedule/flops.ts';
import { buildPreset, ligoPresetSteps } from '../schedule/presets.ts';
import { scheduleSpecSchema, type GrowthOps, type ScheduleSpec, type StageShape } from '../schedule/spec.ts';
import { validateSchedule } from '../schedule/validate.ts';
import { growthCheck } from './check.ts';
import { growModel } from './grow.ts';
import { createLigo, disposeLigo, ligoParams, materialiseLigo, type LigoOperator } from './ligo.ts';
import { ligoMaterialiseFlops, ligoOperatorSize } from './ligo-plan.ts';
import { trainLigo } from './ligo-train.ts';
import { disposeAll, trainedLike, TWO_HEADS_OF_4 } from './model.test-helper.ts';
import { growthOperator, growthOpsApplied } from './registry.ts';

beforeAll(async () => {
  await useNodeBackend('cpu');
});

const base = TWO_HEADS_OF_4;
const probe = handBatch();
const exactOps: GrowthOps = { depth: 'stack', width: 'share', widthNoise: 0 };
const snap = (m: Map<string, tf.Tensor>) => new Map([...m].map(([n, t]) => [n, Float32Array.from(t.dataSync())]));
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
};

function initOp(from: ModelConfig, to: ModelConfig, noise = 0, seed = 5): LigoOperator {
  return createLigo(from, to, { noise, rng: new Rng(seed) });
}

describe('LiGO shapes', () => {
  it.each<[string, Partial<ModelConfig>]>([
    ['depth', { layers: 4 }],
    ['FFN', { ffn: 24 }],
    ['hidden (tile, head dim ×2)', { hidden: 16 }],
    ['heads (×2 at the head dim)', { hidden: 16, heads: 4 }],
    ['all at once', { layers: 3, ffn: 16, hidden: 32, heads: 4 }],
  ])('grows %s to the grown config\'s parameter shapes', (_, change) => {
    const to = { ...base, ...change };
    const small = trainedLike(base, 1);
    const op = initOp(base, to, 0.01);
    const grown = ligoParams(op, small);
    expect([...grown.keys()]).toEqual([...paramShapes(to).keys()]);
    for (const [name, shape] of paramShapes(to)) expect(grown.get(name)!.shape, name).toEqual(shape);
    let entries = 0;
    for (const v of op.vars.values()) entries += v.size;
    expect(entries).toBe(ligoOperatorSize(base, to));
    disposeLigo(op);
    disposeAll(small, grown);
  });
});

/** Test-side rules, written out apart from ligo-plan.ts: [left, right] matrices of W' = L·W·Rᵀ. */
function expectedRule(name: string, j: number): [string | null, string | null] {
  const suffix = name.replace(/^layers\.\d+\./, '');
  const table: [RegExp, string | null, string | null][] = [
    [/^emb\.(tok|pos)$/, null, 'stream.B'],
    [/^mlm\.ln\./, null, 'stream.A'],
    [/^(emb|final)\.ln\./, null, 'stream.B'],
    [/^(attn|ffn)\.ln\./, null, 'stream.B'],
    [/^attn\.[qkv]\.kernel$/, 'stream.A', `attn.${j}.B`],
    [/^attn\.[qkv]\.bias$/, null, `attn.${j}.B`],
    [/^attn\.o\.kernel$/, `attn.${j}.A`, 'stream.B'],
    [/^attn\.o\.bias$/, null, 'stream.B'],
    [/^ffn\.w1\.kernel$/, 'stream.A', `ffn.${j}.B`],
    [/^ffn\.w1\.bias$/, null, `ffn.${j}.B`],
    [/^ffn\.w2\.kernel$/, `ffn.${j}.A`, 'stream.B'],
    [/^ffn\.w2\.bias$/, null, 'stream.B'],
    [/^mlm\.dense\.kernel$/, 'stream.A', 'stream.B'],
    [/^mlm\.dense\.bias$/, null, 'stream.B'],
    [/^mlm\.out\.bias$/, null, null],
  ];
  const hit = table.find(([re]) => re.test(suffix));
  if (!hit) throw new Error(`no test rule for ${name}`);
  return [hit[1], hit[2]];
}

/** Plain-loop L·W·Rᵀ on row-major arrays (W as rows × cols; a vector is one row). */
function expand(w: Float32Array, rows: number, cols: number, L: { data: Float32Array; n2: number } | null, R: { data: Float32Array; n2: number } | null): Float64Array {
  let cur = Float64Array.from(w);
  let r = rows;
  let c = cols;
  if (L) {
    const out = new Float64Array(L.n2 * c);
    for (let i = 0; i < L.n2; i++) for (let k = 0; k < r; k++) for (let x = 0; x < c; x++) out[i * c + x] += L.data[i * r + k] * cur[k * c + x];
    cur = out;
    r = L.n2;
  }
  if (R) {
    const out = new Float64Array(r * R.n2);
    for (let i = 0; i < r; i++) for (let y = 0; y < R.n2; y++) for (let x = 0; x < c; x++) out[i * R.n2 + y] += cur[i * c + x] * R.data[y * c + x];
    cur = out;
    c = R.n2;
  }
  return cur;
}

describe('LiGO materialisation', () => {
  it('equals the learned operator applied to the small weights, computed with plain loops (random operator)', () => {
    const to = { ...base, layers: 3, ffn: 16, hidden: 32, heads: 4 };
    const small = trainedLike(base, 2);
    const op = initOp(base, to);
    const rng = new Rng(11);
    for (const v of op.vars.values()) tf.tidy(() => v.assign(tf.tensor(Float32Array.from({ length: v.size }, () => rng.normal()), v.shape)));
    const grown = materialiseLigo(op, small);
    const mats = new Map([...op.vars].map(([n, v]) => [n, { data: v.dataSync() as Float32Array, n2: v.shape[0] }]));
    const W = snap(small);
    const shapesFrom = paramShapes(base);
    const qScale = Math.sqrt(4 / 8); // d_h 4 → 8
    for (const [name, shape] of paramShapes(to)) {
      const layer = /^layers\.(\d+)\.(.+)$/.exec(name);
      const expected = new Float64Array(shape.reduce((a, b) => a * b, 1));
      const sources = layer ? Array.from({ length: base.layers }, (_, j) => j) : [0];
      for (const j of sources) {
        const srcName = layer ? `layers.${j}.${layer[2]}` : name;
        const s = shapesFrom.get(srcName)!;
        const [rows, cols] = s.length === 1 ? [1, s[0]] : s;
        const [l, r] = expectedRule(srcName, j);
        const e = expand(W.get(srcName)!, rows, cols, l ? mats.get(l)! : null, r ? mats.get(r)! : null);
        const weight = (layer ? mats.get(`depth.${layer[2]}`)!.data[Number(layer[1]) * base.layers + j] : 1) * (/attn\.q\./.test(name) ? qScale : 1);
        for (let i = 0; i < e.length; i++) expected[i] += weight * e[i];
      }
      const got = grown.get(name)!.dataSync();
      const scale = Math.max(1, ...Array.from(expected, Math.abs));
      expect(maxDiff(got, expected) / scale, name).toBeLessThan(1e-5);
    }
    tf.dispose([...grown.values()]);
    disposeLigo(op);
    disposeAll(small);
  });

  it.each<[string, Partial<ModelConfig>, 'pre' | 'post']>([
    ['depth, FFN ×2, d ×2 (pre-LN)', { layers: 3, ffn: 16, hidden: 16 }, 'pre'],
    ['depth ×2, FFN ×3, d ×3 (post-LN)', { layers: 4, ffn: 24, hidden: 24 }, 'post'],
    ['FFN only', { ffn: 16 }, 'pre'],
  ])('at init without noise equals growModel(stack, share ε = 0, tile): %s', (_, change, norm) => {
    const from = { ...base, norm };
    const to = { ...from, ...change };
    const small = trainedLike(from, 3);
    const op = initOp(from, to);
    const ligo = ligoParams(op, small);
    const plain = growModel(small, null, from, to, exactOps, new Rng(1)).params;
    for (const [name, p] of plain) expect(maxDiff(ligo.get(name)!.dataSync(), p.dataSync()), name).toBeLessThan(1e-6);
    disposeLigo(op);
    disposeAll(small, ligo, plain);
  });

  it('with heads growing: old heads and everything outside the new heads\' q/k/v columns as heads.add; the function is kept', async () => {
    const to = { ...base, hidden: 32, heads: 4, ffn: 16 }; // d_h 4 → 8 (tile), heads 2 → 4 (add)
    const small = trainedLike(base, 4);
    const plain = growModel(small, null, base, to, exactOps, new Rng(1)).params;
    for (const noise of [0, 0.01]) {
      const op = initOp(base, to, noise);
      const ligo = ligoParams(op, small);
      for (const [name, p] of plain) {
        const a = ligo.get(name)!.arraySync();
        const b = p.arraySync();
        // New heads (q/k/v columns and biases 16..31) copy old heads in LiGO, are fresh (biases zero) in heads.add.
        if (/attn\.[qkv]\.kernel$/.test(name)) {
          // Rows read the stream through A, which the split perturbs.
          const cut = (m: number[][]) => m.map((row) => row.slice(0, 16)).flat();
          if (noise === 0) expect(maxDiff(cut(a as number[][]), cut(b as number[][])), name).toBeLessThan(1e-6);
        } else if (/attn\.[qkv]\.bias$/.test(name)) {
          expect(maxDiff((a as number[]).slice(0, 16), (b as number[]).slice(0, 16)), name).toBeLessThan(1e-6);
        } else if (noise === 0) {
          expect(maxDiff([a].flat(2) as number[], [b].flat(2) as number[]), name).toBeLessThan(1e-6);
        }
      }
      // The split keeps BᵀA = I, so with no depth growth the grown model computes the old function.
      const r = await growthCheck({ params: small, cfg: base }, { params: ligo, cfg: to }, probe);
      expect(r.maxAbsLogitDiff).toBeLessThan(1e-5);
      disposeLigo(op);
      disposeAll(ligo);
    }
    disposeAll(small, plain);
  });

  it('the split separates copies: paired copies of A differ, their sum is unchanged', () => {
    const to = { ...base, hidden: 16 };
    const op = initOp(base, to, 0.01, 9);
    const A = op.vars.get('stream.A')!.arraySync() as number[][];
    // Unit 0's copies are grown units 0 and 1: (1 ± ε·z)/2.
    expect(A[0][0]).not.toBeCloseTo(0.5, 6);
    expect(A[0][0] + A[1][0]).toBeCloseTo(1, 6);
    expect(Math.abs(A[0][0] - 0.5)).toBeLessThan(0.05);
    disposeLigo(op);
  });

  it('refuses a factorized FFN and shrinking dimensions', () => {
    expect(() => initOp({ ...base, ffnRank: 2 }, { ...base, layers: 4 })).toThrow(/LiGO expands dense weights; make the FFN dense first or drop LiGO/);
    expect(() => initOp({ ...base, layers: 3 }, base)).toThrow(ConfigError);
  });
});

describe('LiGO training', () => {
  it('lowers the grown model\'s loss, changes only the operator, leaks no tensors', async () => {
    const from = { ...base, dropout: 0 };
    const to = { ...from, layers: 3, ffn: 16, hidden: 16 };
    const small = trainedLike(from, 6);
    const before = snap(small);
    const tensorsBefore = tf.memory().numTensors;
    const op = initOp(from, to, 0.01);
    const lossOf = () => tf.tidy(() => mlmLoss(materialiseLigo(op, small) as unknown as Params, to, probe, { training: false }).dataSync()[0]);
    const lossInit = lossOf();
    const opInit = snap(op.vars);
    const losses = await trainLigo(op, small, {
      steps: 8,
      lr: 1e-2,
      hyper: { beta1: 0.9, beta2: 0.999, epsilon: 1e-6, clipNorm: 1 },
      source: { next: () => handBatch() },
      pool: null,
      seed: 1,
    });
    expect(losses.length).toBe(8);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[0]).toBeCloseTo(lossInit, 4);
    expect(lossOf()).toBeLessThan(lossInit);
    const changed = [...op.vars].filter(([n, v]) => maxDiff(v.dataSync(), opInit.get(n)!) > 0).map(([n]) => n);
    expect(changed).toContain('stream.B');
    expect(changed).toContain('depth.attn.q.kernel');
    for (const [name, v] of small) expect(maxDiff(v.dataSync(), before.get(name)!), name).toBe(0);
    disposeLigo(op);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    disposeAll(small);
  });
});

describe('LiGO FLOPs', () => {
  // V 40, n 8, d 8 → 16, L 1 → 2, H 2 (d_h 4 → 8), F 8 → 16, pre-LN.
  const target: ModelConfig = { ...base, hidden: 16, ffn: 16 };
  const from: ModelConfig = { ...base, layers: 1, hidden: 8, ffn: 8 };
  const to: ModelConfig = { ...target, layers: 2 };

  it('counts the materialisation\'s products by hand', () => {
    // x·Bᵀ on a [r, 8] matrix: 2·r·8·16; A·W on [8, c]: 2·16·8·c; a vector is a 1 × 8 row: 2·8·16 = 256.
    const vec = 2 * 1 * 8 * 16;
    const sq = 2 * 16 * 8 * 8 + 2 * 16 * 8 * 16; // A·W then ·Bᵀ for an 8×8 matrix: 2048 + 4096
    const emb = 2 * 40 * 8 * 16 + 2 * 8 * 8 * 16 + 2 * vec; // tok, pos, emb.ln
    const layer = 4 * (sq + vec) + 2 * vec + (sq + vec) + (sq + vec) + 2 * vec; // q k v o, attn.ln, w1, w2, ffn.ln
    const head = 2 * vec + (sq + vec) + 2 * vec; // final.ln, mlm.dense, mlm.ln (mlm.out.bias: none)
    const grownLayer = 4 * (16 * 16 + 16) + 2 * 16 + 2 * (16 * 16 + 16) + 2 * 16;
    const depth = 2 * 2 * 1 * grownLayer;
    expect(emb + layer + head + depth).toBe(66432);
    expect(ligoMaterialiseFlops(from, to)).toBe(66432);
  });

  it('adds N operator steps (grown model + products, ×3) plus one materialisation to the stage it makes; 0 without LiGO', () => {
    const shape = (s: Partial<StageShape>): StageShape => ({ layers: 2, ffnDiv: 1, ffnRank: 0, length: 'full', lengthFactor: 1, poolReduce: 'mean', ...s });
    const spec = (ops: Partial<GrowthOps>): ScheduleSpec => ({
      preset: 'custom',
      stages: [
        { shape: shape({ layers: 1, ffnDiv: 2, hiddenDiv: 2 }), steps: 3, lrPolicy: 'paper', optPolicy: 'fresh' },
        { shape: shape({}), steps: 4, lrPolicy: 'paper', optPolicy: 'fresh' },
      ],
      ops: { depth: 'stack', width: 'share', widthNoise: 0.05, ...ops },
    });
    const batch = { batchSize: 2, seqLen: 8, predsPerSeq: 2 };
    const plain = scheduleFlops(spec({}), target, batch);
    const ligo = scheduleFlops(spec({ ligoSteps: 5 }), target, batch);
    const fwd = stageFlops(to, { ...batch, pool: null }).forward;
    const growth = 3 * 5 * (fwd + 66432) + 66432;
    expect(ligoGrowthFlops(5, fwd, 66432)).toBe(growth);
    expect(plain.stages.map((s) => s.growthFlops)).toEqual([0, 0]);
    expect(ligo.stages.map((s) => s.growthFlops)).toEqual([0, growth]);
    expect(ligo.stages[1].growthForwardFlops).toBeCloseTo(growth / 3, 6);
    expect(ligo.forwardFlops).toBeCloseTo(plain.forwardFlops + growth / 3, 3);
    expect(ligo.flops).toBeCloseTo(plain.flops + growth, 3);
    expect(ligo.baselineFlops).toBe(plain.baselineFlops);
    expect(ligo.flopsSpeedup).toBeLessThan(plain.flopsSpeedup);
    // Stage steps themselves cost the same.
    expect(ligo.stages.map((s) => s.forwardFlops)).toEqual(plain.stages.map((s) => s.forwardFlops));
  });

  it('budget matching counts the growth as a fixed cost: the matched schedule costs what matchBudget says', () => {
    const big: ModelConfig = { ...base, layers: 4, hidden: 16, ffn: 64 };
    const batch = { batchSize: 2, seqLen: 8, predsPerSeq: 2 };
    const reference = buildPreset('compound', 400, big);
    const arm = buildPreset('ligo', 400, big, { ligoSteps: 20 });
    const m = matchBudget(reference, arm, big, batch);
    const plan = scheduleFlops(m.schedule, big, batch);
    expect(plan.stages[1].growthForwardFlops).toBeGreaterThan(0);
    expect(m.forwardFlops).toBeCloseTo(plan.forwardFlops, 0);
    const without = matchBudget(reference, { ...arm, ops: { ...arm.ops, ligoSteps: undefined } }, big, batch);
    // The growth's cost comes out of the small stage's steps.
    expect(m.schedule.stages[0].steps).toBeLessThan(without.schedule.stages[0].steps);
  });
});

describe('LiGO schedules', () => {
  const { model, train } = SIZES.tiny;
  const rejects = (spec: ScheduleSpec, steps = 100): ConfigError => {
    try {
      validateSchedule(spec, model, { seqLen: train.seqLen, steps });
    } catch (e) {
      if (e instanceof ConfigError) return e;
      throw e;
    }
    throw new Error('expected a ConfigError');
  };

  it('the preset: L/2, d/2, H/2, F/2 for 30%, then the full model; ligoSteps min(100, 5%), at least 1', () => {
    const s = buildPreset('ligo', 100, model);
    expect(s.stages.map((st) => [st.steps, st.shape.layers, st.shape.ffnDiv, st.shape.hiddenDiv, st.shape.headsDiv])).toEqual([
      [30, 1, 2, 2, 2],
      [70, 2, 1, undefined, undefined],
    ]);
    expect(s.ops.ligoSteps).toBe(5);
    expect(validateSchedule(s, model, { seqLen: train.seqLen, steps: 100 })).toBe(true);
    expect([1, 10, 2000, 1_000_000].map(ligoPresetSteps)).toEqual([1, 1, 100, 100]);
    // Odd heads: d/2 at all the heads (the head dimension doubles by tile).
    expect(buildPreset('ligo', 100, { ...model, heads: 1 }).stages[0].shape.headsDiv).toBeUndefined();
    expect(growthOpsApplied(s.stages[0].shape, s.stages[1].shape, s.ops, model).map((o) => o.id)).toEqual(['ligo']);
    expect(growthOperator('ligo').preserving).toBe('never');
  });

  it('refuses LiGO with MSG, from a factorized FFN and with ligoSteps below 1, naming the field', () => {
    const s = buildPreset('ligo', 100, model);
    expect(rejects({ ...s, ops: { ...s.ops, msgRamp: 5 } }).field).toBe('ops.ligoSteps');
    expect(rejects({ ...s, ops: { ...s.ops, msgRamp: 5 } }).message).toMatch(/not both/);
    for (const bad of [0, -1, 2.5]) expect(rejects({ ...s, ops: { ...s.ops, ligoSteps: bad } }).field).toBe('ops.ligoSteps');
    const factorized = { ...s, stages: [{ ...s.stages[0], shape: { ...s.stages[0].shape, ffnRank: 4 } }, s.stages[1]] };
    const e = rejects(factorized);
    expect(e.field).toBe('stages[0].shape.ffnRank');
    expect(e.message).toMatch(/LiGO expands dense weights: make the FFN dense first \(ffnRank 0\) or drop LiGO/);
    // Schema: old schedules (no ligoSteps) parse; 0 does not.
    expect(scheduleSpecSchema.safeParse(buildPreset('compound', 100, model)).success).toBe(true);
    expect(scheduleSpecSchema.safeParse({ ...s, ops: { ...s.ops, ligoSteps: 0 } }).success).toBe(false);
  });

  it('an Experiment grows by LiGO: the event lists ligo, its wall time and FLOPs, and a resumed run matches (cpu)', async () => {
    const corpus = await loadCorpus();
    const steps = 12;
    const schedule = { ...buildPreset('ligo', steps, model), ops: { ...buildPreset('ligo', steps, model).ops, ligoSteps: 3 } };
    const config: ExperimentConfig = {
      size: 'tiny',
      model,
      train: { ...train, steps, warmupSteps: 2, logEvery: 5, evalEvery: 6, evalBatches: 1 },
      schedule,
      seed: 4,
    };
    const taken: Awaited<ReturnType<Experiment['checkpoint']>>[] = [];
    const exp = new Experiment(config, corpus, 'cpu', { onCheckpoint: (c) => taken.push(c) }, { checkpointEvery: 2 });
    while (!exp.done) await exp.step();
    const r = exp.record;
    const plan = exp.flops;
    exp.dispose();
    expect(r.stages.map((s) => s.endStep)).toEqual([4, 12]);
    expect(r.growthEvents.length).toBe(1);
    const g = r.growthEvents[0];
    expect(g.ops).toEqual(['ligo']);
    expect(g.preserving).toBe(false);
    expect(g.wallMs).toBeGreaterThan(0);
    expect(g.forwardFlops).toBe(plan.stages[1].growthForwardFlops);
    expect(g.forwardFlops).toBeGreaterThan(0);
    expect(Number.isFinite(g.ligoLoss!.first) && Number.isFinite(g.ligoLoss!.last)).toBe(true);
    expect(r.stages[1].flops).toBeCloseTo(plan.stages[1].forwardFlops + plan.stages[1].growthForwardFlops, 3);
    expect(r.steps.every((m) => Number.isFinite(m.loss))).toBe(true);
    // Resumed before the growth: LiGO's batches and split come from the checkpointed state, so the run is the same.
    const early = taken.find((c) => c.stageIndex === 0 && c.step === 2)!;
    const resumed = Experiment.fromCheckpoint(decodeCheckpoint(encodeCheckpoint(early)), corpus, 'cpu');
    while (!resumed.done) await resumed.step();
    const rr = resumed.record;
    resumed.dispose();
    expect(rr.steps.map((m) => m.loss)).toEqual(r.steps.map((m) => m.loss));
    expect(rr.growthEvents[0].ligoLoss).toEqual(g.ligoLoss);
  }, 120_000);
});

import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../node/backends.ts';
import type { MlmBatch } from '../data/batch.ts';
import { Rng } from '../data/rng.ts';
import type { ModelConfig, PoolReduce } from './config.ts';
import { encode, mlmForward, mlmLoss, type ForwardOptions } from './forward.ts';
import { disposeParams, initParams, type Params } from './params.ts';
import { makePoolPlan } from './pool-plan.ts';

beforeAll(async () => {
  await useNodeBackend('cpu');
});

const base: ModelConfig = {
  vocabSize: 50, hidden: 8, layers: 2, heads: 2, ffn: 16, ffnRank: 0, maxLen: 10, norm: 'post', dropout: 0, lnEps: 1e-12,
};
const B = 2, n = 8, P = 2;

/**
 * Row 0: 8 real tokens, positions 2 and 5 masked. Row 1: 5 real tokens then [PAD]s, position 3
 * masked and a padding prediction slot (position 0 of the row, weight 0).
 */
function handBatch(): MlmBatch {
  return {
    batchSize: B, seqLen: n, predsPerSeq: P,
    inputIds: Int32Array.from([2, 11, 4, 13, 14, 4, 16, 3, 2, 21, 22, 4, 3, 0, 0, 0]),
    attentionMask: Float32Array.from([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]),
    maskedPositions: Int32Array.from([2, 5, 8 + 3, 8]),
    maskedLabels: Int32Array.from([12, 15, 23, 0]),
    maskedWeights: Float32Array.from([1, 1, 1, 0]),
    realTokens: 13,
  };
}

/** Slots of the k=2 pooled stream of handBatch, written out by hand: [CLS], windows of unmasked tokens, masked tokens. */
const HAND_SLOTS_K2 = [
  [[0], [1, 3], [4, 6], [7], [2], [5]],
  [[0], [1, 2], [4], [3]],
];

/** Initial weights are too small for a discriminating test (attention ≈ uniform, FFN ≈ linear): spread them. */
function randomParams(cfg: ModelConfig, seed: number): Params {
  const params = initParams(cfg, seed);
  const rng = new Rng(seed + 1000);
  for (const [name, p] of params) {
    const scale = name.endsWith('gamma') ? 0.2 : name.startsWith('emb.') || name.endsWith('kernelA') || name.endsWith('kernelB') ? 0.5 : 0.4;
    const offset = name.endsWith('gamma') ? 1 : 0;
    const v = Float32Array.from({ length: p.size }, () => offset + scale * rng.normal());
    tf.tidy(() => p.assign(tf.tensor(v, p.shape)));
  }
  return params;
}

const lossOf = (params: Params, cfg: ModelConfig, batch: MlmBatch, opts: ForwardOptions): number =>
  tf.tidy(() => mlmLoss(params, cfg, batch, opts).dataSync()[0]);

// ---- An independent plain-JS reference of the model (pads dropped instead of masked) ----

type Mat = number[][];
const erf = (x: number): number => {
  // Abramowitz–Stegun 7.1.26, |error| < 1.5e-7.
  const s = Math.sign(x), a = Math.abs(x), t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
};
const geluJs = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));
const mm = (a: Mat, b: Mat): Mat => a.map((r) => b[0].map((_, j) => r.reduce((s, x, k) => s + x * b[k][j], 0)));
const addRow = (a: Mat, v: number[]): Mat => a.map((r) => r.map((x, j) => x + v[j]));
const addMat = (a: Mat, b: Mat): Mat => a.map((r, i) => r.map((x, j) => x + b[i][j]));
const transpose = (a: Mat): Mat => a[0].map((_, j) => a.map((r) => r[j]));

function reference(params: Params, cfg: ModelConfig, batch: MlmBatch, slots: number[][][] | null, reduce: PoolReduce): { loss: number; logits: Mat } {
  const g = (name: string) => params.get(name)!.arraySync() as unknown;
  const vec = (name: string) => g(name) as number[];
  const mat = (name: string) => g(name) as Mat;
  const ln = (x: Mat, prefix: string): Mat => x.map((r) => {
    const mu = r.reduce((a, b) => a + b, 0) / r.length;
    const v = r.reduce((a, b) => a + (b - mu) ** 2, 0) / r.length;
    return r.map((y, j) => ((y - mu) / Math.sqrt(v + cfg.lnEps)) * vec(`${prefix}.gamma`)[j] + vec(`${prefix}.beta`)[j]);
  });
  const lin = (x: Mat, prefix: string): Mat => {
    const w = params.has(`${prefix}.kernel`) ? mat(`${prefix}.kernel`) : mm(mat(`${prefix}.kernelA`), mat(`${prefix}.kernelB`));
    return addRow(mm(x, w), vec(`${prefix}.bias`));
  };
  const dh = cfg.hidden / cfg.heads;
  const attend = (xq: Mat, xkv: Mat, prefix: string): Mat => {
    const q = lin(xq, `${prefix}.q`), k = lin(xkv, `${prefix}.k`), v = lin(xkv, `${prefix}.v`);
    const ctx = xq.map(() => new Array<number>(cfg.hidden).fill(0));
    for (let h = 0; h < cfg.heads; h++) {
      const cols = Array.from({ length: dh }, (_, c) => h * dh + c);
      q.forEach((qi, i) => {
        const s = k.map((kj) => cols.reduce((a, c) => a + qi[c] * kj[c], 0) / Math.sqrt(dh));
        const m = Math.max(...s);
        const e = s.map((x) => Math.exp(x - m));
        const z = e.reduce((a, b) => a + b, 0);
        for (const c of cols) ctx[i][c] = e.reduce((a, ej, j) => a + (ej / z) * v[j][c], 0);
      });
    }
    return lin(ctx, `${prefix}.o`);
  };
  const ffn = (x: Mat, prefix: string) => lin(lin(x, `${prefix}.w1`).map((r) => r.map(geluJs)), `${prefix}.w2`);

  const predRows: number[][] = [];
  const hidden: Mat[] = [];
  for (let b = 0; b < batch.batchSize; b++) {
    const n0 = batch.seqLen;
    const real = Array.from({ length: n0 }, (_, t) => t).filter((t) => batch.attentionMask[b * n0 + t] > 0);
    const tok = mat('emb.tok'), pos = mat('emb.pos');
    const x0 = ln(real.map((t) => tok[batch.inputIds[b * n0 + t]].map((x, j) => x + pos[t][j])), 'emb.ln');
    const rowOf = (t: number) => real.indexOf(t);
    const groups = slots ? slots[b] : real.map((t) => [t]);
    let x = groups.map((grp) => x0[0].map((_, j) => {
      const vals = grp.map((t) => x0[rowOf(t)][j]);
      return reduce === 'max' ? Math.max(...vals) : vals.reduce((a, c) => a + c, 0) / vals.length;
    }));
    let kv = x0;
    for (let i = 0; i < cfg.layers; i++) {
      const l = `layers.${i}`;
      if (cfg.norm === 'post') {
        x = ln(addMat(x, attend(x, kv, `${l}.attn`)), `${l}.attn.ln`);
        x = ln(addMat(x, ffn(x, `${l}.ffn`)), `${l}.ffn.ln`);
      } else {
        x = addMat(x, attend(ln(x, `${l}.attn.ln`), ln(kv, `${l}.attn.ln`), `${l}.attn`));
        x = addMat(x, ffn(ln(x, `${l}.ffn.ln`), `${l}.ffn`));
      }
      kv = x;
    }
    if (cfg.norm === 'pre') x = ln(x, 'final.ln');
    hidden.push(x);
    for (let j = 0; j < batch.predsPerSeq; j++) {
      const t = batch.maskedPositions[b * batch.predsPerSeq + j] - b * n0;
      const slot = groups.findIndex((grp) => grp.length === 1 && grp[0] === t);
      predRows.push(x[slot]);
    }
  }
  const t = ln(lin(predRows, 'mlm.dense').map((r) => r.map(geluJs)), 'mlm.ln');
  const logits = addRow(mm(t, transpose(mat('emb.tok'))), vec('mlm.out.bias'));
  let num = 0, den = 0;
  logits.forEach((r, i) => {
    const m = Math.max(...r);
    const lse = m + Math.log(r.reduce((a, x) => a + Math.exp(x - m), 0));
    num += batch.maskedWeights[i] * (lse - r[batch.maskedLabels[i]]);
    den += batch.maskedWeights[i];
  });
  return { loss: num / den, logits };
}

describe('mlmForward against a plain-JS reference', () => {
  const cases: [string, Partial<ModelConfig>, number, PoolReduce][] = [
    ['post-LN, dense FFN', {}, 0, 'mean'],
    ['pre-LN, factorized FFN', { norm: 'pre', ffnRank: 3 }, 0, 'mean'],
    ['post-LN, mean pooling k=2', {}, 2, 'mean'],
    ['pre-LN, max pooling k=2', { norm: 'pre' }, 2, 'max'],
  ];
  for (const [label, over, k, reduce] of cases) {
    it(label, () => {
      const cfg = { ...base, ...over };
      const params = randomParams(cfg, 3);
      const batch = handBatch();
      const pool = k ? makePoolPlan(batch, k, reduce) : null;
      const ref = reference(params, cfg, batch, k ? HAND_SLOTS_K2 : null, reduce);
      const out = mlmForward(params, cfg, batch, { training: false, pool });
      expect(out.logits.shape).toEqual([B * P, cfg.vocabSize]);
      const logits = out.logits.arraySync();
      expect(out.loss.dataSync()[0]).toBeCloseTo(ref.loss, 4);
      // The padding prediction (last slot) reads [CLS]: compare the three real ones.
      for (const i of [0, 1, 2]) for (let v = 0; v < cfg.vocabSize; v++) expect(logits[i][v]).toBeCloseTo(ref.logits[i][v], 3);
      out.loss.dispose();
      out.logits.dispose();
      disposeParams(params);
    });
  }

  it('uses only positions 0..n-1 of emb.pos and runs shorter sequences than maxLen', () => {
    const params = randomParams(base, 4);
    const batch = handBatch();
    const before = lossOf(params, base, batch, { training: false });
    // Rows 8 and 9 of emb.pos are beyond n = 8.
    const pos = params.get('emb.pos')!;
    tf.tidy(() => pos.assign(tf.concat([tf.slice(pos, [0, 0], [8, 8]), tf.fill([2, 8], 5)])));
    expect(lossOf(params, base, batch, { training: false })).toBe(before);
    disposeParams(params);
  });
});

describe('masking', () => {
  it('[PAD] positions do not change the loss, real positions do', () => {
    for (const pool of [null, 'mean', 'max'] as const) {
      const params = randomParams(base, 5);
      const batch = handBatch();
      const plan = () => (pool ? makePoolPlan(batch, 2, pool) : null);
      const before = lossOf(params, base, batch, { training: false, pool: plan() });
      batch.inputIds.set([17, 33, 48], 13);
      expect(lossOf(params, base, batch, { training: false, pool: plan() })).toBe(before);
      batch.inputIds[9] = 30;
      expect(Math.abs(lossOf(params, base, batch, { training: false, pool: plan() }) - before)).toBeGreaterThan(1e-4);
      disposeParams(params);
    }
  });

  it('weights the loss by maskedWeights: a zero-weight slot does not count', () => {
    const params = randomParams(base, 6);
    const batch = handBatch();
    const before = lossOf(params, base, batch, { training: false });
    batch.maskedLabels[3] = 40;
    expect(lossOf(params, base, batch, { training: false })).toBe(before);
    disposeParams(params);
  });
});

describe('gradients match central finite differences', () => {
  function checkGrads(cfg: ModelConfig, pool: ReturnType<typeof makePoolPlan> | null): void {
    const params = randomParams(cfg, 7);
    const batch = handBatch();
    const opts: ForwardOptions = { training: false, pool };
    const names = [...params.keys()];
    const grads = tf.tidy(() => {
      const { grads: g } = tf.variableGrads(() => mlmLoss(params, cfg, batch, opts), names.map((nm) => params.get(nm)!));
      return names.map((nm) => (g[params.get(nm)!.name].dataSync() as Float32Array).slice());
    });
    const rng = new Rng(99);
    const eps = 5e-3;
    const lossAt = (p: tf.Variable, orig: Float32Array, dir: Float32Array, h: number): number => {
      tf.tidy(() => p.assign(tf.tensor(orig.map((x, i) => x + h * dir[i]), p.shape)));
      return lossOf(params, cfg, batch, opts);
    };
    names.forEach((name, t) => {
      const p = params.get(name)!;
      const orig = (p.dataSync() as Float32Array).slice();
      const g = grads[t];
      const gNorm = Math.sqrt(g.reduce((a, x) => a + x * x, 0));
      const u = Float32Array.from({ length: p.size }, () => rng.normal());
      const uNorm = Math.sqrt(u.reduce((a, x) => a + x * x, 0));
      const dir = u.map((x, i) => x / uNorm + (gNorm > 0 ? g[i] / gNorm : 0));
      const analytic = grads[t].reduce((a, g, i) => a + g * dir[i], 0);
      const numeric = (lossAt(p, orig, dir, eps) - lossAt(p, orig, dir, -eps)) / (2 * eps);
      tf.tidy(() => p.assign(tf.tensor(orig, p.shape)));
      const err = Math.abs(analytic - numeric) / Math.max(Math.abs(analytic), Math.abs(numeric), 2e-2);
      expect(err, `${name}: analytic ${analytic} vs numeric ${numeric}`).toBeLessThan(1e-2);
    });
    // Single coordinates: the largest gradient entry of a few tensors.
    for (const name of ['emb.tok', 'layers.0.attn.q.kernel', 'layers.1.ffn.ln.gamma', 'mlm.out.bias']) {
      const t = names.indexOf(name);
      const p = params.get(name)!;
      const orig = (p.dataSync() as Float32Array).slice();
      const g = grads[t];
      const at = g.reduce((best, x, i) => (Math.abs(x) > Math.abs(g[best]) ? i : best), 0);
      const dir = new Float32Array(p.size);
      dir[at] = 1;
      const numeric = (lossAt(p, orig, dir, eps) - lossAt(p, orig, dir, -eps)) / (2 * eps);
      tf.tidy(() => p.assign(tf.tensor(orig, p.shape)));
      expect(Math.abs(g[at] - numeric) / Math.abs(g[at]), `${name}[${at}]`).toBeLessThan(1e-2);
    }
    disposeParams(params);
  }

  it('post-LN', () => checkGrads(base, null));
  it('pre-LN', () => checkGrads({ ...base, norm: 'pre' }, null));
  it('factorized FFN', () => checkGrads({ ...base, ffnRank: 3 }, null));
  it('mean pooling k=2', () => checkGrads(base, makePoolPlan(handBatch(), 2, 'mean')));
});

describe('pooling in the forward pass', () => {
  it('k=1 mean pooling only reorders the stream: same loss as no pooling', () => {
    for (const norm of ['post', 'pre'] as const) {
      const cfg = { ...base, norm };
      const params = randomParams(cfg, 8);
      const batch = handBatch();
      const plain = lossOf(params, cfg, batch, { training: false });
      expect(lossOf(params, cfg, batch, { training: false, pool: makePoolPlan(batch, 1, 'mean') })).toBeCloseTo(plain, 5);
      disposeParams(params);
    }
  });

  it('k=2 pooling changes the loss, and max differs from mean', () => {
    const params = randomParams(base, 9);
    const batch = handBatch();
    const plain = lossOf(params, base, batch, { training: false });
    const mean = lossOf(params, base, batch, { training: false, pool: makePoolPlan(batch, 2, 'mean') });
    const max = lossOf(params, base, batch, { training: false, pool: makePoolPlan(batch, 2, 'max') });
    expect(Math.abs(mean - plain)).toBeGreaterThan(1e-3);
    expect(Math.abs(max - mean)).toBeGreaterThan(1e-3);
    disposeParams(params);
  });

  it('encode returns [B, n, d], or [B, queryLen, d] with [CLS] first when pooling', () => {
    const params = randomParams(base, 10);
    const batch = handBatch();
    const ids = tf.tensor2d(batch.inputIds, [B, n], 'int32');
    const mask = batch.attentionMask;
    const full = encode(params, base, ids, mask, { training: false });
    const plan = makePoolPlan(batch, 1, 'mean');
    const pooled = encode(params, base, ids, mask, { training: false, pool: plan });
    expect(full.shape).toEqual([B, n, 8]);
    expect(pooled.shape).toEqual([B, plan.queryLen, 8]);
    // k=1 is a reordering, so [CLS] (slot 0 and position 0) has the same final state.
    const a = full.arraySync(), b = pooled.arraySync();
    for (let r = 0; r < B; r++) for (let j = 0; j < 8; j++) expect(b[r][0][j]).toBeCloseTo(a[r][0][j], 4);
    tf.dispose([ids, mask, full, pooled]);
    disposeParams(params);
  });
});

describe('dropout', () => {
  const cfg = { ...base, dropout: 0.3 };
  it('is a function of dropoutSeed, and off when not training', () => {
    const params = randomParams(cfg, 11);
    const batch = handBatch();
    for (const pool of [null, makePoolPlan(batch, 2, 'mean')]) {
      const a = lossOf(params, cfg, batch, { training: true, dropoutSeed: 1, pool });
      expect(lossOf(params, cfg, batch, { training: true, dropoutSeed: 1, pool })).toBe(a);
      expect(Math.abs(lossOf(params, cfg, batch, { training: true, dropoutSeed: 2, pool }) - a)).toBeGreaterThan(1e-4);
      const evalLoss = lossOf(params, cfg, batch, { training: false, pool });
      expect(Math.abs(evalLoss - a)).toBeGreaterThan(1e-4);
      expect(evalLoss).toBe(lossOf(params, { ...cfg, dropout: 0 }, batch, { training: true, pool }));
    }
    expect(() => lossOf(params, cfg, batch, { training: true })).toThrow(/dropoutSeed/);
    disposeParams(params);
  });
});

describe('memory', () => {
  it('mlmLoss in tf.tidy, gradients and mlmForward leave the tensor count flat: 5 calls vs 50', () => {
    const cfg = { ...base, dropout: 0.1 };
    const params = randomParams(cfg, 12);
    const batch = handBatch();
    const plan = makePoolPlan(batch, 2, 'mean');
    const call = (i: number) => {
      tf.tidy(() => {
        mlmLoss(params, cfg, batch, { training: true, dropoutSeed: i, pool: i % 2 ? plan : null });
        tf.variableGrads(() => mlmLoss(params, cfg, batch, { training: true, dropoutSeed: i, pool: plan }), [...params.values()]);
      });
      const out = mlmForward(params, cfg, batch, { training: false });
      tf.dispose([out.loss, out.logits]);
    };
    for (let i = 0; i < 5; i++) call(i);
    const after5 = tf.memory().numTensors;
    for (let i = 5; i < 50; i++) call(i);
    expect(tf.memory().numTensors).toBe(after5);
    disposeParams(params);
  });
});

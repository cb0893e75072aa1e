import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../node/backends.ts';
import type { MlmBatch } from '../data/batch.ts';
import { handBatch } from '../data/hand-batch.ts';
import { Rng } from '../data/rng.ts';
import { ConfigError } from '../errors.ts';
import { poolRows } from './pooling.ts';
import { makePoolPlan, poolQueryLen } from './pool-plan.ts';
import type { PoolReduce } from './config.ts';

beforeAll(async () => {
  await useNodeBackend('cpu');
});


describe('makePoolPlan', () => {
  it('builds the k=2 plan written out by hand', () => {
    const plan = makePoolPlan(handBatch(), 2, 'mean');
    // 1 + 2 + ceil((8 - 1 - 2) / 2) = 6.
    expect(plan.queryLen).toBe(6);
    // Row 0 slots: [CLS], [1,3], [4,6], [7], masked 2, masked 5. Row 1 (rows 8..15): [CLS], [9,10], [12], masked 11, two empty.
    expect(Array.from(plan.sourceRows)).toEqual([
      0, 0, 1, 3, 4, 6, 7, 0, 2, 0, 5, 0,
      8, 8, 9, 10, 12, 8, 11, 8, 8, 8, 8, 8,
    ]);
    expect(Array.from(plan.sourceWeights)).toEqual([
      1, 0, 0.5, 0.5, 0.5, 0.5, 1, 0, 1, 0, 1, 0,
      1, 0, 0.5, 0.5, 1, 0, 1, 0, 0, 0, 0, 0,
    ]);
    expect(Array.from(plan.queryMask)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
    // Predictions read their own slots; the padding prediction reads row 1's [CLS] slot.
    expect(Array.from(plan.maskedPositions)).toEqual([4, 5, 6 + 3, 6]);
  });

  it('max plans weight every member 1', () => {
    const plan = makePoolPlan(handBatch(), 2, 'max');
    expect(Array.from(plan.sourceWeights.slice(0, 12))).toEqual([1, 0, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0]);
  });

  it('k=1 keeps every real token once', () => {
    const plan = makePoolPlan(handBatch(), 1, 'mean');
    expect(plan.queryLen).toBe(8);
    expect(Array.from(plan.sourceRows)).toEqual([0, 1, 3, 4, 6, 7, 2, 5, 8, 9, 10, 12, 11, 8, 8, 8]);
    expect(Array.from(plan.queryMask)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
  });

  it('rejects a bad window, reduce or masked position, naming the field', () => {
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof ConfigError ? e.field : 'not a ConfigError';
      }
      return 'no error';
    };
    expect(err(() => makePoolPlan(handBatch(), 0, 'mean'))).toBe('pool.k');
    expect(err(() => makePoolPlan(handBatch(), 1.5, 'mean'))).toBe('pool.k');
    expect(err(() => makePoolPlan(handBatch(), 2, 'median' as PoolReduce))).toBe('pool.reduce');
    const b = handBatch();
    b.maskedPositions[2] = 3;
    expect(err(() => makePoolPlan(b, 2, 'mean'))).toBe('batch.maskedPositions');
  });
});

describe('poolQueryLen', () => {
  it('is the largest slot count any batch can need, and some batch needs it', () => {
    const rng = new Rng(5);
    for (let n = 2; n <= 10; n++) {
      for (let P = 0; P <= 4; P++) {
        for (let k = 1; k <= 4; k++) {
          const Q = poolQueryLen(n, P, k);
          let most = 0;
          for (let trial = 0; trial < 30; trial++) {
            const real = trial === 0 ? n : 1 + rng.int(n);
            const positions = Array.from({ length: P }, (_, j) => (trial === 0 ? Math.min(1 + j, n - 1) : rng.int(real)));
            const batch: MlmBatch = {
              batchSize: 1, seqLen: n, predsPerSeq: P,
              inputIds: new Int32Array(n).fill(7),
              attentionMask: Float32Array.from({ length: n }, (_, t) => (t < real ? 1 : 0)),
              maskedPositions: Int32Array.from(positions),
              maskedLabels: new Int32Array(P), maskedWeights: new Float32Array(P).fill(1), realTokens: real,
            };
            const plan = makePoolPlan(batch, k, 'mean');
            expect(plan.queryLen).toBe(Q);
            most = Math.max(most, plan.queryMask.reduce((a, x) => a + x, 0));
          }
          expect(most, `n=${n} P=${P} k=${k}`).toBe(Q);
        }
      }
    }
  });
});

describe('poolRows', () => {
  it('pools rows by hand-computed mean and max, empty slots zero', () => {
    // Row r of the stream is [r, 10 - 2r, (r % 3) - 1].
    const x = tf.tensor2d(Array.from({ length: 16 }, (_, r) => [r, 10 - 2 * r, (r % 3) - 1]));
    const mean = poolRows(x, makePoolPlan(handBatch(), 2, 'mean')).arraySync();
    const max = poolRows(x, makePoolPlan(handBatch(), 2, 'max')).arraySync();
    expect(mean.length).toBe(12);
    expect(mean[0]).toEqual([0, 10, -1]);
    expect(mean[1]).toEqual([2, 6, -0.5]); // rows 1 and 3: [1, 8, 0], [3, 4, -1]
    expect(mean[2]).toEqual([5, 0, -0.5]); // rows 4 and 6: [4, 2, 0], [6, -2, -1]
    expect(mean[3]).toEqual([7, -4, 0]);
    expect(mean[7]).toEqual([9.5, -9, -0.5]); // rows 9 and 10: [9, -8, -1], [10, -10, 0]
    expect(mean[10]).toEqual([0, 0, 0]);
    expect(max[1]).toEqual([3, 8, 0]);
    expect(max[2]).toEqual([6, 2, 0]);
    expect(max[3]).toEqual([7, -4, 0]);
    expect(max[7]).toEqual([10, -8, 0]);
    expect(max[8]).toEqual([12, -14, -1]);
    expect(max[11].map(Math.abs)).toEqual([0, 0, 0]);
    x.dispose();
  });
});

describe('mean pooling gradient', () => {
  it('equals the scatter-add over every member, on random batches', () => {
    const rng = new Rng(17);
    for (let trial = 0; trial < 25; trial++) {
      const B = 1 + rng.int(3);
      const n = 2 + rng.int(9);
      const P = rng.int(4);
      const k = 1 + rng.int(3);
      const d = 1 + rng.int(4);
      const attentionMask = new Float32Array(B * n);
      const maskedPositions = new Int32Array(B * P);
      for (let b = 0; b < B; b++) {
        const real = 1 + rng.int(n);
        attentionMask.fill(1, b * n, b * n + real);
        for (let j = 0; j < P; j++) maskedPositions[b * P + j] = b * n + rng.int(real);
      }
      const batch: MlmBatch = {
        batchSize: B, seqLen: n, predsPerSeq: P, inputIds: new Int32Array(B * n).fill(7), attentionMask, maskedPositions,
        maskedLabels: new Int32Array(B * P), maskedWeights: new Float32Array(B * P).fill(1), realTokens: B * n,
      };
      const plan = makePoolPlan(batch, k, 'mean');
      const rows = B * plan.queryLen;
      const dy = Float32Array.from({ length: rows * d }, () => rng.normal());
      // Independent: every member adds its weight times its slot's gradient to its stream row.
      const want = new Float64Array(B * n * d);
      for (let at = 0; at < rows * k; at++) {
        const slot = Math.floor(at / k);
        for (let c = 0; c < d; c++) want[plan.sourceRows[at] * d + c] += plan.sourceWeights[at] * dy[slot * d + c];
      }
      const x = tf.tensor2d(Float32Array.from({ length: B * n * d }, () => rng.normal()), [B * n, d]);
      const got = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(poolRows(t as tf.Tensor2D, plan), tf.tensor2d(dy, [rows, d]))))(x);
      const g = got.dataSync();
      for (let i = 0; i < want.length; i++) expect(g[i], `trial ${trial} entry ${i}`).toBeCloseTo(want[i], 5);
      tf.dispose([x, got]);
    }
  });
});

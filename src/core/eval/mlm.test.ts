import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../node/backends.ts';
import type { MlmBatch } from '../data/batch.ts';
import { ConfigError } from '../errors.ts';
import type { ModelConfig } from '../model/config.ts';
import { mlmForward } from '../model/forward.ts';
import { initParams, type Params } from '../model/params.ts';
import { evaluateMlm } from './mlm.ts';

beforeAll(async () => {
  await useNodeBackend('cpu');
});

const model: ModelConfig = {
  vocabSize: 50, hidden: 16, layers: 1, heads: 2, ffn: 32, ffnRank: 0, maxLen: 8, norm: 'post', dropout: 0.1, lnEps: 1e-12,
};
const B = 4, n = 8, P = 2;

/**
 * Row b is [CLS] t t+1 … t+5 [SEP] with t = 10 + 6b; masks[b] lists its masked positions (at most
 * P); the remaining slots are padding with weight 0.
 */
function batch(masks: number[][]): MlmBatch {
  const inputIds = new Int32Array(B * n);
  const maskedPositions = new Int32Array(B * P);
  const maskedLabels = new Int32Array(B * P);
  const maskedWeights = new Float32Array(B * P);
  for (let b = 0; b < B; b++) {
    const row = [2, ...Array.from({ length: 6 }, (_, i) => 10 + 6 * b + i), 3];
    for (let j = 0; j < P; j++) maskedPositions[b * P + j] = b * n;
    masks[b].forEach((pos, j) => {
      maskedPositions[b * P + j] = b * n + pos;
      maskedLabels[b * P + j] = row[pos];
      maskedWeights[b * P + j] = 1;
      row[pos] = 4;
    });
    inputIds.set(row, b * n);
  }
  return {
    batchSize: B, seqLen: n, inputIds, attentionMask: new Float32Array(B * n).fill(1), predsPerSeq: P,
    maskedPositions, maskedLabels, maskedWeights, realTokens: B * n,
  };
}

function dispose(p: Params): void {
  for (const v of p.values()) v.dispose();
}

describe('evaluateMlm', () => {
  it('gives hand-computed loss and accuracy when every logit row is the output bias', async () => {
    const params = initParams(model, 3);
    // Zero (tied) output embeddings make every logit row equal mlm.out.bias. With bias 0 except
    // ln 49 at id 10, p(10) = 49/98 = 1/2 and every other id has 1/98; argmax is 10.
    params.get('emb.tok')!.assign(tf.zeros([50, 16]));
    const bias = new Float32Array(50);
    bias[10] = Math.log(49);
    params.get('mlm.out.bias')!.assign(tf.tensor1d(bias));
    // Labels: row 0 masks position 1 (id 10) and 2 (id 11); row 1 masks position 3 (id 18);
    // row 2 masks nothing; row 3 masks position 6 (id 33). Four real predictions, one is id 10.
    const b1 = batch([[1, 2], [3], [], [6]]);
    // A second batch with a single real prediction of id 10 (row 0, position 1).
    const b2 = batch([[1], [], [], []]);
    const r = await evaluateMlm(params, model, [b1, b2]);
    expect(r.predictions).toBe(5);
    expect(r.accuracy).toBeCloseTo(2 / 5, 6);
    expect(r.loss).toBeCloseTo((2 * Math.log(2) + 3 * Math.log(98)) / 5, 4);
    // Per-prediction losses: ln 2 twice, ln 98 three times; sample std / sqrt(5).
    const losses = [Math.log(2), Math.log(2), Math.log(98), Math.log(98), Math.log(98)];
    const mean = losses.reduce((a, b) => a + b) / 5;
    const sd = Math.sqrt(losses.reduce((a, l) => a + (l - mean) ** 2, 0) / 4);
    expect(r.stderr).toBeCloseTo(sd / Math.sqrt(5), 4);
    dispose(params);
  });

  it('matches cross-entropy and argmax computed in JS from the logits, with dropout off, leaking nothing', async () => {
    const params = initParams(model, 5);
    const batches = [batch([[1, 4], [2], [5, 6], [3]]), batch([[6], [1, 2], [], [4]])];
    let lossSum = 0, squareSum = 0, correct = 0, count = 0;
    for (const bt of batches) {
      const logits = tf.tidy(() => mlmForward(params, model, bt, { training: false, pool: null }).logits.arraySync());
      logits.forEach((row, i) => {
        const w = bt.maskedWeights[i];
        if (w === 0) return;
        const max = Math.max(...row);
        const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
        lossSum += lse - row[bt.maskedLabels[i]];
        squareSum += (lse - row[bt.maskedLabels[i]]) ** 2;
        if (row.indexOf(max) === bt.maskedLabels[i]) correct++;
        count++;
      });
    }
    const before = tf.memory().numTensors;
    const r = await evaluateMlm(params, model, batches);
    expect(tf.memory().numTensors).toBe(before);
    expect(r.predictions).toBe(count);
    expect(r.loss).toBeCloseTo(lossSum / count, 4);
    expect(r.accuracy).toBeCloseTo(correct / count, 6);
    const mean = lossSum / count;
    expect(r.stderr).toBeCloseTo(Math.sqrt((squareSum - count * mean * mean) / (count - 1) / count), 4);
    expect(r.stderr).toBeGreaterThan(0);
    // Dropout off: a second evaluation gives the same numbers.
    expect(await evaluateMlm(params, model, batches)).toEqual(r);
    dispose(params);
  });

  it('sums the same numbers on the host and on the device', async () => {
    const params = initParams(model, 7);
    const batches = [batch([[1, 4], [2], [5, 6], [3]]), batch([[6], [1, 2], [], [4]])];
    const host = await evaluateMlm(params, model, batches, null, 'host');
    const device = await evaluateMlm(params, model, batches, null, 'device');
    expect(host.predictions).toBe(device.predictions);
    expect(host.loss).toBeCloseTo(device.loss, 5);
    expect(host.stderr).toBeCloseTo(device.stderr, 5);
    expect(host.accuracy).toBe(device.accuracy);
    // The cpu backend reduces on the host by default.
    expect(await evaluateMlm(params, model, batches)).toEqual(host);
    dispose(params);
  });

  it('gives the same hand-computed numbers through the pooled path', async () => {
    const params = initParams(model, 3);
    params.get('emb.tok')!.assign(tf.zeros([50, 16]));
    const bias = new Float32Array(50);
    bias[10] = Math.log(49);
    params.get('mlm.out.bias')!.assign(tf.tensor1d(bias));
    const r = await evaluateMlm(params, model, [batch([[1, 2], [3], [], [6]])], { k: 2, reduce: 'mean' });
    expect(r.accuracy).toBeCloseTo(1 / 4, 6);
    expect(r.loss).toBeCloseTo((Math.log(2) + 3 * Math.log(98)) / 4, 4);
    dispose(params);
  });

  it('rejects an empty held-out set or one without predictions', async () => {
    const params = initParams(model, 3);
    await expect(evaluateMlm(params, model, [])).rejects.toThrow(ConfigError);
    await expect(evaluateMlm(params, model, [batch([[], [], [], []])])).rejects.toThrow(/no predicted tokens/);
    dispose(params);
  });
});

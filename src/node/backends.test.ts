import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { MlmBatcher } from '../core/data/batcher.ts';
import type { Corpus } from '../core/data/corpus.ts';
import { SIZES } from '../core/model/config.ts';
import { mlmLoss } from '../core/model/forward.ts';
import { disposeParams, initParams } from '../core/model/params.ts';
import { useNodeBackend } from './backends.ts';
import { loadCorpus } from './corpus.ts';

let corpus: Corpus;
beforeAll(async () => {
  corpus = await loadCorpus();
});

/** Loss and every parameter's gradient of one tiny batch, with dropout (seeded, so the same masks everywhere). */
async function lossAndGrads(backend: 'cpu' | 'wasm'): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
  await useNodeBackend(backend);
  const { model } = SIZES.tiny;
  const batch = new MlmBatcher(corpus, 'train', { batchSize: 4, seqLen: 32, vocabSize: model.vocabSize, seed: 1 }).next();
  const params = initParams(model, 1);
  const names = new Map([...params].map(([n, v]) => [v.name, n]));
  const { value, grads } = tf.variableGrads(() => mlmLoss(params, model, batch, { training: true, dropoutSeed: 9 }), [...params.values()]);
  const out = new Map<string, Float32Array>();
  for (const [id, g] of Object.entries(grads)) out.set(names.get(id)!, (await g.data()) as Float32Array);
  const [loss] = await value.data();
  tf.dispose([value, ...Object.values(grads)]);
  disposeParams(params);
  return { loss, grads: out };
}

describe('Node backends', () => {
  // Node loads tfjs-core as CommonJS; the gradients come from @tensorflow/tfjs's CommonJS build. Sin's
  // gradient is one that nothing else here registers: tf.grad finds it only if both share one engine.
  it('register tfjs gradients on the engine that tfjs-core ops run on', async () => {
    await useNodeBackend('cpu');
    expect(tf.getGradient(tf.Sin)).toBeDefined();
    const dx = tf.grad((x: tf.Tensor) => tf.sin(x))(tf.tensor1d([0, Math.PI]));
    const [d0, d1] = await dx.data();
    dx.dispose();
    expect(d0).toBeCloseTo(1, 6);
    expect(d1).toBeCloseTo(-1, 6);
  });

  // The wasm OneHot kernel once wrote int32 bits into float32 targets: the loss read 1e-44 and nothing trained.
  // Gradients go through the explicit-transpose BatchMatMul of s../core/wasm-kernels.ts.
  it('wasm computes the loss and gradients that cpu computes (an untrained model: loss about ln V)', async () => {
    const cpu = await lossAndGrads('cpu');
    const wasm = await lossAndGrads('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(Math.abs(cpu.loss - Math.log(SIZES.tiny.model.vocabSize))).toBeLessThan(0.5);
    expect(Math.abs(wasm.loss - cpu.loss)).toBeLessThan(1e-4);
    expect([...wasm.grads.keys()].sort()).toEqual([...cpu.grads.keys()].sort());
    for (const [name, g] of cpu.grads) {
      const w = wasm.grads.get(name)!;
      let maxAbs = 0;
      let maxDiff = 0;
      for (let i = 0; i < g.length; i++) {
        maxAbs = Math.max(maxAbs, Math.abs(g[i]));
        maxDiff = Math.max(maxDiff, Math.abs(g[i] - w[i]));
      }
      expect(maxDiff, name).toBeLessThan(1e-4 * Math.max(1, maxAbs) + 1e-6);
    }
    await useNodeBackend('cpu');
  }, 60_000);

  // tfjs-wasm checks the rank a bias's buffer was made with: a grown parameter that is a reshaped
  // view of a 2-D buffer (hidden.tile under MSG made one) failed "only supports rank-1 bias".
  it('wasm takes a fused matmul bias that is a reshaped view of a 2-D buffer', async () => {
    await useNodeBackend('wasm');
    const [got, want] = tf.tidy(() => {
      const a = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
      const b = tf.tensor2d([[1, 0, 2], [0, 1, -1]]);
      const bias = tf.reshape(tf.tensor2d([[10, 20, 30]]), [3]);
      return [tf.fused.matMul({ a, b, bias, transposeB: false }), tf.add(tf.matMul(a, b), tf.tensor1d([10, 20, 30]))];
    });
    expect(Array.from(await got.data())).toEqual(Array.from(await want.data()));
    tf.dispose([got, want]);
    await useNodeBackend('cpu');
  });
});

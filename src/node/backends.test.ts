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

async function lossOn(backend: 'cpu' | 'wasm'): Promise<number> {
  await useNodeBackend(backend);
  const { model } = SIZES.tiny;
  const batch = new MlmBatcher(corpus, 'train', { batchSize: 4, seqLen: 32, vocabSize: model.vocabSize, seed: 1 }).next();
  const params = initParams(model, 1);
  const loss = mlmLoss(params, model, batch, { training: false });
  const [v] = await loss.data();
  loss.dispose();
  disposeParams(params);
  return v;
}

describe('Node backends', () => {
  // The wasm OneHot kernel once wrote int32 bits into float32 targets: the loss read 1e-44 and nothing trained.
  it('wasm computes the MLM loss that cpu computes (an untrained model: about ln V)', async () => {
    const cpu = await lossOn('cpu');
    const wasm = await lossOn('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(Math.abs(cpu - Math.log(SIZES.tiny.model.vocabSize))).toBeLessThan(0.5);
    expect(Math.abs(wasm - cpu)).toBeLessThan(1e-4);
    await useNodeBackend('cpu');
  }, 60_000);
});

import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../node/backends.ts';
import { loadCorpus } from '../../node/corpus.ts';
import type { MlmBatch } from '../data/batch.ts';
import { fixedBatches, VALIDATION_SEED, validationBatches } from '../data/batcher.ts';
import { NUM_SPECIAL, UNK_ID, type Corpus } from '../data/corpus.ts';
import { atVocab } from '../data/vocab-cap.ts';
import { SIZE_NAMES, SIZES } from '../model/config.ts';
import { buildPreset } from '../schedule/presets.ts';
import { Experiment } from './experiment.ts';
import type { ExperimentConfig } from './config.ts';

let corpus: Corpus;
beforeAll(async () => {
  await useNodeBackend('cpu');
  corpus = await loadCorpus();
});

function tinyConfig(seed: number): ExperimentConfig {
  const { model, train } = SIZES.tiny;
  return { size: 'tiny', model, train: { ...train, steps: 2, warmupSteps: 1, evalEvery: 2, evalBatches: 5 }, schedule: buildPreset('baseline', 2, model), seed };
}

/** The labels of the real predictions, in order. */
const labels = (batches: MlmBatch[]): number[] => batches.flatMap((b) => Array.from(b.maskedLabels).filter((_, i) => b.maskedWeights[i] === 1));

describe('the validation set', () => {
  it('is the same for every run seed, and its points carry their standard error', async () => {
    const runs = [1, 2].map((seed) => new Experiment(tinyConfig(seed), corpus, 'cpu'));
    // The set itself is private to the run; read it to compare the two runs' sets batch by batch.
    const [a, b] = runs.map((r) => (r as unknown as { valBatches: MlmBatch[] }).valBatches);
    expect(b).toEqual(a);
    const points = [];
    for (const r of runs) {
      while (!r.done) await r.step();
      points.push(r.record.validation[0]);
      r.dispose();
    }
    expect(points[0].predictions).toBe(labels(a).length);
    expect(points[1].predictions).toBe(points[0].predictions);
    expect(points[0].stderr).toBeGreaterThan(0);
    expect(points[0].stderr).toBeLessThan(1);
  }, 60_000);

  it('scores the curve on the first tenth of the set and only the final point on all of it', async () => {
    const { model, train } = SIZES.tiny;
    const config: ExperimentConfig = { size: 'tiny', model, train: { ...train, steps: 4, warmupSteps: 1, evalEvery: 2, evalBatches: 40 }, schedule: buildPreset('baseline', 4, model), seed: 1 };
    const run = new Experiment(config, corpus, 'cpu');
    const set = (run as unknown as { valBatches: MlmBatch[] }).valBatches;
    while (!run.done) await run.step();
    const [curve, final] = run.record.validation;
    run.dispose();
    const tenth = validationBatches(corpus, { batchSize: train.batchSize, seqLen: train.seqLen, vocabSize: model.vocabSize }, 4);
    expect(curve.step).toBe(2);
    expect(labels(tenth)).toEqual(labels(set).slice(0, labels(tenth).length));
    expect(curve.predictions).toBe(labels(tenth).length);
    expect(final.predictions).toBe(labels(set).length);
    expect(curve.predictions!).toBeLessThan(final.predictions!);
  }, 60_000);

  it('stacks the drawn batches without changing a row or a mask', () => {
    const opts = { batchSize: 8, seqLen: 32, vocabSize: 2000 };
    const drawn = fixedBatches(corpus, 'validation', { ...opts, seed: VALIDATION_SEED }, 70);
    const stacked = validationBatches(corpus, opts, 70);
    // 8192 tokens per pass at 8 x 32 per batch: 32 batches per stack, so 32 + 32 + 6.
    expect(stacked.map((s) => s.batchSize)).toEqual([256, 256, 48]);
    expect(labels(stacked)).toEqual(labels(drawn));
    const ids = (bs: MlmBatch[]) => bs.flatMap((x) => Array.from(x.inputIds));
    expect(ids(stacked)).toEqual(ids(drawn));
    const positions = (bs: MlmBatch[]) => {
      let rows = 0;
      return bs.flatMap((x) => {
        const out = Array.from(x.maskedPositions, (p) => p + rows * x.seqLen);
        rows += x.batchSize;
        return out;
      });
    };
    expect(positions(stacked)).toEqual(positions(drawn));
  });

  // The standard error of a frequency-only predictor on each size's default set, from the labels
  // alone (train-split unigram counts, add-½ smoothing as in frequency.ts). A trained model's
  // per-prediction loss spreads a little wider (docs/lr-sweep.md); the sets leave room for it.
  it.each(SIZE_NAMES)('is large enough at %s for a standard error below 0.01 nats', (size) => {
    const { model, train } = SIZES[size];
    const set = validationBatches(corpus, { batchSize: train.batchSize, seqLen: train.seqLen, vocabSize: model.vocabSize }, train.evalBatches);
    const capped = atVocab(corpus, model.vocabSize);
    const counts = new Float64Array(model.vocabSize);
    for (const d of capped.docs) if (d.split === 'train') for (let i = d.offset; i < d.offset + d.length; i++) counts[capped.tokens[i]]++;
    const predictable = [UNK_ID, ...Array.from({ length: model.vocabSize - NUM_SPECIAL }, (_, i) => NUM_SPECIAL + i)];
    const total = predictable.reduce((s, id) => s + counts[id] + 0.5, 0);
    const losses = labels(set).map((id) => -Math.log((counts[id] + 0.5) / total));
    const n = losses.length;
    const mean = losses.reduce((a, x) => a + x, 0) / n;
    const sd = Math.sqrt(losses.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
    expect(sd / Math.sqrt(n)).toBeLessThan(0.01);
    // Headroom for a trained model's wider spread (config.ts): std 2.2 nats at tiny, 2.9 at small
    // and deep, 3.2 at lab.
    const headroom = { tiny: 2.2, small: 2.9, deep: 2.9, lab: 3.2 }[size];
    expect(n).toBeGreaterThan((headroom / 0.01) ** 2);
  });
});

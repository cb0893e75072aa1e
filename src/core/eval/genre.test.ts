import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../node/backends.ts';
import { loadCorpus } from '../../node/corpus.ts';
import { corpusWindows } from '../data/batcher.ts';
import { COARSE_GENRES, GENRES, type Corpus, type CorpusDoc, type Split } from '../data/corpus.ts';
import { Rng } from '../data/rng.ts';
import { ConfigError } from '../errors.ts';
import type { ModelConfig } from '../model/config.ts';
import { disposeParams, initParams } from '../model/params.ts';
import { genreLabel, genrePassages } from './genre-data.ts';
import { evaluateGenre } from './genre.ts';

beforeAll(async () => {
  await useNodeBackend('cpu');
});

const model: ModelConfig = {
  vocabSize: 60, hidden: 16, layers: 1, heads: 2, ffn: 32, ffnRank: 0, maxLen: 16, norm: 'post', dropout: 0.1, lnEps: 1e-12,
};

/**
 * A corpus whose genre shows in its words: documents of coarse group c use only ids 10+10c..19+10c,
 * so a classifier can learn genre4 from any passage. docsPer[split][c] documents of 28 tokens each.
 */
function synthetic(docsPer: Record<Split, number[]>): Corpus {
  const letters = ['a', 'd', 'j', 'k']; // one genre from each coarse group, in COARSE_GENRES order
  const rng = new Rng(11);
  const docs: CorpusDoc[] = [];
  const tokens: number[] = [];
  for (const split of ['train', 'validation', 'test'] as Split[]) {
    docsPer[split].forEach((count, c) => {
      for (let i = 0; i < count; i++) {
        docs.push({ id: `${split}-${c}-${i}`, genre: letters[c], split, offset: tokens.length, length: 28, sentences: [0] });
        for (let t = 0; t < 28; t++) tokens.push(10 + 10 * c + rng.int(10));
      }
    });
  }
  const vocab = Array.from({ length: 60 }, (_, i) => `w${i}`);
  return { manifest: {} as Corpus['manifest'], vocab, bertIds: vocab.map((_, i) => i), counts: vocab.map(() => 1), docs, tokens: Uint16Array.from(tokens) };
}

// seqLen 16 -> 14 tokens per passage -> 2 passages per 28-token document.
const corpus = synthetic({ train: [6, 10, 4, 4], validation: [1, 1, 1, 1], test: [2, 3, 1, 2] });
const opts = { task: 'genre4' as const, seed: 3, seqLen: 16, trainPerDoc: 0, testPerDoc: 0 };

describe('genrePassages on the Brown Corpus', () => {
  let brown: Corpus;
  beforeAll(async () => {
    brown = await loadCorpus();
  });

  it('labels every passage by its document genre, and train and test documents are disjoint', () => {
    const train = genrePassages(brown, 'train', 'genre15', 32, 0);
    const test = genrePassages(brown, 'test', 'genre15', 32, 0);
    for (const set of [train, test]) {
      set.windows.forEach((w, i) => {
        const doc = brown.docs[w.docIndex];
        expect(GENRES[set.labels[i]].letter).toBe(doc.genre);
      });
    }
    expect(train.windows.every((w) => brown.docs[w.docIndex].split === 'train')).toBe(true);
    expect(test.windows.every((w) => brown.docs[w.docIndex].split === 'test')).toBe(true);
    const trainDocs = new Set(train.windows.map((w) => w.docId));
    expect(test.windows.some((w) => trainDocs.has(w.docId))).toBe(false);
    // Every test passage is there: the same count as tiling the test documents.
    expect(test.windows.length).toBe(corpusWindows(brown, 'test', 32).length);
    const coarse = genrePassages(brown, 'test', 'genre4', 32, 0);
    coarse.windows.forEach((w, i) => expect(COARSE_GENRES[coarse.labels[i]].letters).toContain(brown.docs[w.docIndex].genre));
  });

  it('takes at most perDoc passages of each document, spread through it', () => {
    const all = corpusWindows(brown, 'test', 64);
    const capped = genrePassages(brown, 'test', 'genre4', 64, 3);
    const perDoc = new Map<string, number>();
    for (const w of all) perDoc.set(w.docId, (perDoc.get(w.docId) ?? 0) + 1);
    expect(capped.windows.length).toBe([...perDoc.values()].reduce((s, n) => s + Math.min(3, n), 0));
    const doc = capped.windows.filter((w) => w.docId === all[0].docId);
    const docAll = all.filter((w) => w.docId === all[0].docId);
    expect(doc.map((w) => w.start)).toEqual([0, 1, 2].map((i) => docAll[Math.floor(((i + 0.5) * docAll.length) / 3)].start));
    expect(capped.counts.reduce((a, b) => a + b, 0)).toBe(capped.windows.length);
  });

  it('rejects an unknown task with the list of tasks', () => {
    expect(() => genrePassages(brown, 'test', 'genre7' as never, 32, 0)).toThrow(/genre15.*genre4/);
    expect(() => genreLabel('genre4', 'z')).toThrow(ConfigError);
  });
});

describe('evaluateGenre', () => {
  it('reports the majority-class baseline counted by hand', async () => {
    const params = initParams(model, 1);
    const r = await evaluateGenre(params, model, corpus, { ...opts, mode: 'probe', steps: 5 });
    disposeParams(params);
    // Train: 6, 10, 4, 4 documents x 2 passages -> "General prose" (class 1) is the majority.
    expect(r.trainCounts).toEqual([12, 20, 8, 8]);
    expect(r.majority.label).toBe('General prose');
    // Test: 2, 3, 1, 2 documents x 2 passages = 16; 6 are general prose.
    expect(r.testPassages).toBe(16);
    expect(r.majority.accuracy).toBeCloseTo(6 / 16, 12);
    // Its F1: precision 6/16, recall 1 -> 2·6/(6+16); the other three classes score 0.
    expect(r.majority.macroF1).toBeCloseTo((12 / 22) / 4, 12);
    expect(r.confusion.flat().reduce((a, b) => a + b, 0)).toBe(16);
  });

  it('fine-tunes a copy: the encoder passed in is bitwise unchanged', async () => {
    const params = initParams(model, 2);
    const before = new Map([...params].map(([k, v]) => [k, v.dataSync().slice()]));
    const r = await evaluateGenre(params, model, corpus, { ...opts, mode: 'finetune', steps: 6, batchSize: 4, dropout: 0.1 });
    expect(r.steps).toBe(6);
    for (const [k, v] of params) expect(Buffer.from(v.dataSync().buffer).equals(Buffer.from(before.get(k)!.buffer))).toBe(true);
    disposeParams(params);
  });

  it('fine-tuning learns the genres: training loss falls and test accuracy beats the majority class', async () => {
    const params = initParams(model, 4);
    const tensorsBefore = tf.memory().numTensors;
    const r = await evaluateGenre(params, model, corpus, { ...opts, mode: 'finetune', steps: 60, batchSize: 8, lr: 1e-2 });
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    disposeParams(params);
    // From ~ln 4 (chance) to well below it; 60 small steps do not finish the job, so the margins are moderate.
    expect(r.trainLoss.first).toBeGreaterThan(1.2);
    expect(r.trainLoss.last).toBeLessThan(0.6 * r.trainLoss.first);
    expect(r.accuracy).toBeGreaterThan(r.majority.accuracy + 0.2);
    expect(r.macroF1).toBeGreaterThan(r.majority.macroF1 + 0.2);
  });

  it('a linear probe on frozen features also beats the majority class here', async () => {
    const params = initParams(model, 5);
    const r = await evaluateGenre(params, model, corpus, { ...opts, mode: 'probe', steps: 100 });
    disposeParams(params);
    expect(r.trainLoss.last).toBeLessThan(r.trainLoss.first);
    expect(r.accuracy).toBeGreaterThan(r.majority.accuracy);
  });

  it('says what is wrong with bad options', async () => {
    const params = initParams(model, 1);
    await expect(evaluateGenre(params, model, corpus, { ...opts, task: 'genre5' as never, mode: 'probe' })).rejects.toThrow(/genre15.*genre4/);
    await expect(evaluateGenre(params, model, corpus, { ...opts, mode: 'zap' as never })).rejects.toThrow(/finetune and probe/);
    await expect(evaluateGenre(params, model, corpus, { ...opts, mode: 'probe', seqLen: 64 })).rejects.toThrow(/maxLen 16/);
    await expect(evaluateGenre(params, model, corpus, { ...opts, mode: 'finetune', dropout: 1 })).rejects.toThrow(/dropout: must be a number in \[0, 1\)/);
    disposeParams(params);
  });
});

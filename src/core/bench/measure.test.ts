import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../node/backends.ts';
import { loadCorpus } from '../../node/corpus.ts';
import type { Corpus } from '../data/corpus.ts';
import { Experiment } from '../run/experiment.ts';
import { MatmulRate, benchConfig, matmulGflops, measureSchedules } from './measure.ts';

let corpus: Corpus;
beforeAll(async () => {
  await useNodeBackend('cpu');
  corpus = await loadCorpus();
});

describe('matmulGflops', () => {
  it('returns a finite positive rate and frees every product it queued', async () => {
    const before = tf.memory().numTensors;
    const g = await matmulGflops(32, 4);
    expect(Number.isFinite(g) && g > 0).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('MatmulRate keeps every sample and takes the fastest as its best', async () => {
    const rate = new MatmulRate(16, 2);
    await rate.sample();
    await rate.sample();
    expect(rate.samples).toHaveLength(2);
    expect(rate.best).toBe(Math.max(...rate.samples));
  });
});

describe('measureSchedules', () => {
  it('takes turns without one run changing another: each ends where it ends alone, and nothing leaks', async () => {
    const steps = 12;
    const before = tf.memory().numTensors;
    const runs = await measureSchedules('tiny', ['baseline', 'compound'], steps, corpus, 'cpu');
    expect(tf.memory().numTensors).toBe(before);
    expect(runs.map((r) => r.preset)).toEqual(['baseline', 'compound']);
    for (const r of runs) {
      const alone = new Experiment(benchConfig('tiny', r.preset, steps), corpus, 'cpu');
      while (!alone.done) await alone.step();
      const record = alone.record;
      alone.dispose();
      expect(r.finalValLoss).toBe(record.summary.valLoss);
      expect(record.steps.length).toBe(steps);
      expect(r.wallMs).toBeGreaterThan(0);
      expect(r.warmupMs).toBeGreaterThan(0);
    }
    expect(runs[1].flopsSpeedup).toBeGreaterThan(1);
  });
});

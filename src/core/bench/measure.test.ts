import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../node/backends.ts';
import { MatmulRate, matmulGflops } from './measure.ts';

beforeAll(async () => {
  await useNodeBackend('cpu');
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

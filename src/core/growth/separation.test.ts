import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../node/backends.ts';
import { ConfigError } from '../errors.ts';
import type { Params } from '../model/params.ts';
import { copySeparation } from './separation.ts';

beforeAll(async () => {
  await useNodeBackend('cpu');
});

const params = (kernels: number[][][]): Params =>
  new Map(kernels.map((k, l) => [`layers.${l}.ffn.w1.kernel`, tf.variable(tf.tensor2d(k))]));

describe('copySeparation', () => {
  it('is ‖C_i − C_j‖ / mean(‖C_i‖, ‖C_j‖) of the least separated pair, per layer (hand-computed)', async () => {
    // Layer 0, k = 2: C0 = [[3],[4]] (norm 5), C1 = [[3],[4.5]] (norm √29.25); diff norm 0.5.
    // Layer 1, k = 2: exact copies → 0.
    const p = params([
      [[3, 3], [4, 4.5]],
      [[1, 1], [2, 2]],
    ]);
    const s = await copySeparation(p, 2, 2, 17);
    const l0 = 0.5 / ((5 + Math.sqrt(29.25)) / 2);
    expect(s.step).toBe(17);
    expect(s.perLayer[0]).toBeCloseTo(l0, 6);
    expect(s.perLayer[1]).toBe(0);
    expect(s.maxRelDiff).toBeCloseTo(l0, 6);
    expect(s.minRelDiff).toBe(0);
  });

  it('with k = 3 takes the closest pair: copies 0 and 2 equal make the layer 0', async () => {
    // Columns [C0 | C1 | C2] = [1 | 2 | 1] and [0 | 0 | 0]: pairs (0,1) 1/1.5, (1,2) 1/1.5, (0,2) 0.
    const s = await copySeparation(params([[[1, 2, 1], [0, 0, 0]]]), 1, 3, 0);
    expect(s.perLayer).toEqual([0]);
    // Copy 2 moved to 4: (0,2) is 3/2.5 = 1.2, so (0,1) and (1,2) at 1/1.5 and 2/3 are the closest.
    const t = await copySeparation(params([[[1, 2, 4], [0, 0, 0]]]), 1, 3, 0);
    expect(t.perLayer[0]).toBeCloseTo(1 / 1.5, 6);
  });

  it('refuses fewer than two copies and a width that is not k copies', async () => {
    await expect(copySeparation(params([[[1, 2]]]), 1, 1, 0)).rejects.toThrow(ConfigError);
    await expect(copySeparation(params([[[1, 2, 3]]]), 1, 2, 0)).rejects.toThrow(/not 2 copies/);
  });
});

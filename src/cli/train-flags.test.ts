import { describe, expect, it } from 'vitest';
import { SIZES, defaultLr } from '../core/model/config.ts';
import { UsageError } from './args.ts';
import { experimentFromFlags } from './train.ts';

describe('experimentFromFlags', () => {
  it('trains pre-LN by default and gives --norm post its own tested learning rate', () => {
    const pre = experimentFromFlags({ size: 'small' });
    expect([pre.model.norm, pre.train.lr]).toEqual(['pre', SIZES.small.train.lr]);
    const post = experimentFromFlags({ size: 'small', norm: 'post' });
    expect([post.model.norm, post.train.lr]).toEqual(['post', defaultLr('small', 'post')]);
    expect(experimentFromFlags({ size: 'small', norm: 'post', lr: '3e-3' }).train.lr).toBe(3e-3);
  });

  it('builds the deep size and takes the validation set size and interval from flags', () => {
    const deep = experimentFromFlags({ size: 'deep', steps: '40' });
    expect([deep.model.layers, deep.train.batchSize, deep.train.evalBatches]).toEqual([8, 64, SIZES.deep.train.evalBatches]);
    expect(deep.train.evalEvery).toBe(40);
    const c = experimentFromFlags({ size: 'tiny', 'eval-batches': '7', 'eval-every': '50' });
    expect([c.train.evalBatches, c.train.evalEvery]).toEqual([7, 50]);
    expect(() => experimentFromFlags({ 'eval-batches': '0' })).toThrow(UsageError);
    expect(() => experimentFromFlags({ size: 'tiny', hidden: '33' })).toThrow(/model.heads/);
  });
});

import { describe, expect, it } from 'vitest';
import { SIZES } from '../model/config.ts';
import { stageLabel, stageModelConfig, stagePool, stageSeqLen, type StageShape } from './spec.ts';

const shape = (s: Partial<StageShape>): StageShape => ({
  layers: 12, ffnDiv: 1, ffnRank: 0, length: 'full', lengthFactor: 1, poolReduce: 'mean', ...s,
});

describe('stage shape helpers', () => {
  it('derives the stage model from the target, changing only depth, FFN size and rank', () => {
    const target = SIZES.lab.model; // L8, d256, F1024
    const cfg = stageModelConfig(target, shape({ layers: 2, ffnDiv: 4, ffnRank: 16 }));
    expect(cfg).toEqual({ ...target, layers: 2, ffn: 256, ffnRank: 16 });
    expect(target.layers).toBe(8);
  });

  it('shortens the sequence only when truncating, and pools only in pool mode', () => {
    expect(stageSeqLen(128, shape({ length: 'truncate', lengthFactor: 4 }))).toBe(32);
    expect(stageSeqLen(128, shape({ length: 'pool', lengthFactor: 4 }))).toBe(128);
    expect(stageSeqLen(128, shape({}))).toBe(128);
    expect(stagePool(shape({ length: 'pool', lengthFactor: 3, poolReduce: 'max' }))).toEqual({ k: 3, reduce: 'max' });
    expect(stagePool(shape({ length: 'truncate', lengthFactor: 2 }))).toBeNull();
    expect(stagePool(shape({}))).toBeNull();
  });

  it('labels stages compactly', () => {
    expect(stageLabel(shape({ layers: 3, ffnDiv: 2, length: 'pool', lengthFactor: 2 }))).toBe('L3 · FFN/2 · pool 2');
    expect(stageLabel(shape({}))).toBe('L12');
    expect(stageLabel(shape({ layers: 6, ffnRank: 16, length: 'truncate', lengthFactor: 2 }))).toBe('L6 · FFN r16 · n/2');
    expect(stageLabel(shape({ layers: 4, ffnDiv: 2, ffnRank: 8, length: 'pool', lengthFactor: 4, poolReduce: 'max' }))).toBe(
      'L4 · FFN/2 r8 · max-pool 4',
    );
  });
});

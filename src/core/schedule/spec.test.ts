import { describe, expect, it } from 'vitest';
import { SIZES } from '../model/config.ts';
import { scheduleSpecSchema, stageLabel, stageModelConfig, stagePool, stageSeqLen, type StageShape } from './spec.ts';

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

  it('takes d and heads from hiddenDiv and headsDiv, each 1 when absent', () => {
    const target = SIZES.lab.model; // d256, 8 heads
    expect(stageModelConfig(target, shape({ layers: 8, hiddenDiv: 4, headsDiv: 2 }))).toMatchObject({ hidden: 64, heads: 4 });
    expect(stageModelConfig(target, shape({ layers: 8 }))).toEqual(target);
    expect(stageLabel(shape({ layers: 2, hiddenDiv: 4, headsDiv: 2 }), target)).toBe('L2 · d64 · H4');
    expect(stageLabel(shape({ layers: 2, hiddenDiv: 4, ffnDiv: 2 }))).toBe('L2 · d/4 · FFN/2');
    // Full d and heads add nothing, so the labels of existing schedules are unchanged.
    expect(stageLabel(shape({ layers: 2, hiddenDiv: 1 }), target)).toBe('L2');
  });

  it('parses a schedule stored before d could grow, and rejects a divisor below 1', () => {
    const old = {
      preset: 'stack',
      stages: [{ shape: { layers: 1, ffnDiv: 1, ffnRank: 0, length: 'full', lengthFactor: 1, poolReduce: 'mean' }, steps: 5, lrPolicy: 'paper', optPolicy: 'fresh' }],
      ops: { depth: 'stack', width: 'share', widthNoise: 0.05 },
    };
    const parsed = scheduleSpecSchema.parse(old);
    expect(parsed.stages[0].shape.hiddenDiv).toBeUndefined();
    expect(stageModelConfig(SIZES.tiny.model, parsed.stages[0].shape).hidden).toBe(SIZES.tiny.model.hidden);
    const bad = structuredClone(old);
    Object.assign(bad.stages[0].shape, { hiddenDiv: 0 });
    expect(scheduleSpecSchema.safeParse(bad).success).toBe(false);
    expect(scheduleSpecSchema.safeParse({ ...old, ops: { ...old.ops, hidden: 'ligo' } }).success).toBe(false);
    for (const hidden of ['tile', 'fpi', 'aki', 'random']) expect(scheduleSpecSchema.safeParse({ ...old, ops: { ...old.ops, hidden } }).success, hidden).toBe(true);
  });
});

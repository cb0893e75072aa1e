import { describe, expect, it } from 'vitest';
import { SIZES } from '../model/config.ts';
import { summarize, type RunRecord, type StepMetrics } from './record.ts';

function record(losses: number[], extra: Partial<RunRecord> = {}): Omit<RunRecord, 'summary'> {
  const steps: StepMetrics[] = losses.map((loss, i) => ({ step: i + 1, loss, lr: 1e-3, gradNorm: 1, tokens: 100, wallMs: 5 }));
  return {
    format: 'growlab-run',
    version: 1,
    createdAt: '2025-01-01T00:00:00.000Z',
    config: { size: 'tiny', model: SIZES.tiny.model, train: SIZES.tiny.train, seed: 1, backend: 'cpu' },
    steps,
    validation: [],
    stages: [],
    growthEvents: [],
    wallTimeMs: 2000,
    tokensSeen: 100 * losses.length,
    ...extra,
  };
}

describe('summarize', () => {
  it('averages the first and last 10 steps', () => {
    // Losses 30, 29, ..., 1: first ten mean (30+21)/2, last ten mean (10+1)/2.
    const losses = Array.from({ length: 30 }, (_, i) => 30 - i);
    const s = summarize(record(losses));
    expect(s.steps).toBe(30);
    expect(s.firstLoss).toBeCloseTo(25.5, 12);
    expect(s.finalLoss).toBeCloseTo(5.5, 12);
    expect(s.tokensPerSec).toBeCloseTo(3000 / 2, 9);
    expect(s.backend).toBe('cpu');
    expect(s.valLoss).toBeNull();
    expect(s.valAcc).toBeNull();
  });

  it('uses the last validation point and overlapping windows on short runs', () => {
    const s = summarize(record([4, 2], {
      validation: [{ step: 1, loss: 9, accuracy: 0.1 }, { step: 2, loss: 3, accuracy: 0.25 }],
    }));
    expect(s.firstLoss).toBe(3);
    expect(s.finalLoss).toBe(3);
    expect(s.valLoss).toBe(3);
    expect(s.valAcc).toBe(0.25);
  });

  it('reports nulls for an empty run without time', () => {
    const s = summarize(record([], { wallTimeMs: 0 }));
    expect(s).toEqual({ steps: 0, firstLoss: null, finalLoss: null, valLoss: null, valAcc: null, tokensPerSec: null, backend: 'cpu' });
  });
});

import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { SIZES } from '../model/config.ts';
import { MAX_TRAINING_BYTES, MAX_VALIDATION_TOKENS, estimateTrainingBytes } from '../model/memory.ts';
import { buildPreset } from '../schedule/presets.ts';
import { experimentErrors, validateExperiment, type ExperimentConfig } from './config.ts';

function config(change: (c: ExperimentConfig) => void = () => {}): ExperimentConfig {
  const { model, train } = structuredClone(SIZES.tiny);
  const c: ExperimentConfig = { size: 'custom', model, train: { ...train, steps: 100 }, seed: 1, schedule: buildPreset('baseline', 100, model) };
  change(c);
  return c;
}

const refusal = (c: ExperimentConfig): ConfigError => {
  try {
    validateExperiment(c);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('accepted');
};

describe('every config is held to the memory ceilings', () => {
  it('accepts the lab sizes', () => {
    for (const size of ['tiny', 'small', 'deep', 'lab'] as const) {
      const { model, train } = SIZES[size];
      expect(estimateTrainingBytes(model, train)).toBeLessThan(MAX_TRAINING_BYTES);
      expect(validateExperiment({ size, model, train, seed: 1, schedule: buildPreset('compound', train.steps, model) })).toBe(true);
    }
  });

  it('refuses a model and batch whose training step no backend can hold, naming the estimate', () => {
    // 32 × 4,096 tokens through 4 layers of d 1,024: the activations alone are tens of GiB.
    const big = config((c) => {
      Object.assign(c.model, { hidden: 1024, heads: 16, ffn: 4096, layers: 4, maxLen: 4096 });
      Object.assign(c.train, { batchSize: 32, seqLen: 4096 });
    });
    expect(estimateTrainingBytes(big.model, big.train)).toBeGreaterThan(MAX_TRAINING_BYTES);
    const e = refusal(big);
    expect(e.field).toBe('model');
    expect(e.message).toMatch(/needs an estimated \d+\.\d\d GiB, over the 16\.00 GiB any backend can hold; use a smaller model, batch or sequence length$/);
  });

  it('refuses a validation set larger than the engine holds, under train.evalBatches', () => {
    const { batchSize, seqLen } = SIZES.tiny.train;
    const most = Math.floor(MAX_VALIDATION_TOKENS / (batchSize * seqLen));
    expect(validateExperiment(config((c) => (c.train.evalBatches = most)))).toBe(true);
    const e = refusal(config((c) => (c.train.evalBatches = most + 1)));
    expect(e.field).toBe('train.evalBatches');
    expect(e.message).toContain(`${most + 1} batches of ${batchSize} × ${seqLen} tokens`);
  });

  it('lists a ceiling beside the other problems of the config', () => {
    const errors = experimentErrors(config((c) => {
      c.train.evalBatches = 1e7;
      c.seed = -1;
    }));
    expect(errors.map((e) => e.field)).toEqual(expect.arrayContaining(['seed', 'train.evalBatches']));
  });
});

import { describe, expect, it } from 'vitest';
import { ConfigError, type Checks } from '../errors.ts';
import { SIZE_NAMES, SIZES, defaultLr, labEvalBatches, validateModelConfig, validateTrainConfig, type ModelConfig } from './config.ts';

const good: ModelConfig = {
  vocabSize: 50, hidden: 8, layers: 2, heads: 2, ffn: 16, ffnRank: 0, maxLen: 10, norm: 'post', dropout: 0.1, lnEps: 1e-12,
};

/** The field of the ConfigError thrown, or a marker when none or another error is thrown. */
function fieldOf(c: ModelConfig, prefix?: string): string {
  try {
    validateModelConfig(c, prefix);
  } catch (e) {
    return e instanceof ConfigError ? e.field : `not a ConfigError: ${String(e)}`;
  }
  return 'valid';
}

describe('validateModelConfig', () => {
  it('accepts the size presets and factorized / pre-LN variants', () => {
    for (const s of SIZE_NAMES) {
      expect(fieldOf(SIZES[s].model)).toBe('valid');
      expect(() => validateTrainConfig(SIZES[s].train, SIZES[s].model)).not.toThrow();
    }
    expect(fieldOf({ ...good, norm: 'pre', ffnRank: 4, dropout: 0 })).toBe('valid');
  });

  const bad: [string, Partial<ModelConfig>, string][] = [
    ['heads not dividing hidden', { heads: 3 }, 'model.heads'],
    ['more heads than hidden units', { heads: 16 }, 'model.heads'],
    ['zero layers', { layers: 0 }, 'model.layers'],
    ['fractional layers', { layers: 1.5 }, 'model.layers'],
    ['zero heads', { heads: 0 }, 'model.heads'],
    ['NaN hidden', { hidden: NaN }, 'model.hidden'],
    ['tiny vocabulary', { vocabSize: 5 }, 'model.vocabSize'],
    ['zero maxLen', { maxLen: 0 }, 'model.maxLen'],
    ['negative dropout', { dropout: -0.1 }, 'model.dropout'],
    ['dropout of 1', { dropout: 1 }, 'model.dropout'],
    ['unknown norm', { norm: 'mid' as ModelConfig['norm'] }, 'model.norm'],
    ['negative ffnRank', { ffnRank: -1 }, 'model.ffnRank'],
    ['fractional ffnRank', { ffnRank: 1.5 }, 'model.ffnRank'],
    ['ffnRank saving nothing', { ffnRank: 8 }, 'model.ffnRank'],
    ['zero lnEps', { lnEps: 0 }, 'model.lnEps'],
    ['negative lnEps', { lnEps: -1e-5 }, 'model.lnEps'],
  ];
  for (const [label, over, field] of bad) {
    it(`rejects ${label}, naming ${field}`, () => expect(fieldOf({ ...good, ...over })).toBe(field));
  }

  it('says what would be valid, and prefixes the field', () => {
    try {
      validateModelConfig({ ...good, heads: 3 }, 'stages[1].model');
      expect.unreachable();
    } catch (e) {
      expect((e as ConfigError).field).toBe('stages[1].model.heads');
      expect((e as Error).message).toContain('1, 2, 4, 8');
    }
  });
});

describe('size presets', () => {
  it('train pre-LN by default, each placement with its own tested learning rate', () => {
    for (const s of SIZE_NAMES) {
      expect(SIZES[s].model.norm).toBe('pre');
      expect(SIZES[s].train.lr).toBe(defaultLr(s, 'pre'));
      expect(defaultLr(s, 'post')).toBeGreaterThan(0);
    }
  });

  it('have a deep size that makes stacking 2 -> 4 -> 8 layers visible on a CPU', () => {
    const { model, train } = SIZES.deep;
    expect([model.layers, model.hidden, train.seqLen]).toEqual([8, 128, 64]);
    expect(train.batchSize).toBeGreaterThanOrEqual(64);
    expect(SIZE_NAMES).toContain('deep');
  });

  it('start the lab with a validation set about 1/20 of the full one', () => {
    expect(labEvalBatches('tiny')).toBe(63);
    for (const s of SIZE_NAMES) expect(labEvalBatches(s)).toBeGreaterThanOrEqual(1);
  });
});

describe('config fields are checked by their schema', () => {
  const collect = (run: (checks: Checks) => void): ConfigError[] => {
    const errors: ConfigError[] = [];
    run({ run: (check) => { try { check(); return true; } catch (e) { if (!(e instanceof ConfigError)) throw e; errors.push(e); return false; } } });
    return errors;
  };

  it('names every bad field once, with the schema rule and the value, and skips cross-field rules on bad fields', () => {
    const model = { ...SIZES.tiny.model, hidden: 0, dropout: 1, lnEps: 0, norm: 'middle' as never };
    const errors = collect((checks) => validateModelConfig(model, 'model', checks));
    expect(errors.map((e) => `${e.field}: ${e.message.replace(/^model\.\w+: /, '')}`)).toEqual([
      'model.hidden: must be a whole number ≥ 1, got 0',
      'model.norm: must be one of "pre", "post", got "middle"',
      'model.dropout: must be a number in [0, 1), got 1',
      'model.lnEps: must be a number in (0, 1], got 0',
    ]);
  });

  it('keeps the train config\'s cross-field rule: seqLen within the position embeddings', () => {
    const errors = collect((checks) => validateTrainConfig({ ...SIZES.tiny.train, seqLen: 64, lr: -1 }, SIZES.tiny.model, 'train', checks));
    expect(errors.map((e) => e.field)).toEqual(['train.lr', 'train.seqLen']);
    expect(errors[1].message).toMatch(/64 exceeds the model's position embeddings \(maxLen 32\)/);
  });
});

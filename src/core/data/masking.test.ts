import { beforeAll, describe, expect, it } from 'vitest';
import { loadCorpus } from '../../node/corpus.ts';
import { ConfigError } from '../errors.ts';
import type { MlmBatch } from './batch.ts';
import { corpusWindows, packWindow } from './batcher.ts';
import { CLS_ID, MASK_ID, NUM_SPECIAL, PAD_ID, SEP_ID, type Corpus } from './corpus.ts';
import { applyMlmMasking, predsPerSeq } from './masking.ts';
import { Rng } from './rng.ts';

let corpus: Corpus;
beforeAll(async () => {
  corpus = await loadCorpus();
});

/** Unmasked rows from real validation windows, every 7th window (so short doc tails are included). */
function realBatch(seqLen: number, batchSize: number, vocabSize: number, from: number): MlmBatch {
  const windows = corpusWindows(corpus, 'validation', seqLen);
  const P = predsPerSeq(seqLen);
  const batch: MlmBatch = {
    batchSize, seqLen, predsPerSeq: P,
    inputIds: new Int32Array(batchSize * seqLen), attentionMask: new Float32Array(batchSize * seqLen),
    maskedPositions: new Int32Array(batchSize * P), maskedLabels: new Int32Array(batchSize * P),
    maskedWeights: new Float32Array(batchSize * P), realTokens: 0,
  };
  for (let b = 0; b < batchSize; b++) {
    const w = windows[(from + 7 * b) % windows.length];
    batch.realTokens += packWindow(corpus, w, seqLen, vocabSize, batch.inputIds, batch.attentionMask, b);
  }
  return batch;
}

describe('predsPerSeq', () => {
  it('is max(1, round(15% of seqLen - 2))', () => {
    // 0.15*1 = 0.15 -> 1; 0.15*8 = 1.2 -> 1; 0.15*14 = 2.1 -> 2; 0.15*62 = 9.3 -> 9; 0.15*126 = 18.9 -> 19.
    expect([3, 10, 16, 64, 128].map(predsPerSeq)).toEqual([1, 1, 2, 9, 19]);
    expect(() => predsPerSeq(2)).toThrow(ConfigError);
  });
});

describe('applyMlmMasking on real Brown windows', () => {
  const seqLen = 64;
  const vocabSize = 2000;
  const rows = 4000;

  let stats: {
    candidates: number; predicted: number; masked: number; kept: number; random: number[];
    firstHalf: number; secondHalf: number; violations: string[];
  };

  beforeAll(() => {
    const rng = new Rng(11);
    stats = { candidates: 0, predicted: 0, masked: 0, kept: 0, random: [], firstHalf: 0, secondHalf: 0, violations: [] };
    const P = predsPerSeq(seqLen);
    for (let start = 0; start < rows; start += 100) {
      const batch = realBatch(seqLen, 100, vocabSize, start);
      const original = batch.inputIds.slice();
      applyMlmMasking(batch, vocabSize, rng);
      for (let b = 0; b < batch.batchSize; b++) {
        const cands: number[] = [];
        for (let i = 0; i < seqLen; i++) {
          const id = original[b * seqLen + i];
          if (id !== PAD_ID && id !== CLS_ID && id !== SEP_ID) cands.push(b * seqLen + i);
        }
        const want = Math.min(P, Math.max(1, Math.round(0.15 * cands.length)));
        const slots = Array.from({ length: P }, (_, s) => b * P + s);
        const real = slots.filter((s) => batch.maskedWeights[s] === 1);
        const positions = real.map((s) => batch.maskedPositions[s]);
        if (real.length !== want) stats.violations.push(`row ${b}: ${real.length} predictions, want ${want}`);
        if (!positions.every((p, j) => cands.includes(p) && (j === 0 || p > positions[j - 1]))) {
          stats.violations.push(`row ${b}: positions ${positions} not ascending candidates`);
        }
        for (const s of slots.slice(real.length)) {
          if (batch.maskedWeights[s] !== 0 || batch.maskedPositions[s] !== b * seqLen || batch.maskedLabels[s] !== 0) {
            stats.violations.push(`row ${b}: padding slot ${s} not (position ${b * seqLen}, label 0, weight 0)`);
          }
        }
        for (let i = b * seqLen; i < (b + 1) * seqLen; i++) {
          if (!positions.includes(i) && batch.inputIds[i] !== original[i]) stats.violations.push(`row ${b}: unpredicted ${i} changed`);
        }
        stats.candidates += cands.length;
        stats.predicted += real.length;
        const mid = (cands[0] + cands[cands.length - 1]) / 2;
        for (const s of real) {
          const p = batch.maskedPositions[s];
          if (batch.maskedLabels[s] !== original[p]) stats.violations.push(`row ${b}: label at ${p} is not the original id`);
          const now = batch.inputIds[p];
          if (now === MASK_ID) stats.masked++;
          else if (now === original[p]) stats.kept++;
          else stats.random.push(now);
          if (p < mid) stats.firstHalf++;
          else if (p > mid) stats.secondHalf++;
        }
      }
    }
  });

  it('predicts exactly min(P, max(1, round(15% of candidates))) ascending real positions per row', () => {
    expect(stats.violations.slice(0, 5)).toEqual([]);
    // Full windows have 62 candidates -> 9 predictions (14.5%); short tails round up to at least 1.
    const frac = stats.predicted / stats.candidates;
    expect(frac).toBeGreaterThan(0.14);
    expect(frac).toBeLessThan(0.16);
  });

  it('splits the predictions 80% [MASK] / 10% random / 10% kept', () => {
    const N = stats.predicted;
    expect(N).toBeGreaterThan(30_000);
    // Binomial sd of a fraction p over N draws; a random draw equals the original with p = 1/(V-5).
    const tol = (p: number): number => 5 * Math.sqrt((p * (1 - p)) / N);
    const pSame = 0.1 / (vocabSize - NUM_SPECIAL);
    expect(Math.abs(stats.masked / N - 0.8)).toBeLessThan(tol(0.8));
    expect(Math.abs(stats.kept / N - (0.1 + pSame))).toBeLessThan(tol(0.1));
    expect(Math.abs(stats.random.length / N - (0.1 - pSame))).toBeLessThan(tol(0.1));
  });

  it('draws random replacements uniformly from the non-special ids below vocabSize', () => {
    const r = stats.random;
    expect(r.filter((id) => id < NUM_SPECIAL || id >= vocabSize)).toEqual([]);
    // Four equal-width bins over [5, 2000): 1995 ids, so bins of 498.75 ids each hold ~25%.
    const bins = [0, 0, 0, 0];
    for (const id of r) bins[Math.floor(((id - NUM_SPECIAL) * 4) / (vocabSize - NUM_SPECIAL))]++;
    for (const c of bins) expect(Math.abs(c / r.length - 0.25)).toBeLessThan(5 * Math.sqrt(0.25 * 0.75 / r.length));
  });

  it('chooses positions without a bias towards either end of the row', () => {
    const n = stats.firstHalf + stats.secondHalf;
    expect(Math.abs(stats.firstHalf / n - 0.5)).toBeLessThan(5 * Math.sqrt(0.25 / n));
  });

  it('is reproducible from the Rng seed', () => {
    const a = realBatch(32, 8, vocabSize, 3);
    const b = realBatch(32, 8, vocabSize, 3);
    applyMlmMasking(a, vocabSize, new Rng(5));
    applyMlmMasking(b, vocabSize, new Rng(5));
    expect(b).toEqual(a);
  });
});

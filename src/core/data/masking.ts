import { ConfigError } from '../errors.ts';
import type { MlmBatch } from './batch.ts';
import { CLS_ID, MASK_ID, NUM_SPECIAL, PAD_ID, SEP_ID } from './corpus.ts';
import type { Rng } from './rng.ts';

export const MASK_RATE = 0.15;

/** Static number of prediction slots per sequence: 15% of the non-[CLS]/[SEP] positions, at least 1. */
export function predsPerSeq(seqLen: number): number {
  if (!Number.isInteger(seqLen) || seqLen < 3) {
    throw new ConfigError('seqLen', `must be an integer >= 3 ([CLS], a token, [SEP]), got ${String(seqLen)}`);
  }
  return Math.max(1, Math.round(MASK_RATE * (seqLen - 2)));
}

/**
 * BERT's masking, in place. On entry `batch.inputIds` holds the original ids (< vocabSize) and the
 * masked* arrays are allocated with B * predsPerSeq entries. For each row, candidates are the real
 * tokens (not [CLS]/[SEP]/[PAD]); min(P, max(1, round(15% of them))) are chosen uniformly, stored in
 * ascending position order; of those 80% become [MASK], 10% a uniformly drawn non-special id
 * < vocabSize, 10% stay. Unused slots point at the row's position 0 with label 0 and weight 0.
 */
export function applyMlmMasking(batch: MlmBatch, vocabSize: number, rng: Rng): void {
  const { batchSize: B, seqLen: n, predsPerSeq: P, inputIds } = batch;
  if (!Number.isInteger(vocabSize) || vocabSize <= NUM_SPECIAL) {
    throw new ConfigError('vocabSize', `must be an integer > ${NUM_SPECIAL} (the special tokens), got ${String(vocabSize)}`);
  }
  if (inputIds.length !== B * n || batch.maskedPositions.length !== B * P
    || batch.maskedLabels.length !== B * P || batch.maskedWeights.length !== B * P) {
    throw new ConfigError('batch', `arrays must hold B*n = ${B * n} ids and B*P = ${B * P} prediction slots`);
  }
  const candidates: number[] = [];
  for (let b = 0; b < B; b++) {
    const row = b * n;
    candidates.length = 0;
    for (let i = 0; i < n; i++) {
      const id = inputIds[row + i];
      if (id !== PAD_ID && id !== CLS_ID && id !== SEP_ID) candidates.push(i);
    }
    const k = Math.min(P, candidates.length, Math.max(1, Math.round(MASK_RATE * candidates.length)));
    // Partial Fisher–Yates: the first k entries become a uniform k-subset.
    for (let j = 0; j < k; j++) {
      const r = j + rng.int(candidates.length - j);
      const t = candidates[j];
      candidates[j] = candidates[r];
      candidates[r] = t;
    }
    const chosen = candidates.slice(0, k).sort((x, y) => x - y);
    for (let s = 0; s < P; s++) {
      const slot = b * P + s;
      if (s >= k) {
        batch.maskedPositions[slot] = row;
        batch.maskedLabels[slot] = 0;
        batch.maskedWeights[slot] = 0;
        continue;
      }
      const pos = row + chosen[s];
      batch.maskedPositions[slot] = pos;
      batch.maskedLabels[slot] = inputIds[pos];
      batch.maskedWeights[slot] = 1;
      const u = rng.next();
      if (u < 0.8) inputIds[pos] = MASK_ID;
      else if (u < 0.9) inputIds[pos] = NUM_SPECIAL + rng.int(vocabSize - NUM_SPECIAL);
    }
  }
}

import { MASK_ID, PAD_ID } from './corpus.ts';
import type { MlmBatch } from './batch.ts';

/**
 * A batch from whole rows of ids (each seqLen long, [PAD] = 0 at the end) and, per row, the
 * positions to predict: those become [MASK] in the input and their ids the labels. Rows with fewer
 * than predsPerSeq predictions get padding slots (position 0 of the row, weight 0).
 */
export function maskedBatch(rows: readonly number[][], masked: readonly number[][], predsPerSeq: number): MlmBatch {
  const B = rows.length, n = rows[0].length, P = predsPerSeq;
  const inputIds = new Int32Array(B * n);
  const attentionMask = new Float32Array(B * n);
  const maskedPositions = new Int32Array(B * P);
  const maskedLabels = new Int32Array(B * P);
  const maskedWeights = new Float32Array(B * P);
  let realTokens = 0;
  rows.forEach((row, b) => {
    if (row.length !== n) throw new RangeError(`maskedBatch: row ${b} has ${row.length} ids, expected ${n}`);
    if (masked[b].length > P) throw new RangeError(`maskedBatch: row ${b} masks ${masked[b].length} positions, at most ${P}`);
    const ids = [...row];
    for (let s = 0; s < P; s++) maskedPositions[b * P + s] = b * n;
    masked[b].forEach((pos, s) => {
      maskedPositions[b * P + s] = b * n + pos;
      maskedLabels[b * P + s] = row[pos];
      maskedWeights[b * P + s] = 1;
      ids[pos] = MASK_ID;
    });
    inputIds.set(ids, b * n);
    ids.forEach((id, i) => {
      if (id !== PAD_ID) {
        attentionMask[b * n + i] = 1;
        realTokens += 1;
      }
    });
  });
  return { batchSize: B, seqLen: n, inputIds, attentionMask, predsPerSeq: P, maskedPositions, maskedLabels, maskedWeights, realTokens };
}

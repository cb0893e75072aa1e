/**
 * One masked-language-model batch, as plain typed arrays so it can cross a worker boundary and be
 * built deterministically on the CPU. B = batchSize, n = seqLen, P = predsPerSeq.
 */
export interface MlmBatch {
  batchSize: number;
  seqLen: number;
  /** [B*n] token ids after masking ([MASK]/random/keep already applied); ids < vocabSize. */
  inputIds: Int32Array;
  /** [B*n] 1 for real tokens, 0 for [PAD]. */
  attentionMask: Float32Array;
  /** Max predicted positions per sequence (static so tensor shapes stay fixed). */
  predsPerSeq: number;
  /** [B*P] flat index b*n + position of each predicted token; padding slots point at position 0 of row b. */
  maskedPositions: Int32Array;
  /** [B*P] original token id at each predicted position (0 in padding slots). */
  maskedLabels: Int32Array;
  /** [B*P] 1 for a real prediction, 0 for a padding slot. */
  maskedWeights: Float32Array;
  /** Number of non-pad tokens in the batch (for tokens/s). */
  realTokens: number;
}

/** Batches of one seqLen stacked into one batch, rows in order (for evaluation: fewer, larger forward passes). */
export function concatBatches(batches: readonly MlmBatch[]): MlmBatch {
  const n = batches[0].seqLen;
  const P = batches[0].predsPerSeq;
  if (batches.some((b) => b.seqLen !== n || b.predsPerSeq !== P)) throw new RangeError('concatBatches: batches differ in seqLen or predsPerSeq');
  const B = batches.reduce((s, b) => s + b.batchSize, 0);
  const out: MlmBatch = {
    batchSize: B, seqLen: n, predsPerSeq: P,
    inputIds: new Int32Array(B * n), attentionMask: new Float32Array(B * n),
    maskedPositions: new Int32Array(B * P), maskedLabels: new Int32Array(B * P), maskedWeights: new Float32Array(B * P),
    realTokens: 0,
  };
  let row = 0;
  for (const b of batches) {
    out.inputIds.set(b.inputIds, row * n);
    out.attentionMask.set(b.attentionMask, row * n);
    // Positions are flat indices into [B*n]: shift them by the rows before this batch.
    b.maskedPositions.forEach((p, i) => {
      out.maskedPositions[row * P + i] = p + row * n;
    });
    out.maskedLabels.set(b.maskedLabels, row * P);
    out.maskedWeights.set(b.maskedWeights, row * P);
    out.realTokens += b.realTokens;
    row += b.batchSize;
  }
  return out;
}

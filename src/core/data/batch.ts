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

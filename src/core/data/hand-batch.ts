import type { MlmBatch } from './batch.ts';

/**
 * A batch small enough to check by hand: two rows of 8 over a 30-word vocabulary. Row 0 is 8 real
 * tokens with positions 2 and 5 masked; row 1 is 5 real tokens then [PAD]s, position 3 masked
 * (flat 11) and one padding prediction slot (weight 0). Fresh arrays on every call.
 */
export function handBatch(): MlmBatch {
  return {
    batchSize: 2, seqLen: 8, predsPerSeq: 2,
    inputIds: Int32Array.from([2, 11, 4, 13, 14, 4, 16, 3, 2, 21, 22, 4, 3, 0, 0, 0]),
    attentionMask: Float32Array.from([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]),
    maskedPositions: Int32Array.from([2, 5, 11, 8]),
    maskedLabels: Int32Array.from([12, 15, 23, 0]),
    maskedWeights: Float32Array.from([1, 1, 1, 0]),
    realTokens: 13,
  };
}

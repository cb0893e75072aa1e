import type { MlmBatch } from '../data/batch.ts';
import { ConfigError } from '../errors.ts';
import { POOL_REDUCES, type PoolReduce } from './config.ts';

/**
 * How the first layer's queries are built from the full-length embedding stream (grow_bert's
 * EmbedPoolLayer). Per sequence the pooled stream is: [CLS], the unmasked real tokens pooled in
 * consecutive windows of k (in order, with the masked tokens taken out first), the masked tokens one
 * per slot, then empty padding slots up to queryLen. Slot q of row b reads up to k rows of the
 * [B·n, d] stream: member j is entry ((b·queryLen)+q)·k+j of sourceRows/sourceWeights.
 * A plan belongs to the batch it was made from: with another batch it reads the wrong rows.
 */
export interface PoolPlan {
  k: number;
  reduce: PoolReduce;
  batchSize: number;
  seqLen: number;
  /** Pooled sequence length, static per (n, P, k): see poolQueryLen. */
  queryLen: number;
  /** [B·queryLen·k] row of the [B·n, d] stream; unused members point at the row's [CLS]. */
  sourceRows: Int32Array;
  /** [B·queryLen·k] mean: 1/(members of the slot); max: 1; 0 for unused members. */
  sourceWeights: Float32Array;
  /** [B·queryLen] 1 for a used slot, 0 for a padding slot. */
  queryMask: Float32Array;
  /** [B·P] row of the pooled [B·queryLen, d] stream holding each prediction; padding predictions read [CLS]. */
  maskedPositions: Int32Array;
  /**
   * [B·n] the one pooled row each stream row feeds with a nonzero weight (padding tokens feed none:
   * their weight is 0 and the index is their row's [CLS] slot), and [B·n] that weight. Every stream
   * row sits in at most one slot, so the pooling's gradient is a gather of these rows, not a
   * scatter-add.
   */
  rowSlot: Int32Array;
  rowWeight: Float32Array;
}

/**
 * Static pooled length for sequences of n tokens with up to P predictions: a row with m distinct
 * masked tokens (m ≤ M = min(P, n−1), [CLS] never counted) uses 1 + m + ceil((n−1−m)/k) slots at
 * most, which grows with m, so 1 + M + ceil((n−1−M)/k) fits every row. FLOPs accounting uses this as
 * the first layer's query length (keys/values stay n) and every later layer's sequence length.
 */
export function poolQueryLen(seqLen: number, predsPerSeq: number, k: number): number {
  const m = Math.min(predsPerSeq, seqLen - 1);
  return 1 + m + Math.ceil((seqLen - 1 - m) / k);
}

export function makePoolPlan(batch: MlmBatch, k: number, reduce: PoolReduce): PoolPlan {
  if (!Number.isInteger(k) || k < 1) throw new ConfigError('pool.k', `must be a positive integer window, got ${String(k)}`);
  if (!POOL_REDUCES.includes(reduce)) {
    throw new ConfigError('pool.reduce', `must be one of ${POOL_REDUCES.join(', ')}, got ${String(reduce)}`);
  }
  const { batchSize: B, seqLen: n, predsPerSeq: P } = batch;
  const Q = poolQueryLen(n, P, k);
  const sourceRows = new Int32Array(B * Q * k);
  const sourceWeights = new Float32Array(B * Q * k);
  const queryMask = new Float32Array(B * Q);
  const maskedPositions = new Int32Array(B * P);
  const rowSlot = new Int32Array(B * n);
  const rowWeight = new Float32Array(B * n);

  for (let b = 0; b < B; b++) {
    const slots: number[][] = [[0]];
    const slotOfPos = new Map<number, number>([[0, 0]]);
    const maskedPos: number[] = [];
    for (let j = 0; j < P; j++) {
      const pos = batch.maskedPositions[b * P + j] - b * n;
      if (!Number.isInteger(pos) || pos < 0 || pos >= n) {
        throw new ConfigError('batch.maskedPositions', `entry ${b * P + j} = ${batch.maskedPositions[b * P + j]} is outside row ${b} (flat indices ${b * n}..${b * n + n - 1})`);
      }
      if (!slotOfPos.has(pos) && !maskedPos.includes(pos)) maskedPos.push(pos);
    }
    let window: number[] = [];
    for (let pos = 1; pos < n; pos++) {
      if (batch.attentionMask[b * n + pos] === 0 || maskedPos.includes(pos)) continue;
      window.push(pos);
      if (window.length === k) {
        slots.push(window);
        window = [];
      }
    }
    if (window.length > 0) slots.push(window);
    for (const pos of maskedPos) {
      slotOfPos.set(pos, slots.length);
      slots.push([pos]);
    }
    if (slots.length > Q) throw new Error(`makePoolPlan: row ${b} needs ${slots.length} slots, more than queryLen ${Q}`);

    sourceRows.fill(b * n, b * Q * k, (b + 1) * Q * k);
    rowSlot.fill(b * Q, b * n, (b + 1) * n);
    slots.forEach((members, q) => {
      queryMask[b * Q + q] = 1;
      members.forEach((pos, j) => {
        const at = (b * Q + q) * k + j;
        sourceRows[at] = b * n + pos;
        sourceWeights[at] = reduce === 'mean' ? 1 / members.length : 1;
        rowSlot[b * n + pos] = b * Q + q;
        rowWeight[b * n + pos] = sourceWeights[at];
      });
    });
    for (let j = 0; j < P; j++) {
      maskedPositions[b * P + j] = b * Q + slotOfPos.get(batch.maskedPositions[b * P + j] - b * n)!;
    }
  }
  return { k, reduce, batchSize: B, seqLen: n, queryLen: Q, sourceRows, sourceWeights, queryMask, maskedPositions, rowSlot, rowWeight };
}

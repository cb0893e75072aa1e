import { beforeAll, describe, expect, it } from 'vitest';
import { loadCorpus } from '../../node/corpus.ts';
import { ConfigError } from '../errors.ts';
import type { MlmBatch } from './batch.ts';
import { corpusWindows, fixedBatches, MlmBatcher, packWindow, type BatcherCursor } from './batcher.ts';
import { CLS_ID, PAD_ID, SEP_ID, UNK_ID, type Corpus } from './corpus.ts';
import { predsPerSeq } from './masking.ts';

let corpus: Corpus;
beforeAll(async () => {
  corpus = await loadCorpus();
});

/** The row's ids before masking: masked positions get their labels back. */
function unmasked(batch: MlmBatch): Int32Array {
  const ids = batch.inputIds.slice();
  batch.maskedWeights.forEach((w, s) => {
    if (w === 1) ids[batch.maskedPositions[s]] = batch.maskedLabels[s];
  });
  return ids;
}

describe('corpusWindows', () => {
  it('tiles each document of the split with seqLen-2 tokens per window, tail last', () => {
    const seqLen = 50;
    const windows = corpusWindows(corpus, 'test', seqLen);
    const testDocs = corpus.docs.filter((d) => d.split === 'test');
    expect(windows.length).toBe(testDocs.reduce((a, d) => a + Math.ceil(d.length / 48), 0));
    const doc = testDocs[0];
    const mine = windows.filter((w) => w.docId === doc.id);
    expect(mine[0]).toEqual({ docIndex: corpus.docs.indexOf(doc), docId: doc.id, genre: doc.genre, start: doc.offset, length: 48 });
    expect(mine.reduce((a, w) => a + w.length, 0)).toBe(doc.length);
    expect(mine[mine.length - 1].length).toBe(doc.length - 48 * (mine.length - 1));
    expect(mine.every((w, i) => w.start === doc.offset + 48 * i)).toBe(true);
  });
});

describe('packWindow', () => {
  it('writes [CLS] tokens [SEP] then [PAD], with attention 1 exactly on the first length+2 positions', () => {
    const seqLen = 32;
    const windows = corpusWindows(corpus, 'validation', seqLen);
    const tail = windows.find((w) => w.length < 20)!;
    const ids = new Int32Array(2 * seqLen).fill(-1);
    const att = new Float32Array(2 * seqLen).fill(-1);
    expect(packWindow(corpus, tail, seqLen, 100_000, ids, att, 1)).toBe(tail.length + 2);
    const row = Array.from(ids.subarray(seqLen));
    const expected = [CLS_ID, ...corpus.tokens.subarray(tail.start, tail.start + tail.length), SEP_ID];
    expect(row).toEqual([...expected, ...new Array(seqLen - expected.length).fill(PAD_ID)]);
    expect(Array.from(att.subarray(seqLen))).toEqual([...new Array(expected.length).fill(1), ...new Array(seqLen - expected.length).fill(0)]);
    expect(Array.from(ids.subarray(0, seqLen)).every((x) => x === -1)).toBe(true);
  });

  it('maps ids at or above the vocabulary cap to [UNK]', () => {
    const seqLen = 130;
    const w = corpusWindows(corpus, 'train', seqLen)[0];
    const cap = 50;
    const ids = new Int32Array(seqLen);
    packWindow(corpus, w, seqLen, cap, ids, new Float32Array(seqLen), 0);
    const src = corpus.tokens.subarray(w.start, w.start + w.length);
    const rare = Array.from(src).filter((t) => t >= cap).length;
    expect(rare).toBeGreaterThan(10);
    expect(Array.from(ids.subarray(1, 1 + w.length)).filter((t) => t === UNK_ID).length).toBe(rare);
    src.forEach((t, i) => expect(ids[1 + i]).toBe(t < cap ? t : UNK_ID));
  });
});

describe('MlmBatcher', () => {
  const opts = { batchSize: 64, seqLen: 128, vocabSize: 2000, seed: 17 };

  it('fills a batch with consistent shapes, caps and counts', () => {
    const batch = new MlmBatcher(corpus, 'train', { ...opts, vocabSize: 300 }).next();
    const P = predsPerSeq(128);
    expect([batch.batchSize, batch.seqLen, batch.predsPerSeq]).toEqual([64, 128, P]);
    expect([batch.inputIds.length, batch.maskedPositions.length]).toEqual([64 * 128, 64 * P]);
    expect(batch.realTokens).toBe(batch.attentionMask.reduce((a, x) => a + x, 0));
    expect(Math.max(...batch.inputIds, ...batch.maskedLabels)).toBeLessThan(300);
    const ids = unmasked(batch);
    for (let b = 0; b < 64; b++) {
      const row = ids.subarray(b * 128, (b + 1) * 128);
      const len = batch.attentionMask.subarray(b * 128, (b + 1) * 128).reduce((a, x) => a + x, 0);
      expect(row[0]).toBe(CLS_ID);
      expect(row[len - 1]).toBe(SEP_ID);
      expect(Array.from(row.subarray(len)).every((x) => x === PAD_ID)).toBe(true);
      expect(Array.from(row.subarray(1, len - 1)).some((x) => x === CLS_ID || x === SEP_ID || x === PAD_ID)).toBe(false);
    }
  });

  it('visits every window exactly once per epoch, in a new order each epoch', () => {
    const small = { batchSize: 50, seqLen: 128, vocabSize: 100_000, seed: 3 };
    const batcher = new MlmBatcher(corpus, 'validation', small);
    const key = (ids: ArrayLike<number>): string => Array.from(ids).join(',');
    const expected = batcher.windows.map((w) => key([CLS_ID, ...corpus.tokens.subarray(w.start, w.start + w.length), SEP_ID])).sort();
    const rowsPerEpoch = batcher.windows.length;
    const seen: string[] = [];
    while (seen.length < 2 * rowsPerEpoch + 50) {
      const batch = batcher.next();
      const ids = unmasked(batch);
      for (let b = 0; b < batch.batchSize; b++) {
        const len = batch.attentionMask.subarray(b * 128, (b + 1) * 128).reduce((a, x) => a + x, 0);
        seen.push(key(ids.subarray(b * 128, b * 128 + len)));
      }
    }
    const epoch0 = seen.slice(0, rowsPerEpoch);
    const epoch1 = seen.slice(rowsPerEpoch, 2 * rowsPerEpoch);
    expect([...epoch0].sort()).toEqual(expected);
    expect([...epoch1].sort()).toEqual(expected);
    expect(epoch1).not.toEqual(epoch0);
    expect(batcher.getCursor().epoch).toBe(2);
  });

  it('resumes from a JSON cursor with the same next batches, across an epoch boundary', () => {
    const small = { batchSize: 64, seqLen: 128, vocabSize: 2000, seed: 5 };
    const a = new MlmBatcher(corpus, 'validation', small);
    const perEpoch = Math.floor(a.windows.length / 64);
    const cursors: BatcherCursor[] = [];
    const batches: MlmBatch[] = [];
    for (let i = 0; i < perEpoch + 3; i++) {
      cursors.push(JSON.parse(JSON.stringify(a.getCursor())) as BatcherCursor);
      batches.push(a.next());
    }
    for (const i of [3, perEpoch - 1, perEpoch + 1]) {
      const b = new MlmBatcher(corpus, 'validation', small);
      b.setCursor(cursors[i]);
      expect(b.next()).toEqual(batches[i]);
      expect(b.next()).toEqual(batches[i + 1]);
    }
    expect(cursors[perEpoch + 1].epoch).toBe(1);
    const fresh = new MlmBatcher(corpus, 'validation', small);
    fresh.next();
    expect(fresh.next()).toEqual(batches[1]);
  });

  it('rejects bad options and cursors, naming the field', () => {
    expect(() => new MlmBatcher(corpus, 'train', { ...opts, seqLen: 2 })).toThrow(/seqLen/);
    expect(() => new MlmBatcher(corpus, 'train', { ...opts, vocabSize: 5 })).toThrow(/vocabSize/);
    expect(() => new MlmBatcher(corpus, 'train', { ...opts, batchSize: 0 })).toThrow(ConfigError);
    expect(() => new MlmBatcher(corpus, 'dev' as 'train', opts)).toThrow(/split/);
    const b = new MlmBatcher(corpus, 'test', opts);
    expect(() => b.setCursor({ epoch: 0, index: b.windows.length + 1, rng: [1, 2, 3, 4] })).toThrow(/cursor\.index/);
    expect(() => b.setCursor({ epoch: 0, index: 0, rng: [1, 2] })).toThrow(/rng/);
  });

  it('works at a new sequence length by constructing another batcher', () => {
    const short = new MlmBatcher(corpus, 'train', { ...opts, seqLen: 32 }).next();
    const long = new MlmBatcher(corpus, 'train', opts).next();
    expect([short.inputIds.length, short.predsPerSeq]).toEqual([64 * 32, 5]);
    expect([long.inputIds.length, long.predsPerSeq]).toEqual([64 * 128, 19]);
  });
});

describe('fixedBatches', () => {
  it('returns the same batches for the same options and different ones for another seed', () => {
    const opts = { batchSize: 16, seqLen: 64, vocabSize: 2000, seed: 9 };
    const a = fixedBatches(corpus, 'validation', opts, 3);
    expect(a).toHaveLength(3);
    expect(fixedBatches(corpus, 'validation', opts, 3)).toEqual(a);
    expect(fixedBatches(corpus, 'validation', { ...opts, seed: 10 }, 3)[0].inputIds).not.toEqual(a[0].inputIds);
    expect(() => fixedBatches(corpus, 'validation', opts, 0)).toThrow(/count/);
  });
});

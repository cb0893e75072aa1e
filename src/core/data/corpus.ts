/** Ids of the special tokens in every tokenization (docs/architecture.md, "Data"). */
export const PAD_ID = 0;
export const UNK_ID = 1;
export const CLS_ID = 2;
export const SEP_ID = 3;
export const MASK_ID = 4;
export const SPECIAL_TOKENS: readonly string[] = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
/** Ids below this are special; word pieces start here. */
export const NUM_SPECIAL = SPECIAL_TOKENS.length;

/** Bump when the shard layout changes; parseCorpus refuses other versions. */
export const CORPUS_FORMAT = 'growlab-brown';
/** 2: the text is stored as pre-tokenized words and tokenized per vocabulary cap (vocab-cap.ts). */
export const CORPUS_FORMAT_VERSION = 2;
export const CORPUS_FILES = {
  manifest: 'manifest.json',
  vocab: 'vocab.json',
  words: 'words.json',
  docs: 'docs.json',
  units: 'units.bin',
} as const;

export type Split = 'train' | 'validation' | 'test';
export const SPLITS: readonly Split[] = ['train', 'validation', 'test'];

export type CoarseGenreId = 'press' | 'general' | 'learned' | 'fiction';

export interface Genre {
  /** Brown's file letter: ca01 is genre "a". */
  letter: string;
  name: string;
  coarse: CoarseGenreId;
}

/** The Brown Corpus's 15 genres, as listed in its CONTENTS file. */
export const GENRES: readonly Genre[] = [
  { letter: 'a', name: 'Press: reportage', coarse: 'press' },
  { letter: 'b', name: 'Press: editorial', coarse: 'press' },
  { letter: 'c', name: 'Press: reviews', coarse: 'press' },
  { letter: 'd', name: 'Religion', coarse: 'general' },
  { letter: 'e', name: 'Skill and hobbies', coarse: 'general' },
  { letter: 'f', name: 'Popular lore', coarse: 'general' },
  { letter: 'g', name: 'Belles-lettres', coarse: 'general' },
  { letter: 'h', name: 'Miscellaneous: government & house organs', coarse: 'general' },
  { letter: 'j', name: 'Learned', coarse: 'learned' },
  { letter: 'k', name: 'Fiction: general', coarse: 'fiction' },
  { letter: 'l', name: 'Fiction: mystery', coarse: 'fiction' },
  { letter: 'm', name: 'Fiction: science', coarse: 'fiction' },
  { letter: 'n', name: 'Fiction: adventure', coarse: 'fiction' },
  { letter: 'p', name: 'Fiction: romance', coarse: 'fiction' },
  { letter: 'r', name: 'Humor', coarse: 'fiction' },
];

/** Four groups of genres for a downstream classification task with enough documents per class. */
export const COARSE_GENRES: readonly { id: CoarseGenreId; name: string; letters: readonly string[] }[] = [
  { id: 'press', name: 'Press', letters: ['a', 'b', 'c'] },
  { id: 'general', name: 'General prose', letters: ['d', 'e', 'f', 'g', 'h'] },
  { id: 'learned', name: 'Learned', letters: ['j'] },
  { id: 'fiction', name: 'Fiction', letters: ['k', 'l', 'm', 'n', 'p', 'r'] },
];

export interface CorpusDoc {
  /** Brown file name, e.g. "ca01". */
  id: string;
  /** Genre letter. */
  genre: string;
  split: Split;
  /** First token of the document in Corpus.tokens (in CorpusSource.docs: first word in CorpusSource.units). */
  offset: number;
  /** Number of tokens (in CorpusSource.docs: of words). */
  length: number;
  /** Start of each sentence, relative to `offset`, ascending, first 0. */
  sentences: number[];
}

/** The corpus tokenized with the first `size` candidate pieces (the build's report). */
export interface VocabularyStats {
  size: number;
  tokens: number;
  unk: number;
  /** unk / tokens. */
  unkShare: number;
}

export interface CorpusManifest {
  format: typeof CORPUS_FORMAT;
  version: number;
  /** Hash of the build script version and its inputs; the build skips when it matches. */
  fingerprint: string;
  tokenizer: string;
  counts: {
    docs: number;
    sentences: number;
    /** Brown's whitespace-separated words. */
    words: number;
    /** Words after BERT's normalizer and pre-tokenizer (punctuation split off): what WordPiece sees. */
    units: number;
    /** Distinct units: the entries of words.json. */
    distinctUnits: number;
    /** Candidate pieces in vocab.json (specials included): the largest useful vocabulary cap. */
    pieces: number;
    splits: Record<Split, { docs: number; units: number }>;
  };
  /** Tokens and [UNK] share at the size presets' caps (and 4,000), and with every candidate piece. */
  vocabularies: VocabularyStats[];
  specialIds: Record<string, number>;
}

/** The corpus as words; every tokenization (vocab-cap.ts) is made from it. */
export interface CorpusSource {
  /** vocab.json: candidate pieces in the order a capped vocabulary takes them, counts from the uncapped tokenization. */
  pieces: VocabFile;
  /** Distinct pre-tokenized words (lowercased, accents stripped, punctuation split off); index = word id. */
  words: string[];
  /** Word ids of all documents, concatenated in `docs` order. */
  units: Uint16Array;
  /** Offsets and sentence starts in words. */
  docs: CorpusDoc[];
}

/**
 * The corpus tokenized with one vocabulary. Loading gives the tokenization with every candidate
 * piece; atVocab (vocab-cap.ts) gives the one a model's vocabulary cap implies.
 */
export interface Corpus {
  manifest: CorpusManifest;
  /** This tokenization's vocabulary, BERT vocab.txt spellings; index = id. */
  vocab: string[];
  /** BERT (bert-base-uncased) id of each id. */
  bertIds: number[];
  /** Occurrences of each id in the whole corpus (0 for [PAD], [CLS], [SEP], [MASK]). */
  counts: number[];
  docs: CorpusDoc[];
  /** All documents' ids, concatenated in `docs` order. */
  tokens: Uint16Array;
  /** The words this was tokenized from; absent in corpora built by hand (tests), which atVocab leaves alone. */
  source?: CorpusSource;
}

/** vocab.json: parallel columns. */
export interface VocabFile {
  tokens: string[];
  bertIds: number[];
  counts: number[];
}

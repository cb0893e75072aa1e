import { ConfigError } from '../errors.ts';

/** Compact-vocabulary ids of the special tokens (docs/architecture.md, "Data"). */
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
export const CORPUS_FORMAT_VERSION = 1;
export const CORPUS_FILES = {
  manifest: 'manifest.json',
  vocab: 'vocab.json',
  docs: 'docs.json',
  tokens: 'tokens.bin',
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
  /** First token of the document in Corpus.tokens. */
  offset: number;
  /** Number of tokens. */
  length: number;
  /** Start of each sentence, relative to `offset`, ascending, first 0. */
  sentences: number[];
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
    words: number;
    tokens: number;
    vocab: number;
    /** Word pieces that came out as [UNK]. */
    unk: number;
    splits: Record<Split, { docs: number; tokens: number }>;
  };
  specialIds: Record<string, number>;
}

export interface Corpus {
  manifest: CorpusManifest;
  /** Compact vocabulary, BERT vocab.txt spellings; index = compact id. */
  vocab: string[];
  /** BERT (bert-base-uncased) id of each compact id. */
  bertIds: number[];
  /** Occurrences of each compact id in the whole corpus (0 for [PAD], [CLS], [SEP], [MASK]). */
  counts: number[];
  docs: CorpusDoc[];
  /** All documents' compact ids, concatenated in `docs` order. */
  tokens: Uint16Array;
}

/** vocab.json: parallel columns. */
export interface VocabFile {
  tokens: string[];
  bertIds: number[];
  counts: number[];
}

function fail(field: string, msg: string): never {
  throw new ConfigError(`corpus.${field}`, `${msg} (rebuild the shards with \`npm run data -- --force\`)`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

function parseManifest(m: unknown): CorpusManifest {
  if (!isRecord(m)) fail('manifest', 'must be a JSON object');
  if (m.format !== CORPUS_FORMAT) fail('manifest.format', `expected "${CORPUS_FORMAT}", got ${JSON.stringify(m.format)}`);
  if (m.version !== CORPUS_FORMAT_VERSION) {
    fail('manifest.version', `expected format version ${CORPUS_FORMAT_VERSION}, got ${JSON.stringify(m.version)}`);
  }
  const c = m.counts;
  if (!isRecord(c)) fail('manifest.counts', 'must be an object');
  for (const k of ['docs', 'sentences', 'words', 'tokens', 'vocab', 'unk']) {
    if (!nonNegInt(c[k])) fail(`manifest.counts.${k}`, `must be a non-negative integer, got ${JSON.stringify(c[k])}`);
  }
  if (!isRecord(c.splits)) fail('manifest.counts.splits', 'must be an object');
  const ids = m.specialIds;
  if (!isRecord(ids)) fail('manifest.specialIds', 'must be an object');
  SPECIAL_TOKENS.forEach((t, i) => {
    if (ids[t] !== i) fail(`manifest.specialIds.${t}`, `expected ${i}, got ${JSON.stringify(ids[t])}`);
  });
  return m as unknown as CorpusManifest;
}

function parseVocab(v: unknown, size: number): VocabFile {
  if (!isRecord(v)) fail('vocab', 'must be a JSON object {tokens, bertIds, counts}');
  const { tokens, bertIds, counts } = v;
  if (!Array.isArray(tokens) || !Array.isArray(bertIds) || !Array.isArray(counts)) {
    fail('vocab', 'tokens, bertIds and counts must be arrays');
  }
  if (tokens.length !== size || bertIds.length !== size || counts.length !== size) {
    fail('vocab', `expected ${size} entries (manifest.counts.vocab), got tokens ${tokens.length}, bertIds ${bertIds.length}, counts ${counts.length}`);
  }
  SPECIAL_TOKENS.forEach((t, i) => {
    if (tokens[i] !== t) fail(`vocab.tokens[${i}]`, `expected ${t}, got ${JSON.stringify(tokens[i])}`);
  });
  if (!tokens.every((t) => typeof t === 'string')) fail('vocab.tokens', 'must all be strings');
  if (!bertIds.every(nonNegInt)) fail('vocab.bertIds', 'must all be non-negative integers');
  if (!counts.every(nonNegInt)) fail('vocab.counts', 'must all be non-negative integers');
  return { tokens, bertIds, counts } as VocabFile;
}

function parseDocs(d: unknown, totalTokens: number): CorpusDoc[] {
  if (!Array.isArray(d)) fail('docs', 'must be a JSON array');
  let expectedOffset = 0;
  const out = d.map((doc: unknown, i) => {
    const f = `docs[${i}]`;
    if (!isRecord(doc)) fail(f, 'must be an object');
    if (typeof doc.id !== 'string') fail(`${f}.id`, 'must be a string');
    if (!GENRES.some((g) => g.letter === doc.genre)) {
      fail(`${f}.genre`, `must be one of ${GENRES.map((g) => g.letter).join(', ')}, got ${JSON.stringify(doc.genre)}`);
    }
    if (!SPLITS.includes(doc.split as Split)) fail(`${f}.split`, `must be one of ${SPLITS.join(', ')}, got ${JSON.stringify(doc.split)}`);
    if (doc.offset !== expectedOffset) fail(`${f}.offset`, `expected ${expectedOffset} (documents are contiguous), got ${JSON.stringify(doc.offset)}`);
    if (!nonNegInt(doc.length) || doc.length === 0) fail(`${f}.length`, `must be a positive integer, got ${JSON.stringify(doc.length)}`);
    const len = doc.length;
    const s = doc.sentences;
    if (!Array.isArray(s) || s[0] !== 0 || !s.every((x, j) => nonNegInt(x) && x < len && (j === 0 || x > s[j - 1]))) {
      fail(`${f}.sentences`, 'must be ascending token offsets inside the document, starting at 0');
    }
    expectedOffset += len;
    return doc as unknown as CorpusDoc;
  });
  if (expectedOffset !== totalTokens) fail('docs', `documents cover ${expectedOffset} tokens but the manifest says ${totalTokens}`);
  return out;
}

/** Validates the four shard files (as parsed JSON and raw bytes) and assembles a Corpus. */
export function parseCorpus(manifest: unknown, vocab: unknown, docs: unknown, tokens: ArrayBuffer): Corpus {
  const m = parseManifest(manifest);
  const v = parseVocab(vocab, m.counts.vocab);
  const d = parseDocs(docs, m.counts.tokens);
  if (d.length !== m.counts.docs) fail('docs', `expected ${m.counts.docs} documents (manifest.counts.docs), got ${d.length}`);
  if (tokens?.byteLength !== 2 * m.counts.tokens) {
    fail('tokens', `expected ${2 * m.counts.tokens} bytes (${m.counts.tokens} Uint16 tokens), got ${tokens?.byteLength}`);
  }
  // The file is little-endian; read through a DataView so big-endian hosts decode it too.
  const view = new DataView(tokens);
  const ids = new Uint16Array(m.counts.tokens);
  for (let i = 0; i < ids.length; i++) {
    const id = view.getUint16(2 * i, true);
    if (id >= v.tokens.length) fail('tokens', `token ${i} has id ${id}, beyond the vocabulary of ${v.tokens.length}`);
    ids[i] = id;
  }
  return { manifest: m, vocab: v.tokens, bertIds: v.bertIds, counts: v.counts, docs: d, tokens: ids };
}

export interface FetchedFile {
  ok: boolean;
  status: number;
  json(): Promise<unknown>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** Loads the shards over HTTP (e.g. fetchCorpus('/data/brown', fetch)) in the browser or a worker. */
export async function fetchCorpus(baseUrl: string, fetchFn: (url: string) => Promise<FetchedFile>): Promise<Corpus> {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const get = async (name: string): Promise<FetchedFile> => {
    const res = await fetchFn(base + name);
    if (!res.ok) throw new Error(`fetching ${base + name} failed with HTTP ${res.status}; run \`npm run data\` to build the corpus shards`);
    return res;
  };
  const [manifest, vocab, docs, tokens] = await Promise.all([
    get(CORPUS_FILES.manifest).then((r) => r.json()),
    get(CORPUS_FILES.vocab).then((r) => r.json()),
    get(CORPUS_FILES.docs).then((r) => r.json()),
    get(CORPUS_FILES.tokens).then((r) => r.arrayBuffer()),
  ]);
  return parseCorpus(manifest, vocab, docs, tokens);
}

import { ConfigError } from '../errors.ts';
import {
  CORPUS_FILES, CORPUS_FORMAT, CORPUS_FORMAT_VERSION, GENRES, SPECIAL_TOKENS, SPLITS,
  type Corpus, type CorpusDoc, type CorpusManifest, type Split, type VocabFile,
} from './corpus.ts';
import { tokenizeAt } from './vocab-cap.ts';

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
  for (const k of ['docs', 'sentences', 'words', 'units', 'distinctUnits', 'pieces']) {
    if (!nonNegInt(c[k])) fail(`manifest.counts.${k}`, `must be a non-negative integer, got ${JSON.stringify(c[k])}`);
  }
  if (!isRecord(c.splits)) fail('manifest.counts.splits', 'must be an object');
  // Word and piece ids are stored and handed out as Uint16.
  for (const k of ['distinctUnits', 'pieces'] as const) {
    if ((c[k] as number) > 65536) fail(`manifest.counts.${k}`, `must be at most 65,536 (Uint16 ids), got ${c[k]}`);
  }
  if (!Array.isArray(m.vocabularies)) fail('manifest.vocabularies', 'must be an array of {size, tokens, unk, unkShare}');
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
    fail('vocab', `expected ${size} entries (manifest.counts.pieces), got tokens ${tokens.length}, bertIds ${bertIds.length}, counts ${counts.length}`);
  }
  SPECIAL_TOKENS.forEach((t, i) => {
    if (tokens[i] !== t) fail(`vocab.tokens[${i}]`, `expected ${t}, got ${JSON.stringify(tokens[i])}`);
  });
  if (!tokens.every((t) => typeof t === 'string' && t.length > 0)) fail('vocab.tokens', 'must all be non-empty strings');
  if (!bertIds.every(nonNegInt)) fail('vocab.bertIds', 'must all be non-negative integers');
  if (!counts.every(nonNegInt)) fail('vocab.counts', 'must all be non-negative integers');
  return { tokens, bertIds, counts } as VocabFile;
}

function parseWords(w: unknown, size: number): string[] {
  if (!Array.isArray(w) || w.length !== size) {
    fail('words', `must be an array of ${size} strings (manifest.counts.distinctUnits), got ${Array.isArray(w) ? w.length : typeof w}`);
  }
  // An empty word would tokenize to no pieces and leave a sentence or document empty.
  const bad = w.findIndex((x) => typeof x !== 'string' || x.length === 0);
  if (bad >= 0) fail(`words[${bad}]`, `must be a non-empty string, got ${JSON.stringify(w[bad])}`);
  return w as string[];
}

function parseDocs(d: unknown, totalUnits: number): CorpusDoc[] {
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
      fail(`${f}.sentences`, 'must be ascending word offsets inside the document, starting at 0');
    }
    expectedOffset += len;
    return doc as unknown as CorpusDoc;
  });
  if (expectedOffset !== totalUnits) fail('docs', `documents cover ${expectedOffset} words but the manifest says ${totalUnits}`);
  return out;
}

function parseUnits(bytes: ArrayBuffer, count: number, words: number): Uint16Array {
  if (bytes?.byteLength !== 2 * count) {
    fail('units', `expected ${2 * count} bytes (${count} Uint16 word ids), got ${bytes?.byteLength}`);
  }
  // The file is little-endian; read through a DataView so big-endian hosts decode it too.
  const view = new DataView(bytes);
  const ids = new Uint16Array(count);
  for (let i = 0; i < count; i++) {
    const id = view.getUint16(2 * i, true);
    if (id >= words) fail('units', `word ${i} has id ${id}, beyond the ${words} entries of words.json`);
    ids[i] = id;
  }
  return ids;
}

/**
 * Validates the five shard files (as parsed JSON and raw bytes) and assembles the corpus, tokenized
 * with every candidate piece; atVocab (vocab-cap.ts) re-tokenizes it for a model's vocabulary cap.
 */
export function parseCorpus(manifest: unknown, vocab: unknown, words: unknown, docs: unknown, units: ArrayBuffer): Corpus {
  const m = parseManifest(manifest);
  const pieces = parseVocab(vocab, m.counts.pieces);
  const w = parseWords(words, m.counts.distinctUnits);
  const d = parseDocs(docs, m.counts.units);
  if (d.length !== m.counts.docs) fail('docs', `expected ${m.counts.docs} documents (manifest.counts.docs), got ${d.length}`);
  const source = { pieces, words: w, units: parseUnits(units, m.counts.units, w.length), docs: d };
  return tokenizeAt(m, source, Infinity);
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
  const [manifest, vocab, words, docs, units] = await Promise.all([
    get(CORPUS_FILES.manifest).then((r) => r.json()),
    get(CORPUS_FILES.vocab).then((r) => r.json()),
    get(CORPUS_FILES.words).then((r) => r.json()),
    get(CORPUS_FILES.docs).then((r) => r.json()),
    get(CORPUS_FILES.units).then((r) => r.arrayBuffer()),
  ]);
  return parseCorpus(manifest, vocab, words, docs, units);
}

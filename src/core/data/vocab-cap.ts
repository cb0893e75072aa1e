import { ConfigError } from '../errors.ts';
import { NUM_SPECIAL, UNK_ID, type Corpus, type CorpusDoc, type CorpusManifest, type CorpusSource } from './corpus.ts';
import { wordPiece } from './wordpiece.ts';

/**
 * A model's vocabulary cap V decides how the corpus is tokenized: WordPiece over the first V
 * candidate pieces of the shards' vocab.json (the specials, every character piece the corpus
 * needs, then BERT pieces by frequency). A rare word therefore breaks into smaller pieces, down to
 * single characters, instead of becoming [UNK]. Any cap works, a custom one as well as the size
 * presets', because the text is kept as pre-tokenized words and tokenized here on demand (a few
 * hundred ms on a CPU); the build's manifest reports [UNK] shares at the presets' caps.
 */

/** Tokenizations already made, per source and cap: a run, its validation set and its frequency baseline share one. */
const views = new WeakMap<CorpusSource, Map<number, Corpus>>();

/**
 * `corpus` tokenized with a `vocabSize`-entry vocabulary (fewer when the corpus needs fewer pieces).
 * A corpus without a source (built by hand in tests) comes back unchanged; ids at or above the cap
 * are then mapped to [UNK] by whoever packs its windows, as before.
 */
export function atVocab(corpus: Corpus, vocabSize: number): Corpus {
  if (!corpus.source) return corpus;
  return tokenizeAt(corpus.manifest, corpus.source, vocabSize);
}

export function tokenizeAt(manifest: CorpusManifest, source: CorpusSource, vocabSize: number): Corpus {
  if (!(Number.isInteger(vocabSize) || vocabSize === Infinity) || vocabSize <= NUM_SPECIAL) {
    throw new ConfigError('vocabSize', `must be an integer > ${NUM_SPECIAL} (the special tokens), got ${String(vocabSize)}`);
  }
  const size = Math.min(vocabSize, source.pieces.tokens.length);
  let cache = views.get(source);
  if (!cache) views.set(source, (cache = new Map()));
  let view = cache.get(size);
  if (!view) cache.set(size, (view = tokenize(manifest, source, size)));
  return view;
}

/** Share of a corpus's tokens that are [UNK]. */
export function unkShare(corpus: Corpus): number {
  let unk = 0;
  for (const t of corpus.tokens) if (t === UNK_ID) unk++;
  return corpus.tokens.length ? unk / corpus.tokens.length : 0;
}

function tokenize(manifest: CorpusManifest, source: CorpusSource, size: number): Corpus {
  const { pieces, words, units, docs } = source;
  const lookup = new Map<string, number>();
  for (let c = NUM_SPECIAL; c < size; c++) lookup.set(pieces.tokens[c], c);
  const split = words.map((w) => wordPiece(w, lookup) ?? [UNK_ID]);
  const wordCounts = new Float64Array(words.length);
  for (const u of units) wordCounts[u]++;
  const counts = new Float64Array(size);
  let total = 0;
  split.forEach((p, w) => {
    for (const c of p) counts[c] += wordCounts[w];
    total += p.length * wordCounts[w];
  });
  // Ids of this tokenization: specials keep theirs, then pieces by descending count (ties by
  // candidate rank), so low ids are frequent ones whatever the cap.
  const rest = Array.from({ length: size - NUM_SPECIAL }, (_, i) => NUM_SPECIAL + i);
  rest.sort((a, b) => counts[b] - counts[a] || a - b);
  const order = [...Array.from({ length: NUM_SPECIAL }, (_, i) => i), ...rest];
  const toId = new Int32Array(size);
  order.forEach((c, id) => {
    toId[c] = id;
  });
  const ids = split.map((p) => p.map((c) => toId[c]));

  const tokens = new Uint16Array(total);
  const out: CorpusDoc[] = [];
  let pos = 0;
  for (const d of docs) {
    const offset = pos;
    const sentences: number[] = [];
    let s = 0;
    for (let i = 0; i < d.length; i++) {
      if (d.sentences[s] === i) {
        sentences.push(pos - offset);
        s++;
      }
      for (const id of ids[units[d.offset + i]]) tokens[pos++] = id;
    }
    out.push({ ...d, offset, length: pos - offset, sentences });
  }
  return {
    manifest,
    vocab: order.map((c) => pieces.tokens[c]),
    bertIds: order.map((c) => pieces.bertIds[c]),
    counts: order.map((c) => counts[c]),
    docs: out,
    tokens,
    source,
  };
}

import { SPECIAL_TOKENS, type VocabFile } from '../core/data/corpus.ts';
import type { BertTokenizer } from '../core/data/tokenizer.ts';
import { CONTINUATION, wordPiece } from '../core/data/wordpiece.ts';

/** One Brown document as the words WordPiece sees. */
export interface UnitDoc {
  id: string;
  units: string[];
  /** Index into `units` of each sentence's first word. */
  sentences: number[];
  /** Brown's whitespace-separated words (before punctuation is split off). */
  words: number;
}

/**
 * Normalizes and pre-tokenizes one document's sentences. BERT's normalizer and pre-tokenizer treat
 * whitespace-separated words independently, so memoising per Brown word is exact and fast.
 */
export function unitDoc(id: string, sentences: string[][], tokenizer: BertTokenizer, memo: Map<string, string[]>): UnitDoc {
  const units: string[] = [];
  const starts: number[] = [];
  let words = 0;
  for (const sentence of sentences) {
    const start = units.length;
    for (const word of sentence) {
      let u = memo.get(word);
      if (u === undefined) memo.set(word, (u = tokenizer.preTokenize(word).filter((x) => x.length > 0)));
      for (const x of u) units.push(x);
    }
    words += sentence.length;
    if (units.length > start) starts.push(start);
  }
  return { id, units, sentences: starts, words };
}

/** Distinct words by descending count (ties by spelling), so frequent words get small ids. */
export function wordList(docs: UnitDoc[]): { words: string[]; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  for (const d of docs) for (const u of d.units) counts.set(u, (counts.get(u) ?? 0) + 1);
  const words = [...counts.keys()].sort((a, b) => counts.get(b)! - counts.get(a)! || (a < b ? -1 : 1));
  return { words, counts };
}

/**
 * vocab.json: the pieces in the order a capped vocabulary takes them (the first V entries are the
 * V-entry vocabulary). First the five specials; then every character piece the corpus can need, so
 * that any word can be spelt out: `c` for a character that starts some word, `##c` for one that
 * continues some word, in code-point order; then every piece of BERT's own (uncapped) tokenization
 * of the corpus by descending count, ties by BERT id. Counts are from that uncapped tokenization.
 */
export function candidatePieces(words: string[], counts: Map<string, number>, bertVocab: string[]): VocabFile {
  const bertId = new Map(bertVocab.map((t, i) => [t, i]));
  const pieceCounts = new Map<number, number>();
  let unk = 0;
  for (const w of words) {
    const ids = wordPiece(w, bertId);
    if (ids === null) unk += counts.get(w)!;
    else for (const id of ids) pieceCounts.set(id, (pieceCounts.get(id) ?? 0) + counts.get(w)!);
  }
  const initial = new Set<string>();
  const inner = new Set<string>();
  for (const w of words) {
    const chars = [...w];
    initial.add(chars[0]);
    for (const c of chars.slice(1)) inner.add(c);
  }
  const byCodePoint = (a: string, b: string): number => a.codePointAt(0)! - b.codePointAt(0)!;
  const charPieces = [
    ...[...initial].sort(byCodePoint),
    ...[...inner].sort(byCodePoint).map((c) => CONTINUATION + c),
  ].filter((p) => bertId.has(p));
  const ranked = [...pieceCounts.keys()].sort((a, b) => pieceCounts.get(b)! - pieceCounts.get(a)! || a - b).map((id) => bertVocab[id]);
  const order = [...new Set([...SPECIAL_TOKENS, ...charPieces, ...ranked])];
  const ids = order.map((t) => {
    const id = bertId.get(t);
    if (id === undefined) throw new Error(`BERT's vocabulary lacks ${t}`);
    return id;
  });
  return {
    tokens: order,
    bertIds: ids,
    counts: order.map((t, i) => (t === '[UNK]' ? unk : pieceCounts.get(ids[i]) ?? 0)),
  };
}

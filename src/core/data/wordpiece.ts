/** Prefix of a word piece that continues a word (BERT's vocab.txt convention). */
export const CONTINUATION = '##';
/** Hugging Face's WordPiece default: longer words become one [UNK]. */
export const MAX_CHARS_PER_WORD = 100;

/**
 * BERT's WordPiece on one pre-tokenized word (already lowercased, accent-stripped and split at
 * whitespace and punctuation): greedy longest-match-first, continuation pieces spelt "##x". Returns
 * the pieces' ids from `lookup`, or null when some position matches no piece (the whole word is
 * then [UNK], as in BERT). Same algorithm as @huggingface/tokenizers' WordPiece model, written out
 * so the browser can tokenize the corpus at any vocabulary cap without that library;
 * vocab-cap.test.ts checks that both give the same pieces.
 */
export function wordPiece(word: string, lookup: ReadonlyMap<string, number>): number[] | null {
  // Offsets of code points, so a piece never splits a surrogate pair (the library counts code points).
  const bounds: number[] = [];
  for (let i = 0; i < word.length;) {
    bounds.push(i);
    i += word.codePointAt(i)! > 0xffff ? 2 : 1;
  }
  bounds.push(word.length);
  const chars = bounds.length - 1;
  if (chars > MAX_CHARS_PER_WORD) return null;
  const out: number[] = [];
  let start = 0;
  while (start < chars) {
    let end = chars;
    let found: number | undefined;
    for (; end > start; end--) {
      const piece = word.slice(bounds[start], bounds[end]);
      found = lookup.get(start > 0 ? CONTINUATION + piece : piece);
      if (found !== undefined) break;
    }
    if (found === undefined) return null;
    out.push(found);
    start = end;
  }
  return out;
}

import { ConfigError } from '../errors.ts';
import { NUM_SPECIAL, SPLITS, UNK_ID, type Corpus, type Split } from './corpus.ts';
import { atVocab } from './vocab-cap.ts';

/** Masked-token loss (nats) and accuracy of a predictor that ignores context. */
export interface FrequencyBaseline {
  loss: number;
  accuracy: number;
  split: Split;
  vocabSize: number;
}

/**
 * What token frequencies alone score on a split's masked tokens: the prediction is the training
 * split's unigram distribution (add-½ smoothed over the predictable ids), over the corpus
 * tokenized at the vocabSize cap as the batcher tokenizes it (in a corpus built by hand, ids at
 * or above vocabSize count as [UNK]). Masked positions are drawn uniformly over real tokens,
 * so this is the expected validation loss and accuracy of such a predictor. A pre-training run
 * whose validation loss sits here has learned word frequencies, not yet anything from context.
 */
export function frequencyBaseline(corpus: Corpus, vocabSize: number, split: Split = 'validation'): FrequencyBaseline {
  if (!Number.isInteger(vocabSize) || vocabSize <= NUM_SPECIAL) {
    throw new ConfigError('vocabSize', `must be an integer > ${NUM_SPECIAL} (the special tokens), got ${String(vocabSize)}`);
  }
  if (!SPLITS.includes(split)) throw new ConfigError('split', `must be one of ${SPLITS.join(', ')}, got ${String(split)}`);
  corpus = atVocab(corpus, vocabSize);
  const capped = (id: number): number => (id < vocabSize ? id : UNK_ID);
  const counts = new Float64Array(vocabSize);
  const tally = (s: Split, visit: (id: number) => void): number => {
    let n = 0;
    for (const d of corpus.docs) {
      if (d.split !== s) continue;
      for (let i = d.offset; i < d.offset + d.length; i++) visit(capped(corpus.tokens[i]));
      n += d.length;
    }
    return n;
  };
  tally('train', (id) => { counts[id] += 1; });
  // Labels are [UNK] or word ids; [PAD], [CLS], [SEP] and [MASK] are never predicted.
  const predictable = [UNK_ID, ...Array.from({ length: vocabSize - NUM_SPECIAL }, (_, i) => NUM_SPECIAL + i)];
  const total = predictable.reduce((s, id) => s + counts[id] + 0.5, 0);
  const top = predictable.reduce((best, id) => (counts[id] > counts[best] ? id : best), predictable[0]);
  let nll = 0, hits = 0;
  const n = tally(split, (id) => {
    nll -= Math.log((counts[id] + 0.5) / total);
    if (id === top) hits += 1;
  });
  if (n === 0) throw new ConfigError('split', `the corpus has no ${split} tokens`);
  return { loss: nll / n, accuracy: hits / n, split, vocabSize };
}

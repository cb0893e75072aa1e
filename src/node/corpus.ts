import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CORPUS_FILES, type Corpus } from '../core/data/corpus.ts';
import { parseCorpus } from '../core/data/shards.ts';
import { buildData, DEFAULT_DATA_DIR } from './build-data.ts';

/**
 * Reads the corpus shards from disk. buildData runs first (it returns in milliseconds when the
 * shards match their inputs), so a fresh clone works without `npm run data`.
 */
export async function loadCorpus(dir: string = DEFAULT_DATA_DIR, log?: (s: string) => void): Promise<Corpus> {
  await buildData({ outDir: dir, log });
  const json = async (name: string): Promise<unknown> => JSON.parse(await readFile(path.join(dir, name), 'utf8'));
  const [manifest, vocab, words, docs, bytes] = await Promise.all([
    json(CORPUS_FILES.manifest),
    json(CORPUS_FILES.vocab),
    json(CORPUS_FILES.words),
    json(CORPUS_FILES.docs),
    readFile(path.join(dir, CORPUS_FILES.units)),
  ]);
  // A Buffer may be a view into a larger pooled ArrayBuffer; copy out exactly its bytes.
  const units = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return parseCorpus(manifest, vocab, words, docs, units);
}

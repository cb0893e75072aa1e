import { corpusWindows, type Window } from '../data/batcher.ts';
import { COARSE_GENRES, GENRES, type Corpus, type Split } from '../data/corpus.ts';
import { ConfigError } from '../errors.ts';

/** genre15: the Brown Corpus's 15 genres; genre4: its coarse groups (press, general prose, learned, fiction). */
export type GenreTask = 'genre15' | 'genre4';
export const GENRE_TASKS: readonly GenreTask[] = ['genre15', 'genre4'];

export function checkGenreTask(task: unknown): GenreTask {
  if (!GENRE_TASKS.includes(task as GenreTask)) {
    throw new ConfigError('task', `unknown task ${JSON.stringify(task)}; the tasks are genre15 (the 15 Brown genres) and genre4 (press, general prose, learned, fiction)`);
  }
  return task as GenreTask;
}

/** Class names of a task, in label order. */
export function genreClasses(task: GenreTask): string[] {
  return checkGenreTask(task) === 'genre15' ? GENRES.map((g) => g.name) : COARSE_GENRES.map((g) => g.name);
}

/** The label of a document's genre letter under a task. */
export function genreLabel(task: GenreTask, letter: string): number {
  const label = task === 'genre15'
    ? GENRES.findIndex((g) => g.letter === letter)
    : COARSE_GENRES.findIndex((g) => g.letters.includes(letter));
  if (label < 0) throw new ConfigError('genre', `unknown Brown genre letter ${JSON.stringify(letter)}`);
  return label;
}

export interface LabelledPassages {
  windows: Window[];
  labels: Int32Array;
  /** Passages per class. */
  counts: number[];
}

/**
 * The passages of every document of `split`, labelled by their document's genre. With perDoc > 0
 * a longer document contributes only `perDoc` of its windows, evenly spaced through it, so a few
 * long documents do not dominate and the set stays small enough to encode; the choice depends on
 * nothing but the corpus, so every model is scored on the same passages.
 */
export function genrePassages(corpus: Corpus, split: Split, task: GenreTask, seqLen: number, perDoc: number): LabelledPassages {
  if (!Number.isInteger(perDoc) || perDoc < 0) {
    throw new ConfigError('perDoc', `must be 0 (every passage) or a positive whole number of passages per document, got ${String(perDoc)}`);
  }
  const byDoc = new Map<number, Window[]>();
  for (const w of corpusWindows(corpus, split, seqLen)) {
    const list = byDoc.get(w.docIndex);
    if (list) list.push(w);
    else byDoc.set(w.docIndex, [w]);
  }
  const windows: Window[] = [];
  for (const list of byDoc.values()) {
    if (perDoc === 0 || list.length <= perDoc) windows.push(...list);
    else for (let i = 0; i < perDoc; i++) windows.push(list[Math.floor(((i + 0.5) * list.length) / perDoc)]);
  }
  const counts = new Array<number>(genreClasses(task).length).fill(0);
  const labels = Int32Array.from(windows, (w) => genreLabel(task, w.genre));
  for (const l of labels) counts[l] += 1;
  return { windows, labels, counts };
}

import { readFile, stat } from 'node:fs/promises';
import { UsageError } from './args.ts';
import { showPath } from '../core/errors.ts';

/** Largest checkpoint read: a BERT-base-sized model with its Adam moments is about 1.3 GB. */
export const MAX_CHECKPOINT_BYTES = 2 * 1024 ** 3;
/** Largest JSON file read (run records, suite results). */
export const MAX_JSON_BYTES = 256 * 1024 ** 2;

const size = (bytes: number) => (bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GiB` : `${(bytes / 1024 ** 2).toFixed(0)} MiB`);

/**
 * Reads a file the user named, refusing at once, in one line, anything that is not a regular file
 * (a device or a pipe would never end) or is larger than `maxBytes`.
 */
export async function readInput(flag: string, path: string, maxBytes: number): Promise<Uint8Array> {
  const fail = (why: string): never => {
    throw new UsageError(`--${flag}: cannot read "${showPath(path)}" (${why})`);
  };
  const st = await stat(path).catch((e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
  if (st.isDirectory()) fail('it is a directory');
  if (!st.isFile()) fail('it is not a regular file');
  if (st.size > maxBytes) fail(`it is ${size(st.size)}; the limit is ${size(maxBytes)}`);
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    return fail((e as NodeJS.ErrnoException).code ?? (e as Error).message);
  }
}

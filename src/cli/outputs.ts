import { accessSync, constants, mkdirSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from './args.ts';
import { showPath } from '../core/errors.ts';

/** A file a command will write: how the user named it (for messages) and where. */
export interface OutputFile {
  what: string;
  path: string;
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/**
 * Checks every output before any work starts, so that a mistake costs nothing and nothing the user
 * made is overwritten: no empty path, no directory, a folder that exists and is writable, no two
 * outputs on one file, none on the file being read, and no existing file replaced without --force.
 */
export function checkOutputs(outputs: OutputFile[], opts: { force: boolean; reading?: OutputFile }): void {
  const claimed = new Map<string, string>();
  const read = opts.reading ? resolve(opts.reading.path) : null;
  for (const { what, path } of outputs) {
    if (path.trim() === '') throw new UsageError(`${what}: the path is empty; give a file name such as run.json`);
    const abs = resolve(path);
    if (abs === read) throw new UsageError(`${what} (${showPath(path)}) is the file ${opts.reading!.what} reads; write to another file so that it is kept`);
    const other = claimed.get(abs);
    if (other) throw new UsageError(`${what} and ${other} both name ${showPath(path)}; one would overwrite the other`);
    claimed.set(abs, what);
    const st = statOrNull(abs);
    if (st?.isDirectory()) throw new UsageError(`${what} (${showPath(path)}) is a directory; give a file path inside it`);
    if (st && !st.isFile()) throw new UsageError(`${what} (${showPath(path)}) exists and is not a regular file; pick another path`);
    if (st && !opts.force) throw new UsageError(`${what} (${showPath(path)}) already exists; pass --force to replace it, or pick another path`);
    const folder = dirname(abs);
    if (!statOrNull(folder)?.isDirectory()) throw new UsageError(`${what} (${showPath(path)}): the folder ${showPath(folder)} does not exist; create it first`);
    try {
      accessSync(folder, constants.W_OK);
    } catch {
      throw new UsageError(`${what} (${showPath(path)}): the folder ${showPath(folder)} is not writable`);
    }
  }
}

/**
 * Creates an output folder and the missing folders above it, one level at a time from the nearest
 * one that exists. Node's recursive mkdir retries forever where a parent exists but refuses a child
 * (a path under /proc); one attempt per level ends instead, with the reason.
 */
export function makeOutputDir(what: string, dir: string): void {
  if (dir.trim() === '') throw new UsageError(`${what}: the path is empty; give a folder name such as results`);
  const missing: string[] = [];
  let at = resolve(dir);
  let st = statOrNull(at);
  while (!st) {
    missing.unshift(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
    st = statOrNull(at);
  }
  if (st && !st.isDirectory()) throw new UsageError(`${what} (${showPath(dir)}): ${showPath(at)} is not a folder; pick another path`);
  for (const folder of missing) {
    try {
      mkdirSync(folder);
    } catch (e) {
      throw new UsageError(`${what} (${showPath(dir)}): cannot create the folder ${showPath(folder)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); pick a path in a writable folder`);
    }
  }
  try {
    accessSync(resolve(dir), constants.W_OK);
  } catch {
    throw new UsageError(`${what} (${showPath(dir)}): the folder is not writable`);
  }
}

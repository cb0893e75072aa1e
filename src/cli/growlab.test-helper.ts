import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const BIN = new URL('../../bin/growlab.mjs', import.meta.url).pathname;

export interface CliResult { code: number; stdout: string; stderr: string }

/** Runs the real CLI in a child process; a non-zero exit is returned, not thrown, so tests can check messages. */
export async function growlab(args: string[], timeout = 120_000): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { timeout });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as CliResult;
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

import { execFile } from 'node:child_process';
import { format, promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { runGrowlab } from './main.ts';

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

/** What a command can change for the rest of the process: the tfjs backend it picked and prod mode. */
const tfState = () => `backend ${tf.engine().backendName ?? 'none'}, prod mode ${tf.env().getBool('PROD')}`;

/**
 * Runs the CLI in this process, as bin/growlab.mjs does, for a command that ends before any work:
 * bad input, --help, output checks. A child process costs about 2 s (tsx and tfjs load each time);
 * this costs milliseconds once the modules are loaded. A command that gets as far as picking a
 * tfjs backend would leave it, and prod mode, set for the tests after it, which a child process
 * never does: that is an error here, and such runs belong in `growlab`.
 */
export async function growlabInProcess(args: string[]): Promise<CliResult> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  // Commands print with console.* (which under Vitest does not go through process.stdout) and with
  // process.stdout/stderr.write, so both are taken over; they are process-wide, hence restored in finally.
  const toText = (chunk: string | Uint8Array) => (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
  const writer = (into: string[]) => ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    into.push(toText(chunk));
    const done = rest.find((x) => typeof x === 'function') as (() => void) | undefined;
    if (done) process.nextTick(done);
    return true;
  }) as typeof process.stdout.write;
  const printer = (into: string[]) => (...values: unknown[]) => { into.push(`${format(...values)}\n`); };
  const saved = {
    log: console.log, info: console.info, debug: console.debug, warn: console.warn, error: console.error,
    out: process.stdout.write, err: process.stderr.write,
  };
  const before = tfState();
  let code: number;
  try {
    console.log = console.info = console.debug = printer(stdout);
    console.warn = console.error = printer(stderr);
    process.stdout.write = writer(stdout);
    process.stderr.write = writer(stderr);
    code = await runGrowlab(args);
  } finally {
    Object.assign(console, { log: saved.log, info: saved.info, debug: saved.debug, warn: saved.warn, error: saved.error });
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
  }
  const after = tfState();
  if (after !== before) {
    throw new Error(`growlab ${args.join(' ')} got as far as the tfjs backend (${before} -> ${after}); run it in a child process with growlab()`);
  }
  return { code, stdout: stdout.join(''), stderr: stderr.join('') };
}

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '../core/errors.ts';

/** A command-line mistake: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

export function parseFlags(argv: string[], options: Options, command: string): Record<string, string | boolean | undefined> {
  try {
    const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
    return values as Record<string, string | boolean | undefined>;
  } catch (e) {
    const allowed = Object.keys(options).map((k) => `--${k}`).join(', ');
    throw new UsageError(`${command}: ${(e as Error).message.split('\n')[0]} (allowed flags: ${allowed})`);
  }
}

export function choice<T extends string>(flag: string, value: string | boolean | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new UsageError(`--${flag}: unknown value "${String(value)}" (allowed: ${allowed.join(', ')})`);
  }
  return value as T;
}

export function positiveInt(flag: string, value: string | boolean | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`--${flag}: expected a positive integer, got "${String(value)}"`);
  }
  return n;
}

/** A positive finite number such as a learning rate ("1e-3", "0.0005"); undefined when the flag is absent. */
export function positiveNumber(flag: string, value: string | boolean | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'string' ? Number(value) : NaN;
  if (!(n > 0) || !Number.isFinite(n)) throw new UsageError(`--${flag}: expected a positive number, got "${String(value)}"`);
  return n;
}

export function nonNegativeInt(flag: string, value: string | boolean | undefined, fallback: number): number {
  if (value === '0') return 0;
  return positiveInt(flag, value, fallback);
}

/** A message as one line: a value the user typed may hold newlines, which would split it. */
export function oneLine(message: string): string {
  return message.replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

/**
 * Runs a command and returns its exit code (README, `growlab --help`) rather than exiting, so the
 * CLI can run inside a test: 2 for bad input (usage and config mistakes), one line; 1 for an
 * internal error (a bug), one line, with the stack trace only under `--debug`. A command returns
 * its own code when it finished but did not succeed (3: the run diverged); nothing means 0.
 */
export async function runCli(main: () => Promise<number | void>, debug = false): Promise<number> {
  try {
    return (await main()) ?? 0;
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) {
      process.stderr.write(`growlab: ${oneLine(e.message)}\n`);
      return 2;
    }
    const detail = debug ? ((e as Error).stack ?? String(e)) : `internal error: ${oneLine(e instanceof Error ? e.message : String(e))} (rerun with --debug for the stack trace)`;
    process.stderr.write(`growlab: ${detail}\n`);
    return 1;
  }
}

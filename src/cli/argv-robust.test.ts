import fc from 'fast-check';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BENCH_FLAGS } from './bench.ts';
import { EVAL_FLAGS } from './eval.ts';
import { FLOPS_FLAGS } from './flops.ts';
import { GARDEN_FLAGS } from './garden.ts';
import { growlabInProcess } from './growlab.test-helper.ts';
import { GROWTH_CHECK_FLAGS } from './growth-check.ts';
import { SUITE_FLAGS } from './suite.ts';
import { TRAIN_FLAGS } from './train.ts';

/*
 * Generated argument vectors: any mix of a command's own flags with odd values, unknown flags and
 * stray words, ending in one bad value that the command must refuse before doing any work. Every
 * one must end in exit code 2 with exactly one line on stderr, write nothing, and never get as far
 * as a tfjs backend (growlabInProcess fails the test if it does).
 */

const dir = mkdtempSync(join(tmpdir(), 'growlab-argv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const junk = join(dir, 'junk.json');
writeFileSync(junk, '{"not": "a schedule"');
const existingDir = join(dir, 'a-folder');
mkdirSync(existingDir);
const missing = join(dir, 'missing', 'out.json');

type Flags = Record<string, { type: 'string' | 'boolean' }>;

/** Each command's flags, and bad values it must refuse whatever comes before them. */
const COMMANDS: Record<string, { flags: Flags; poison: string[][] }> = {
  train: { flags: TRAIN_FLAGS, poison: [['--size', 'huge'], ['--steps', '0'], ['--backend', 'tpu'], ['--out', missing], ['--resume', '/dev/zero'], ['--schedule', junk], ['--lr', '-1']] },
  suite: { flags: SUITE_FLAGS, poison: [['--size', 'huge'], ['--seeds', '0'], ['--out', '/proc/growlab/x'], ['--design', 'grand'], ['--steps', '5']] },
  eval: { flags: EVAL_FLAGS, poison: [['--task', 'genre7'], ['--checkpoint', '/dev/zero'], ['--steps', '0'], ['--backend', 'webgl']] },
  'growth-check': { flags: GROWTH_CHECK_FLAGS, poison: [['--op', 'depth.teleport'], ['--steps', 'x'], ['--norm', 'mid']] },
  flops: { flags: FLOPS_FLAGS, poison: [['--model', 'gpt'], ['--preset', 'nope']] },
  garden: { flags: GARDEN_FLAGS, poison: [['--target', 'gpt'], ['--out', missing], ['--steps', '0']] },
  bench: { flags: BENCH_FLAGS, poison: [['--sizes', 'huge'], ['--out', existingDir], ['--backends', 'tpu'], ['--software-kernels', 'maybe']] },
};

const VALUES = ['', 'x', '0', '1', '2', '-1', '1e309', 'NaN', '0.5', 'tiny', 'small', 'cpu', 'wasm', 'compound', 'pre', 'post',
  '__proto__', 'constructor', 'a\nb', `${'long'.repeat(100)}`, '../x', join(dir, 'f.json'), existingDir, '/dev/null'];

/** One argument vector for `command`: its pieces in any order, then the bad value last (the last of a repeated flag wins). */
function argv(command: string) {
  const { flags, poison } = COMMANDS[command];
  const names = Object.keys(flags);
  // Mostly well-formed flags, so that most vectors get past parsing to the command's own checks.
  const value = ([n, v]: [string, string]) => (flags[n].type === 'boolean' ? [`--${n}`] : [`--${n}=${v}`]);
  const piece = fc.oneof(
    { weight: 12, arbitrary: fc.tuple(fc.constantFrom(...names), fc.constantFrom(...VALUES)).map(value) },
    { weight: 1, arbitrary: fc.constantFrom(['--frobnicate'], ['stray'], ['-x'], ['--'], ['--debug'], [`--${names[0]}`]) },
  );
  return fc.tuple(fc.array(piece, { maxLength: 6 }), fc.constantFrom(...poison)).map(([pieces, bad]) => [command, ...pieces.flat(), ...bad]);
}

const listing = (d: string) => readdirSync(d).sort();

describe('growlab with generated arguments', () => {
  it('refuses every vector with a bad value with exit 2 and one line, before any work and writing nothing', async () => {
    const before = { tmp: listing(dir), cwd: listing(process.cwd()) };
    const protoKeys = Object.getOwnPropertyNames(Object.prototype).length;
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...Object.keys(COMMANDS)).chain(argv), async (args) => {
        cases++;
        const r = await growlabInProcess(args);
        const lines = r.stderr.split('\n').filter((l) => l !== '');
        expect(r.code, `${JSON.stringify(args)}: ${r.stderr}`).toBe(2);
        expect(lines, JSON.stringify(args)).toHaveLength(1);
        expect(lines[0]).toMatch(/^growlab: /);
        expect(r.stdout).toBe('');
      }),
      { numRuns: 1000, seed: 51 },
    );
    expect(cases).toBe(1000);
    expect(listing(dir)).toEqual(before.tmp);
    expect(listing(process.cwd())).toEqual(before.cwd);
    expect(Object.getOwnPropertyNames(Object.prototype)).toHaveLength(protoKeys);
  }, 600_000);
});

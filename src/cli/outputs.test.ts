import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from './args.ts';
import { growlabInProcess } from './growlab.test-helper.ts';
import { checkOutputs, makeOutputDir } from './outputs.ts';

const dir = mkdtempSync(join(tmpdir(), 'growlab-outputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const refuses = (f: () => void, message: RegExp) => {
  expect(f).toThrow(UsageError);
  expect(f).toThrow(message);
};

describe('checkOutputs', () => {
  it('accepts new files in a writable folder', () => {
    expect(() => checkOutputs([{ what: '--out', path: join(dir, 'a.json') }, { what: '--checkpoint-out', path: join(dir, 'a.safetensors') }], { force: false })).not.toThrow();
  });

  it('refuses empty paths, directories, missing folders and clashes, saying which flag and why', () => {
    refuses(() => checkOutputs([{ what: '--out', path: '' }], { force: true }), /--out: the path is empty/);
    refuses(() => checkOutputs([{ what: '--out', path: dir }], { force: true }), /--out \(.*\) is a directory; give a file path inside it/);
    refuses(() => checkOutputs([{ what: '--out', path: join(dir, 'nope', 'run.json') }], { force: true }), /the folder .*nope does not exist; create it first/);
    const same = join(dir, 'x.safetensors');
    refuses(() => checkOutputs([{ what: '--out', path: same }, { what: '--checkpoint-out', path: same }], { force: true }), /--checkpoint-out and --out both name/);
    refuses(() => checkOutputs([{ what: '--out', path: same }], { force: true, reading: { what: '--resume', path: same } }), /--out \(.*\) is the file --resume reads; write to another file so that it is kept/);
  });

  it('replaces an existing file only with --force', () => {
    const existing = join(dir, 'old.json');
    writeFileSync(existing, '{"kept":true}');
    refuses(() => checkOutputs([{ what: '--out', path: existing }], { force: false }), /--out \(.*old\.json\) already exists; pass --force to replace it/);
    expect(() => checkOutputs([{ what: '--out', path: existing }], { force: true })).not.toThrow();
  });
});

describe('makeOutputDir', () => {
  it('creates the missing folders, one level at a time', () => {
    const deep = join(dir, 'made', 'a', 'b');
    makeOutputDir('--out', deep);
    expect(statSync(deep).isDirectory()).toBe(true);
  });

  it('refuses at once where a level cannot be made (under /proc, where recursive mkdir loops) or a file stands in the way', () => {
    if (existsSync('/proc/self')) refuses(() => makeOutputDir('--out', '/proc/growlab-test/x'), /--out \(\/proc\/growlab-test\/x\): cannot create the folder \/proc\/growlab-test \(E[A-Z]+\)/);
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    refuses(() => makeOutputDir('--out', join(file, 'sub')), /is not a folder; pick another path/);
    refuses(() => makeOutputDir('--out', ' '), /--out: the path is empty/);
  });
});

describe('output paths of the other commands, refused before any work', () => {
  const oneLine = (r: { code: number; stderr: string }) => {
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    return lines[0];
  };

  it('suite --out under /proc ends with one line instead of looping', async () => {
    if (!existsSync('/proc/self')) return;
    expect(oneLine(await growlabInProcess(['suite', '--size', 'tiny', '--seeds', '1', '--out', '/proc/growlab-test/suite']))).toMatch(/cannot create the folder \/proc\/growlab-test/);
  });

  it('bench --out naming a folder is refused before the bench runs, and nothing is written', async () => {
    const before = readdirSync(dir).sort();
    expect(oneLine(await growlabInProcess(['bench', '--backends', 'cpu', '--sizes', 'tiny', '--out', dir]))).toMatch(/--out \(.*\) is a directory/);
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('garden --out in a missing folder is refused', async () => {
    expect(oneLine(await growlabInProcess(['garden', '--preset', 'compound', '--out', join(dir, 'nope', 'g.yaml')]))).toMatch(/the folder .*nope does not exist/);
  });
});

describe('growlab train outputs', () => {
  it('refuses to replace an existing run before training, and keeps it', async () => {
    const run = join(dir, 'kept.json');
    writeFileSync(run, '{"mine":1}');
    const r = await growlabInProcess(['train', '--size', 'tiny', '--steps', '2', '--backend', 'cpu', '--out', run]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([`growlab: --out (${run}) already exists; pass --force to replace it, or pick another path`]);
    expect(r.stderr).not.toMatch(/step 1/);
    expect(readFileSync(run, 'utf8')).toBe('{"mine":1}');
  });
});

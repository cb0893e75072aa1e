import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { growlab, growlabInProcess } from './growlab.test-helper.ts';
import { ConfigError } from '../core/errors.ts';
import { genreDefaults } from '../core/eval/genre.ts';
import { SIZES } from '../core/model/config.ts';
import { sourceFromCheckpoint, sourceFromRun } from './eval.ts';



function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0];
}

let dir: string;
let run: Record<string, unknown>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'growlab-eval-'));
  // Two validation batches: the run only provides weights, and the full tiny set takes about a minute on cpu.
  const r = await growlab(['train', '--size', 'tiny', '--steps', '2', '--backend', 'cpu', '--eval-batches', '2', '--out', join(dir, 'run.json')], 170_000);
  expect(r.code).toBe(0);
  run = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8'));
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeRun(name: string, patch: Record<string, unknown>): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify({ ...run, ...patch }));
  return path;
}

describe('eval sources', () => {
  it('a run file leads to its checkpoint, relative to the run file, with the run model', async () => {
    expect(run.checkpoint).toBe('run.safetensors');
    const s = await sourceFromRun(join(dir, 'run.json'));
    expect(s.model).toEqual(SIZES.tiny.model);
    expect(s.weights).not.toBeNull();
    expect((await sourceFromCheckpoint(join(dir, 'run.safetensors'))).model).toEqual(s.model);
  });

  it('names the expected format for a run file of another format or version', async () => {
    await expect(sourceFromRun(await writeRun('old.json', { version: 0 }))).rejects.toThrow(/format "growlab-run" version 0; expected format "growlab-run" version 1/);
    await expect(sourceFromRun(await writeRun('other.json', { format: 'something-else' }))).rejects.toThrow(ConfigError);
  });

  it('says how to make a checkpoint when the run file names none', async () => {
    await expect(sourceFromRun(await writeRun('bare.json', { checkpoint: undefined }))).rejects.toThrow(/names no checkpoint; train with `growlab train --out run\.json`/);
  });

  it('gives both shapes when the checkpoint is not the run model', async () => {
    const config = { ...(run.config as object), model: { ...SIZES.small.model } };
    await expect(sourceFromRun(await writeRun('mismatch.json', { config }))).rejects.toThrow(/model of 2 layers, hidden 32.*run file's model is 4 layers, hidden 128/);
  });
});

describe('growlab eval', () => {
  it.each([
    [['eval', '--checkpoint', 'x.safetensors', '--task', 'genre7'], /task: unknown task "genre7"; the tasks are genre15 .* and genre4/],
    [['eval', '--checkpoint', 'x.safetensors'], /--task is required \(allowed: genre15, genre4\)/],
    [['eval', '--task', 'genre4'], /give exactly one of --run/],
    [['eval', '--checkpoint', 'missing.safetensors', '--task', 'genre4'], /--checkpoint: cannot read "missing\.safetensors" \(ENOENT\)/],
    [['eval', '--size', 'tiny', '--random-init', '--task', 'genre4', '--lr', '0'], /--lr: expected a positive number, got "0"/],
    [['eval', '--size', 'tiny', '--random-init', '--task', 'genre4', '--head-lr', 'fast'], /--head-lr: expected a positive number, got "fast"/],
    [['eval', '--size', 'tiny', '--random-init', '--task', 'genre4', '--mode', 'probe', '--lr', '1e-4'], /--lr and --head-lr set fine-tuning's rates; drop them for --mode probe/],
  ])('%j exits 2 with one line naming the problem', async (args, message) => {
    const r = await growlabInProcess(args);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(message);
  });

  it('--json ends with one JSON object of results; --lr and --head-lr set fine-tuning rates only', async () => {
    const r = await growlab(['eval', '--run', join(dir, 'run.json'), '--task', 'genre4', '--steps', '20', '--lr', '2e-4', '--head-lr', '3e-3', '--backend', 'wasm', '--json'], 170_000);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const out = JSON.parse(lines[lines.length - 1]);
    expect(out.task).toBe('genre4');
    expect(out.results.map((x: { mode: string }) => x.mode)).toEqual(['finetune', 'probe']);
    const [tune, probe] = out.results;
    expect(probe.classes).toEqual(['Press', 'General prose', 'Learned', 'Fiction']);
    expect(probe.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(probe.testPassages);
    expect(probe.steps).toBe(20);
    expect(tune.steps).toBe(20);
    expect([tune.budget.lr, tune.budget.headLr]).toEqual([2e-4, 3e-3]);
    const probeDefaults = genreDefaults(SIZES.tiny.model, 'probe');
    expect([probe.budget.lr, probe.budget.headLr]).toEqual([probeDefaults.lr, probeDefaults.headLr]);
  }, 170_000);
});

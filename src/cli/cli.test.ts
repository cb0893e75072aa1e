import { describe, expect, it } from 'vitest';
import { BIN, growlab, growlabInProcess } from './growlab.test-helper.ts';

function lastJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

describe('growlab bad input', () => {
  it.each([
    [['train', '--size', 'huge'], /--size: unknown value "huge" \(allowed: tiny, small, deep, lab\)/],
    [['train', '--backend', 'tpu'], /--backend: unknown value "tpu" \(allowed: cpu, wasm, webgpu\)/],
    [['train', '--steps', 'ten'], /--steps: expected a positive integer, got "ten"/],
    [['train', '--frobnicate'], /train: Unknown option '--frobnicate' \(allowed flags: .*--size/],
    [['train', '--hidden', '30', '--heads', '4'], /model\.heads: hidden size 30 must be divisible by heads 4; allowed heads: 1, 2, 3, 5, 6, 10, 15, 30/],
    [['train', '--preset', 'grow-everything'], /--preset: unknown value "grow-everything" \(allowed: baseline, .*compound, msg, ligo, bert2bert\)/],
    [['flops', '--preset', 'compound', '--model', 'gpt'], /--model: unknown value "gpt"/],
    [['growth-check', '--op', 'depth.teleport'], /op: unknown growth operator "depth\.teleport"; valid: depth\.stack/],
    [['dance'], /unknown command "dance" \(allowed: train, growth-check, flops, garden, bench, suite, eval\)/],
    // A newline inside a value is shown escaped, so the message stays one line.
    [['train', '--preset', 'stack\nbaseline'], /--preset: unknown value "stack\\nbaseline"/],
    [['flops', '--debug', '--preset', 'nope'], /--preset: unknown value "nope"/],
  ])('%j exits 2 with one line naming the problem', async (args, message) => {
    const r = await growlabInProcess(args);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });

  it('does the same as a real process: exit code 2 and one line on stderr', async () => {
    const r = await growlab(['train', '--preset', 'stack\nbaseline']);
    expect(r.code).toBe(2);
    // Without the m flag, ^…$ spans all of stderr, and . stops at a newline: exactly one line.
    expect(r.stderr).toMatch(/^growlab: --preset: unknown value "stack\\nbaseline" \(allowed: .*\)\n$/);
  });
});

describe('growlab --help', () => {
  const COMMANDS = ['train', 'growth-check', 'flops', 'garden', 'bench', 'suite', 'eval'];

  it('lists every command and the exit codes', async () => {
    const r = await growlab(['--help']);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    expect(r.stdout).toMatch(/exit codes: 0 ok, 1 internal error \(a bug\), 2 bad input .*, 3 the run diverged/);
  });

  it.each(COMMANDS)('%s --help names every flag the command accepts', async (cmd) => {
    // The parser's own list of flags, from its unknown-option message, is the reference.
    const bad = await growlabInProcess([cmd, '--no-such-flag']);
    const allowed = /allowed flags: ([^)]*)\)/.exec(bad.stderr)?.[1].split(', ') ?? [];
    expect(allowed.length).toBeGreaterThan(0);
    const help = await growlabInProcess([cmd, '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(`usage: growlab ${cmd}`);
    for (const flag of allowed) expect(help.stdout).toMatch(new RegExp(`${flag}\\b`));
  });
});

describe('growlab train', () => {
  it('is deterministic and its JSON summary has the documented fields', async () => {
    // Four validation batches: the full tiny set takes about a minute on cpu, twice here.
    const args = ['train', '--size', 'tiny', '--steps', '20', '--backend', 'cpu', '--seed', '3', '--eval-batches', '4', '--json'];
    const [a, b] = [await growlab(args), await growlab(args)];
    expect(a.code).toBe(0);
    const ja = lastJson(a.stdout);
    const jb = lastJson(b.stdout);
    for (const k of ['steps', 'firstLoss', 'finalLoss', 'valLoss', 'valAcc', 'tokensPerSec', 'backend', 'stages', 'growthEvents', 'flops', 'baselineFlops', 'flopsSpeedup']) {
      expect(ja).toHaveProperty(k);
    }
    expect(ja.steps).toBe(20);
    expect(ja.backend).toBe('cpu');
    for (const k of ['firstLoss', 'finalLoss', 'valLoss', 'valAcc']) expect(ja[k]).toBe(jb[k]);
  });
});

describe('growlab growth-check --json', () => {
  it('prints only the JSON document on stdout, the table on stderr', async () => {
    const r = await growlab(['growth-check', '--op', 'heads.add', '--steps', '2', '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { op: string; preserving: boolean; maxAbsLogitDiff: number }[];
    expect(rows.map((x) => x.op)).toEqual(['heads.add']);
    expect(rows[0].maxAbsLogitDiff).toBeLessThan(1e-4);
    expect(r.stderr).toMatch(/^heads\.add\s+preserving/m);
  });

  it('checks an MSG variant at mask 0: random layers preserve the function under post-LN', async () => {
    const r = await growlab(['growth-check', '--op', 'depth.random+msg', '--norm', 'post', '--steps', '2', '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { op: string; preserving: boolean; maxAbsLogitDiff: number }[];
    expect(rows.map((x) => [x.op, x.preserving])).toEqual([['depth.random+msg', true]]);
    expect(rows[0].maxAbsLogitDiff).toBeLessThan(1e-4);
  });
});

describe('growlab flops', () => {
  it('prints per-stage FLOPs whose sum is the total', async () => {
    const r = await growlab(['flops', '--preset', 'compound', '--model', 'bert-base', '--json']);
    expect(r.code).toBe(0);
    const j = lastJson(r.stdout) as { stages: { forwardFlops: number }[]; flops: number; baselineFlops: number; flopsSpeedup: number };
    expect(j.stages).toHaveLength(4);
    const sum = j.stages.reduce((s, st) => s + st.forwardFlops, 0);
    expect(Math.abs(sum - j.flops) / j.flops).toBeLessThan(1e-12);
    expect(j.flopsSpeedup).toBeCloseTo(j.baselineFlops / j.flops, 12);
  });
});

describe('growlab train --resume', () => {
  it('continues a stopped run from its checkpoint file with the losses of the uninterrupted run (cpu)', async () => {
    const { mkdtemp, readFile, writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'growlab-resume-'));
    // Two validation batches: this checks resuming, and the full tiny set takes about a minute on cpu.
    const common = ['--size', 'tiny', '--steps', '16', '--preset', 'stack', '--backend', 'cpu', '--seed', '4', '--eval-batches', '2'];
    expect((await growlab(['train', ...common, '--out', join(dir, 'full.json')])).code).toBe(0);
    const stopped = await growlab(['train', ...common, '--stop-after', '7', '--out', join(dir, 'part.json')]);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toMatch(/stopped after step 7/);
    const resumed = await growlab(['train', '--resume', join(dir, 'part.safetensors'), '--backend', 'cpu', '--out', join(dir, 'rest.json')]);
    expect(resumed.code).toBe(0);
    const full = JSON.parse(await readFile(join(dir, 'full.json'), 'utf8'));
    const rest = JSON.parse(await readFile(join(dir, 'rest.json'), 'utf8'));
    expect(rest.summary.steps).toBe(16);
    expect(rest.steps.map((s: { loss: number }) => s.loss)).toEqual(full.steps.map((s: { loss: number }) => s.loss));
    expect(rest.checkpoint).toBe('rest.safetensors');

    await writeFile(join(dir, 'junk.safetensors'), 'not a checkpoint at all');
    for (const [args, message] of [
      [['--resume', join(dir, 'junk.safetensors')], /checkpoint: .*not a safetensors file/],
      [['--resume', join(dir, 'nope.safetensors')], /--resume: cannot read .*ENOENT/],
      [['--resume', join(dir, 'part.safetensors'), '--size', 'small'], /--resume takes the run's config from the checkpoint; drop --size/],
      [['--save-every', '5'], /--save-every needs --checkpoint-out/],
    ] as const) {
      const r = await growlabInProcess(['train', ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toMatch(message);
    }
  }, 240_000);
  it('writes each periodic checkpoint while it trains, so a killed run resumes from it (cpu)', async () => {
    const { spawn } = await import('node:child_process');
    const { existsSync } = await import('node:fs');
    const { mkdtemp, readFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'growlab-kill-'));
    const ckpt = join(dir, 'live.safetensors');
    const child = spawn(process.execPath, [BIN, 'train', '--size', 'tiny', '--steps', '400', '--backend', 'cpu', '--seed', '2', '--eval-batches', '2', '--save-every', '20', '--checkpoint-out', ckpt]);
    let out = '';
    const onDisk = await new Promise<boolean>((done) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        // Well past the first save: the file must be there while training goes on.
        if (/step (8\d|9\d|\d{3})\/400/.test(out)) done(existsSync(ckpt));
      });
      child.on('exit', () => done(existsSync(ckpt)));
    });
    child.kill('SIGKILL');
    expect(out).not.toMatch(/step 400\/400/);
    expect(onDisk).toBe(true);
    const { decodeCheckpoint } = await import('../core/checkpoint/format.ts');
    const saved = decodeCheckpoint(new Uint8Array(await readFile(ckpt)));
    expect(saved.step % 20).toBe(0);
    expect(saved.step).toBeGreaterThanOrEqual(20);
    const resumed = await growlab(['train', '--resume', ckpt, '--backend', 'cpu', '--stop-after', String(saved.step + 10), '--json']);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`resuming .* at step ${saved.step}/400`));
    expect(resumed.stdout).toMatch(new RegExp(`stopped after step ${saved.step + 10}`));
  }, 240_000);
});

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const run = promisify(execFile);
const BIN = new URL('../../bin/growlab.mjs', import.meta.url).pathname;

async function growlab(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('growlab garden', () => {
  it('writes the compound schedule at bert-base size as YAML to --out', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'growlab-garden-')), 'compound.yaml');
    const r = await growlab('garden', '--preset', 'compound', '--size', 'small', '--steps', '500000', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/wrote .*compound\.yaml: 4 stages/);
    const doc = parse(readFileSync(out, 'utf8'));
    expect(doc.trainer.train_steps).toBe(500_000);
    const stages = doc.trainer.progressive.stage_list as { num_steps: number }[];
    expect(stages.map((s) => s.num_steps)).toEqual([100_000, 100_000, 150_000, 150_000]);
  }, 120_000);

  it('prints to stdout without --out, notes on stderr, and refuses bad flags with exit code 2', async () => {
    const r = await growlab('garden', '--preset', 'width-factorize', '--size', 'tiny', '--target', 'lab');
    expect(r.code).toBe(0);
    expect(parse(r.stdout).task.model.encoder.bert.num_layers).toBe(2);
    expect(r.stderr).toMatch(/note: factorized FFN/);
    const bad = await growlab('garden', '--target', 'gpt-5');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--target: unknown value "gpt-5" \(allowed: bert-base, bert-large, lab\)/);
    const few = await growlab('garden', '--steps', '3');
    expect(few.code).toBe(2);
    expect(few.stderr).toMatch(/steps: 3 steps cannot cover 4 stages/);
  }, 120_000);
});

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { growlab, growlabInProcess } from './growlab.test-helper.ts';
import { parse } from 'yaml';



describe('growlab garden', () => {
  it('writes the compound schedule at bert-base size as YAML to --out', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'growlab-garden-')), 'compound.yaml');
    const r = await growlab(['garden', '--preset', 'compound', '--size', 'small', '--steps', '500000', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/wrote .*compound\.yaml: 4 stages/);
    const doc = parse(readFileSync(out, 'utf8'));
    expect(doc.trainer.train_steps).toBe(500_000);
    const stages = doc.trainer.progressive.stage_list as { num_steps: number }[];
    expect(stages.map((s) => s.num_steps)).toEqual([100_000, 100_000, 150_000, 150_000]);
  }, 120_000);

  it('prints to stdout without --out, notes on stderr, and refuses bad flags with exit code 2', async () => {
    const r = await growlab(['garden', '--preset', 'width-factorize', '--size', 'tiny', '--target', 'lab']);
    expect(r.code).toBe(0);
    expect(parse(r.stdout).task.model.encoder.bert.num_layers).toBe(2);
    expect(r.stderr).toMatch(/note: factorized FFN/);
    const bad = await growlabInProcess(['garden', '--target', 'gpt-5']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--target: unknown value "gpt-5" \(allowed: bert-base, bert-large, lab\)/);
    const few = await growlabInProcess(['garden', '--steps', '3']);
    expect(few.code).toBe(2);
    expect(few.stderr).toMatch(/steps: 3 steps cannot cover 4 stages/);
  }, 120_000);
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { DESIGNS } from '../core/suite/plan.ts';
import { validateSuiteResults, type SuiteResults, type SuiteRun } from '../core/suite/results.ts';
import { growlab } from './growlab.test-helper.ts';

const LAB = DESIGNS.lab;

export const readResults = (dir: string): SuiteResults => validateSuiteResults(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')));

/** Mean and n−1 std, computed here rather than with the report's own helpers. */
function meanStd(xs: number[]): { mean: number; std: number } | null {
  if (xs.length === 0) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, std };
}

/** What each report column should hold for a run, and its decimals. */
function expectedCell(header: string, r: SuiteResults, runs: SuiteRun[]): { values: number[]; digits: number } {
  const base = (seed: number) => r.runs.find((x) => x.arm === 'baseline' && x.seed === seed)!;
  const down = /^(genre\d+) (finetune|probe) (acc \(%\)|macro-F1)$/.exec(header);
  if (down) {
    const pick = runs.map((run) => run.downstream.find((d) => d.task === down[1] && d.mode === down[2])).filter((d) => d !== undefined);
    return down[3] === 'macro-F1' ? { values: pick.map((d) => d.macroF1), digits: 3 } : { values: pick.map((d) => 100 * d.accuracy), digits: 1 };
  }
  switch (header) {
    case 'Val MLM loss': return { values: runs.map((x) => x.summary.valLoss!), digits: 3 };
    case 'Val MLM acc (%)': return { values: runs.map((x) => 100 * x.summary.valAcc!), digits: 2 };
    case 'Forward GFLOPs': return { values: runs.map((x) => x.forwardFlops / 1e9), digits: 3 };
    case 'FLOPs speed-up (×)': return { values: runs.map((x) => base(x.seed).forwardFlops / x.forwardFlops), digits: 2 };
    case 'Wall time (s)': return { values: runs.map((x) => x.wallTimeMs / 1000), digits: 1 };
    case 'Wall speed-up (×)': return { values: runs.map((x) => base(x.seed).wallTimeMs / x.wallTimeMs), digits: 2 };
    default: throw new Error(`the report has a column this test does not know: "${header}"`);
  }
}

function format(values: number[], digits: number): string {
  const ms = meanStd(values);
  return ms ? `${ms.mean.toFixed(digits)} ± ${ms.std.toFixed(digits)}` : '—';
}

/** Every "## title" section's first markdown table, as header + rows of cells. */
function tables(md: string): Map<string, { header: string[]; rows: string[][] }> {
  const out = new Map<string, { header: string[]; rows: string[][] }>();
  for (const sec of md.split(/^## /m).slice(1)) {
    const title = sec.split('\n')[0];
    const lines = sec.split('\n').filter((l) => l.startsWith('|'));
    if (lines.length < 2) continue;
    const cells = (l: string) => l.slice(1, -1).split('|').map((c) => c.trim());
    out.set(title, { header: cells(lines[0]), rows: lines.slice(2).map(cells) });
  }
  return out;
}

const escape = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Runs `growlab suite` at tiny (40 steps, 16 validation batches) with two seeds over `arms`, then
 * checks its report against numbers recomputed here from results.json: every table cell as mean
 * ± std, the controls, each paired test's mean difference (none for an arm left out), the
 * gate and the frequency flags.
 */
export async function expectTinySuiteReport(dir: string, arms: readonly string[]): Promise<void> {
  const subset = arms.length < LAB.arms.length ? ['--arms', arms.join(',')] : [];
  const r = await growlab(['suite', '--size', 'tiny', '--seeds', '2', '--steps', '40', '--eval-batches', '16', ...subset, '--out', dir, '--json'], 900_000);
  expect(r.code, r.stderr).toBe(0);
  const results = readResults(dir);
  expect(results.runs).toHaveLength(2 * arms.length);
  expect(new Set(results.runs.map((x) => `${x.arm}/${x.seed}`)).size).toBe(2 * arms.length);
  expect(results.settings).toEqual({ size: 'tiny', seeds: 2, steps: 40, backend: 'wasm', downstream: true, design: 'lab', margin: null, gateMargin: 0.02, evalBatches: 16 });
  // The seeds are really different runs.
  const v1 = results.runs.filter((x) => x.seed === 1).map((x) => x.summary.valLoss);
  const v2 = results.runs.filter((x) => x.seed === 2).map((x) => x.summary.valLoss);
  expect(v1).not.toEqual(v2);
  for (const name of ['val-loss-vs-flops.svg', 'val-loss-vs-wall.svg']) expect(readFileSync(join(dir, name), 'utf8')).toMatch(/^<svg[\s\S]*<path d="M/);

  const md = readFileSync(join(dir, 'report.md'), 'utf8');
  const found = tables(md);
  let cellsChecked = 0;
  for (const c of LAB.comparisons) {
    const t = [...found.entries()].find(([title]) => title.startsWith(c.title))?.[1];
    expect(t, `table for ${c.title}`).toBeDefined();
    expect(t!.rows.map((row) => row[0])).toEqual(c.arms);
    for (const row of t!.rows) {
      const runs = results.runs.filter((x) => x.arm === row[0]);
      expect(row[1]).toBe(String(runs.length));
      t!.header.slice(2).forEach((h, i) => {
        const { values, digits } = expectedCell(h, results, runs);
        expect(row[i + 2], `${row[0]} / ${h}`).toBe(format(values, digits));
        if (runs.length) cellsChecked++;
      });
    }
  }
  expect(cellsChecked).toBeGreaterThanOrEqual(10 * arms.length);
  // Controls: majority class and the untrained encoder, per seed.
  const controls = found.get('Controls (no pre-training)');
  expect(controls).toBeDefined();
  expect(results.controls).toHaveLength(2);
  for (const row of controls!.rows) {
    const m = /^(genre\d+) (majority class|random-init (finetune|probe))$/.exec(row[0]);
    expect(m, row[0]).not.toBeNull();
    const of = results.controls.filter((c) => c.task === m![1]);
    const scores = m![3] ? of.map((c) => c.randomInit.find((d) => d.mode === m![3])!) : of.map((c) => c.majority);
    expect(row.slice(1)).toEqual([String(of.length), format(scores.map((x) => 100 * x.accuracy), 1), format(scores.map((x) => x.macroF1), 3)]);
  }
  expect(controls!.rows.map((row) => row[0])).toEqual(['genre4 majority class', 'genre4 random-init finetune', 'genre4 random-init probe']);
  // Every pair gets a paired test on the final validation loss, whose mean difference is recomputed here.
  const finalLoss = (arm: string, seed: number) => results.runs.find((x) => x.arm === arm && x.seed === seed)!.summary.valLoss!;
  let tested = 0;
  for (const c of LAB.comparisons) for (const a of c.arms.filter((x) => x !== c.reference)) {
    if (!arms.includes(a) || !arms.includes(c.reference)) {
      expect(md).not.toContain(`- ${a} − ${c.reference}, Val MLM loss`);
      continue;
    }
    // Without the budget sweep's arms a non-inferiority test has no margin, so no p-value ("—").
    const line = new RegExp(`^- ${escape(a)} − ${escape(c.reference)}, Val MLM loss: (-?[\\d.]+) \\[(-?[\\d.]+), (-?[\\d.]+)\\] \\(95% paired t-interval, 2 seeds\\); .*Holm p = (?:[\\d.<\\s]+|—) — (better|worse|no evidence|non-inferior|not shown non-inferior|no margin|no verdict \\(gate\\))$`, 'm').exec(md);
    expect(line, `${a} vs ${c.reference}`).not.toBeNull();
    const mean = ((finalLoss(a, 1) - finalLoss(c.reference, 1)) + (finalLoss(a, 2) - finalLoss(c.reference, 2))) / 2;
    expect(Number(line![1])).toBeCloseTo(mean, 3);
    expect(Number(line![2])).toBeLessThanOrEqual(Number(line![1]));
    expect(Number(line![3])).toBeGreaterThanOrEqual(Number(line![1]));
    tested++;
  }
  expect(tested).toBeGreaterThan(0);
  // The gate and a frequency-level flag for every arm that ran.
  expect(md).toMatch(/- Baseline vs the smallest stage model: (passed|failed)/);
  const flags = found.get('Gate')!;
  expect(flags.rows.map((row) => row[0])).toEqual(LAB.arms.filter((a) => arms.includes(a)));
  for (const row of flags.rows) expect(row[3]).toBe(results.frequency!.loss - Number(row[1]) >= 0.3 ? 'yes' : '**no**');
  expect(md).toMatch(/Holm-adjusted as one family of \d+ tests/);
}

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { growlab } from './growlab.test-helper.ts';
import { validateSuiteResults, type SuiteResults, type SuiteRun } from '../core/suite/results.ts';
import { DESIGNS } from '../core/suite/plan.ts';

const LAB = DESIGNS.lab;

const BIN = new URL('../../bin/growlab.mjs', import.meta.url).pathname;
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'growlab-suite-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));


const readResults = (dir: string): SuiteResults => validateSuiteResults(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')));

/** Mean and n−1 std, computed here rather than with the report's own helpers. */
function meanStd(xs: number[]): string | null {
  if (xs.length === 0) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return `${mean}|${std}`;
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
  if (!ms) return '—';
  const [mean, std] = ms.split('|').map(Number);
  return `${mean.toFixed(digits)} ± ${std.toFixed(digits)}`;
}

/** Every "## title" section's first markdown table, as header + rows of cells. */
function tables(md: string): Map<string, { header: string[]; rows: string[][] }> {
  const out = new Map<string, { header: string[]; rows: string[][] }>();
  const sections = md.split(/^## /m).slice(1);
  for (const sec of sections) {
    const title = sec.split('\n')[0];
    const lines = sec.split('\n').filter((l) => l.startsWith('|'));
    if (lines.length < 2) continue;
    const cells = (l: string) => l.slice(1, -1).split('|').map((c) => c.trim());
    out.set(title, { header: cells(lines[0]), rows: lines.slice(2).map(cells) });
  }
  return out;
}

describe('growlab suite', () => {
  it('runs the tiny suite with 2 seeds: report tables equal mean ± std recomputed from results.json, paired tests, the gate', async () => {
    const dir = tempDir();
    const t0 = performance.now();
    // 40 steps and 16 validation batches instead of 200 and 1,250 keep CI short; the report's machinery is the same.
    const r = await growlab(['suite', '--size', 'tiny', '--seeds', '2', '--steps', '40', '--eval-batches', '16', '--out', dir, '--json'], 900_000);
    const seconds = (performance.now() - t0) / 1000;
    expect(r.code, r.stderr).toBe(0);
    console.log(`tiny suite, 2 seeds, 40 steps: ${seconds.toFixed(0)} s`);
    const results = readResults(dir);
    expect(results.runs).toHaveLength(2 * LAB.arms.length);
    expect(new Set(results.runs.map((x) => `${x.arm}/${x.seed}`)).size).toBe(2 * LAB.arms.length);
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
          cellsChecked++;
        });
      }
    }
    expect(cellsChecked).toBeGreaterThanOrEqual(11 * 10);
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
    const escape = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    for (const c of LAB.comparisons) for (const a of c.arms.filter((x) => x !== c.reference)) {
      const line = new RegExp(`^- ${escape(a)} − ${escape(c.reference)}, Val MLM loss: (-?[\\d.]+) \\[(-?[\\d.]+), (-?[\\d.]+)\\] \\(95% paired t-interval, 2 seeds\\); .*Holm p = [\\d.<\\s]+ — (better|worse|no evidence|non-inferior|not shown non-inferior|no margin|no verdict \\(gate\\))$`, 'm').exec(md);
      expect(line, `${a} vs ${c.reference}`).not.toBeNull();
      const mean = ((finalLoss(a, 1) - finalLoss(c.reference, 1)) + (finalLoss(a, 2) - finalLoss(c.reference, 2))) / 2;
      expect(Number(line![1])).toBeCloseTo(mean, 3);
      expect(Number(line![2])).toBeLessThanOrEqual(Number(line![1]));
      expect(Number(line![3])).toBeGreaterThanOrEqual(Number(line![1]));
    }
    // The gate and a frequency-level flag for every arm.
    expect(md).toMatch(/- Baseline vs the smallest stage model: (passed|failed)/);
    const flags = found.get('Gate')!;
    expect(flags.rows.map((row) => row[0])).toEqual(LAB.arms);
    for (const row of flags.rows) expect(row[3]).toBe(results.frequency!.loss - Number(row[1]) >= 0.3 ? 'yes' : '**no**');
    expect(md).toMatch(/Holm-adjusted as one family of \d+ tests/);
  }, 900_000);

  it('keeps finished runs when interrupted and --resume runs only the missing ones', async () => {
    const dir = tempDir();
    // Without the genre evaluation, which would only make this test slower.
    const args = ['suite', '--size', 'tiny', '--seeds', '1', '--steps', '20', '--eval-batches', '8', '--out', dir, '--backend', 'wasm', '--no-genre', '--arms', 'baseline,smallest,stack,compound'];
    const child = spawn(process.execPath, [BIN, ...args], { stdio: 'ignore' });
    const path = join(dir, 'results.json');
    const runsOnDisk = () => (existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as SuiteResults).runs.length : 0);
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (runsOnDisk() >= 2) {
          clearInterval(timer);
          child.kill('SIGKILL');
          resolve();
        }
      }, 50);
      child.on('exit', () => {
        clearInterval(timer);
        if (runsOnDisk() < 2) reject(new Error('the suite exited before it could be interrupted'));
        else resolve();
      });
    });
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.on('exit', r)));
    const partial = readResults(dir);
    expect(partial.runs.length).toBeGreaterThanOrEqual(2);
    expect(partial.runs.length).toBeLessThan(4);
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toMatch(/Incomplete:\*\* \d of 4 runs finished; continue with `--resume`/);

    const again = await growlab(args);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/results\.json already exists: pass --resume to continue that suite, or pick another --out directory/);
    const other = await growlab([...args.map((a) => (a === '20' ? '24' : a)), '--resume']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/--resume: .*results\.json was made with other settings \(steps: 20 there vs 24 now\)/);

    const resumed = await growlab([...args, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const full = readResults(dir);
    expect(full.runs.map((x) => x.arm)).toEqual(['baseline', 'stack', 'compound', 'smallest']);
    expect(full.runs.every((x) => x.downstream.length === 0)).toBe(true);
    expect(full.controls).toEqual([]);
    // The runs finished before the interruption are kept as they were, not run again (wall times would differ).
    expect(full.runs.slice(0, partial.runs.length)).toEqual(partial.runs);
    expect(full.commands).toHaveLength(2);
    expect(full.commands[1]).toMatch(/--resume$/);
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toMatch(/All 4 runs finished/);
    const otherArms = await growlab([...args.slice(0, -1), 'baseline,smallest,compound', '--resume']);
    expect(otherArms.code).toBe(2);
    expect(otherArms.stderr).toMatch(/was made with other arms \(baseline,stack,compound,smallest\)/);
  }, 300_000);

  it.each([
    [['suite', '--size', 'huge', '--out', 'x'], /--size: unknown value "huge" \(allowed: tiny, small, deep, lab\)/],
    [['suite', '--size', 'tiny'], /--out DIR is required/],
    [['suite', '--out', 'x', '--backend', 'webgl'], /--backend: unknown value "webgl" \(allowed: wasm, cpu, webgpu\)/],
    [['suite', '--out', 'x', '--eval-batches', '0'], /--eval-batches: expected a positive integer, got "0"/],
    [['suite', '--out', 'x', '--steps', '5'], /steps: must be a whole number of at least 20, got 5/],
    [['suite', '--out', 'x', '--seeds', 'two'], /--seeds: expected a positive integer, got "two"/],
    [['suite', '--out', 'x', '--design', 'grand'], /--design: unknown value "grand" \(allowed: lab, paper\)/],
    [['suite', '--out', 'x', '--margin=-0.1'], /--margin: expected a positive number, got "-0\.1"/],
    [['suite', '--out', 'x', '--gate-margin', 'x'], /--gate-margin: expected a number of nats ≥ 0, got "x"/],
    [['suite', '--out', 'x', '--arms', 'compound,stack'], /--arms: the gate cannot be computed without baseline and smallest .*add baseline,smallest to --arms/],
    [['suite', '--out', 'x', '--arms', 'baseline,smallest,fig1-depth'], /--arms: unknown arm "fig1-depth" \(the lab design has: baseline, stack/],
    [['suite', '--out', 'x', '--statistic', 'bayes'], /suite: Unknown option '--statistic' \(allowed flags: .*--margin/],
  ])('%j exits 2 with one line saying what was expected', async (args, message) => {
    const r = await growlab(args);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('npm warn'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });
});

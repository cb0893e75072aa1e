import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { growlab, growlabInProcess } from './growlab.test-helper.ts';
import type { SuiteResults } from '../core/suite/results.ts';
import { expectTinySuiteReport, readResults } from './suite-report.test-helper.ts';

const BIN = new URL('../../bin/growlab.mjs', import.meta.url).pathname;
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'growlab-suite-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));


describe('growlab suite', () => {
  // Four of the thirteen arms (one comparison whole, the others with arms left out); every arm of
  // the design is suite.slow.test.ts.
  it('runs a tiny suite with 2 seeds: report tables equal mean ± std recomputed from results.json, paired tests, the gate', async () => {
    await expectTinySuiteReport(tempDir(), ['baseline', 'stack', 'compound', 'smallest']);
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
    [['suite', '--out', 'x', '--design', 'grand'], /--design: unknown value "grand" \(allowed: lab, paper, operators\)/],
    [['suite', '--out', 'x', '--margin=-0.1'], /--margin: expected a positive number, got "-0\.1"/],
    [['suite', '--out', 'x', '--gate-margin', 'x'], /--gate-margin: expected a number of nats ≥ 0, got "x"/],
    [['suite', '--out', 'x', '--arms', 'compound,stack'], /--arms: the gate cannot be computed without baseline and smallest .*add baseline,smallest to --arms/],
    [['suite', '--out', 'x', '--arms', 'baseline,smallest,fig1-depth'], /--arms: unknown arm "fig1-depth" \(the lab design has: baseline, stack/],
    [['suite', '--out', 'x', '--statistic', 'bayes'], /suite: Unknown option '--statistic' \(allowed flags: .*--margin/],
  ])('%j exits 2 with one line saying what was expected', async (args, message) => {
    const r = await growlabInProcess(args);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });
});

import { describe, expect, it } from 'vitest';
import { reportColumns, suiteReport } from './report.ts';
import { fakeResults, fakeRun } from './fixture.test-helper.ts';
import { suitePlots } from './plots.ts';


describe('suite report', () => {
  it('tests final losses paired by seed, Holm-adjusts them as one family and names the verdict', () => {
    // depth − compound per seed: 0.1, 0.15, 0.1 → mean 0.11667, sd 0.028868, se 0.016667, t = 7.0 on 2 df.
    // Two-sided p on 2 df: 1 − t/√(2 + t²) = 1 − 7/√51 = 0.019804. t_{0.975,2} = 4.3027 → ±0.071711.
    // compound − baseline: 0.01, 0.02, 0 → mean 0.01, se 0.0057735; margin 0.05: bound 0.01 + 2.91999·se = 0.026858,
    // one-sided p of t = (0.01 − 0.05)/se = −6.9282: 1/2 − 6.9282/(2√(2 + 48)) = 0.010102.
    // Holm over the two: 2·0.010102 = 0.020204, then max(0.020204, 0.019804) = 0.020204.
    const runs = [1, 2, 3].flatMap((seed, i) => [
      fakeRun('baseline', seed, [5.0, 5.2, 5.1][i]),
      fakeRun('compound', seed, [5.01, 5.22, 5.1][i]),
      fakeRun('depth', seed, [5.11, 5.37, 5.2][i]),
      fakeRun('smallest', seed, 5.9),
    ]);
    const r = fakeResults(runs, 3);
    r.settings.margin = 0.05;
    const md = suiteReport(r);
    expect(md).toContain('- depth − compound, Val MLM loss: 0.117 [0.045, 0.188] (95% paired t-interval, 3 seeds); p = 0.020, Holm p = 0.020 — worse');
    expect(md).toContain('- compound − baseline, Val MLM loss: 0.010 [-0.015, 0.035] (95% paired t-interval, 3 seeds); non-inferiority margin 0.050, one-sided 95% bound 0.027, p = 0.010, Holm p = 0.020 — non-inferior');
    expect(md).toContain('Holm-adjusted as one family of 2 tests');
    expect(md).toContain('- Baseline vs the smallest stage model: passed');

    // The same arms when the full model does not beat the smallest stage model (by 0, 0.01, 0.01: mean
    // 0.0067 < 0.02): no verdicts at all.
    const flat = fakeResults(runs.map((x) => (x.arm === 'smallest' ? fakeRun('smallest', x.seed, [5.0, 5.21, 5.11][x.seed - 1]) : x)), 3);
    const withheld = suiteReport(flat);
    expect(withheld).toMatch(/Baseline vs the smallest stage model: failed: the baseline's loss is only 0\.007 nats lower/);
    expect(withheld).toContain('p = 0.020, Holm p = 0.020 — no verdict (gate)');
    expect(withheld).not.toMatch(/— (worse|better|non-inferior)$/m);
    // No baseline budget sweep and no declared margin: non-inferiority is not assessed.
    expect(withheld).toContain('No non-inferiority margin');

    const one = suiteReport(fakeResults([fakeRun('compound', 1, 5.0), fakeRun('depth', 1, 5.6), fakeRun('baseline', 1, 5), fakeRun('smallest', 1, 6)], 1));
    expect(one).toContain('- depth − compound, Val MLM loss: 0.600 (one seed: no interval); p = —, Holm p = — — one seed');
  });

  it('reads the effective FLOPs speed-up off the baseline budget sweep, and its margin', () => {
    // Sweep (same for both seeds): 0.5 GFLOP → 5.6, 0.75 → 5.3, 1 → 5.0. compound at 0.5 GFLOP reaches 5.3,
    // which the baseline needs 0.75 GFLOP for: 1.5× on both seeds (geometric mean 1.50, zero spread).
    const runs = [1, 2].flatMap((seed) => [
      fakeRun('baseline-x0.5', seed, 5.6, { flops: 0.5e9 }),
      fakeRun('baseline-x0.75', seed, 5.3, { flops: 0.75e9 }),
      fakeRun('baseline', seed, 5.0, { flops: 1e9 }),
      fakeRun('compound', seed, 5.3, { flops: 0.5e9 }),
      fakeRun('stack', seed, 4.9, { flops: 0.8e9 }),
      fakeRun('smallest', seed, 5.8, { flops: 0.3e9 }),
    ]);
    const md = suiteReport(fakeResults(runs));
    expect(md).toContain('| compound | 1.50× [1.50, 1.50] | 2 | 0 |');
    // stack's 4.9 is below every sweep point: at least 1e9 / 0.8e9 = 1.25× on both seeds.
    expect(md).toContain('| stack | — | 0 | 2 (≥ 1.25×) |');
    expect(md).toMatch(/Non-inferiority margin 0\.\d{4} nats \(from the baseline budget sweep/);
  });

  it('computes speed-ups against the same seed\'s baseline and leaves them empty without one', () => {
    const r = fakeResults([
      fakeRun('baseline', 1, 5, { flops: 3e9, wallMs: 3000 }),
      fakeRun('baseline', 2, 5, { flops: 3e9, wallMs: 5000 }),
      fakeRun('compound', 1, 5, { flops: 2e9, wallMs: 2000 }),
      fakeRun('compound', 2, 5, { flops: 2e9, wallMs: 2000 }),
      fakeRun('stack', 3, 5, { flops: 2e9, wallMs: 2000 }),
    ]);
    const md = suiteReport(r);
    // Wall speed-ups 1.5 and 2.5 → 2.00 ± 0.71; FLOPs 1.5 both seeds.
    expect(md).toContain('| compound | 2 | 5.000 ± 0.000 | 20.00 ± 0.00 | 2.000 ± 0.000 | 1.50 ± 0.00 | 2.0 ± 0.0 | 2.00 ± 0.71 |');
    expect(md).toContain('| stack | 1 | 5.000 ± 0.000 | 20.00 ± 0.00 | 2.000 ± 0.000 | — | 2.0 ± 0.0 | — |');
    expect(md).toContain('| depth | 0 | — |');
    expect(md).toContain('**Incomplete:** 5 of 26 runs finished; continue with `--resume`.');
  });

  it('names runs that diverged under their comparison', () => {
    const md = suiteReport(fakeResults([fakeRun('compound', 1, 5), { ...fakeRun('depth', 1, 6), divergedAt: 57 }]));
    expect(md).toContain('- Diverged (numbers from before the loss stopped being finite): depth seed 1 at step 57');
    expect(md.match(/Diverged/g)).toHaveLength(1); // depth is only in Figure 1's comparison
  });

  it('adds downstream columns only for what was evaluated', () => {
    const without = reportColumns(fakeResults([fakeRun('compound', 1, 5)])).map((c) => c.header);
    expect(without.some((h) => h.startsWith('genre'))).toBe(false);
    const withDown = reportColumns(fakeResults([fakeRun('compound', 1, 5, { acc4: 0.5 })])).map((c) => c.header);
    expect(withDown).toContain('genre4 finetune acc (%)');
    expect(withDown).toContain('genre4 finetune macro-F1');
  });

  it('names the arms still at the frequency-only loss and draws that level in both plots', () => {
    const frequency = { loss: 5.1, accuracy: 0.0665, split: 'validation' as const, vocabSize: 8000 };
    const r = { ...fakeResults([fakeRun('compound', 1, 5.0), fakeRun('depth', 1, 5.6), fakeRun('stack', 1, 5.1)]), frequency };
    const md = suiteReport(r);
    expect(md).toContain('Reference: predicting token frequencies alone (no context) scores validation MLM loss 5.100 and accuracy 6.65%');
    // compound is 0.1 below it, depth and stack not below at all: none has left it by 0.3 nats.
    expect(md).toContain('Every arm ends less than 0.3 nats below it');
    expect(md).toMatch(/\| depth \| 5\.600 \| -0\.500 \| \*\*no\*\* \|/);
    const below = suiteReport({ ...fakeResults([fakeRun('compound', 1, 4.7), fakeRun('depth', 1, 4.0)]), frequency });
    expect(below).toContain('Every arm ends at least 0.3 nats below it.');
    const some = suiteReport({ ...fakeResults([fakeRun('compound', 1, 4.7), fakeRun('depth', 1, 5.0)]), frequency });
    expect(some).toContain('depth ends less than 0.3 nats below it: at this budget that arm has');
    expect(suiteReport(fakeResults([fakeRun('compound', 1, 5.0)]))).not.toContain('Reference:');
    for (const plot of suitePlots(r)) {
      expect(plot.svg).toContain('stroke-dasharray="6 4"');
      expect(plot.svg).toContain('token frequencies alone: 5.100');
    }
  });

  it('says whether the width-share copies separated, beside the ε control', () => {
    const runs = [1, 2].flatMap((seed) => [
      { ...fakeRun('width-share', seed, 5.0), copySeparation: [0.043, 0.05][seed - 1] },
      { ...fakeRun('width-share-exact', seed, 5.0), copySeparation: 0 },
      fakeRun('baseline', seed, 4.9),
    ]);
    const md = suiteReport(fakeResults(runs));
    expect(md).toContain("- FFN copies' separation at the first validation after growth (least separated pair, minimum over layers; 0 = exact copies): width-share 4.3e-2 to 5.0e-2, width-share-exact 0");
    // Also beside every other comparison width-share is in (Figure 1, sharing vs factorization), never elsewhere.
    expect(md.match(/FFN copies' separation/g)).toHaveLength(3);
  });
});

import { describe, expect, it } from 'vitest';
import { reportColumns, significanceLine, suiteReport } from './report.ts';
import { fakeResults, fakeRun } from './fixture.test-helper.ts';
import { suitePlots } from './plots.ts';

const loss = (r: ReturnType<typeof fakeResults>) => reportColumns(r).find((c) => c.header === 'Val MLM loss')!;

describe('suite report', () => {
  it('calls overlapping spreads not significant and names the better arm when they separate', () => {
    // compound 5.0, 5.2 → 5.1 ± 0.141; depth 5.15, 5.25 → 5.2 ± 0.071: [4.96, 5.24] and [5.13, 5.27] overlap.
    const close = fakeResults([fakeRun('compound', 1, 5.0), fakeRun('compound', 2, 5.2), fakeRun('depth', 1, 5.15), fakeRun('depth', 2, 5.25)]);
    expect(significanceLine(close, 'depth', 'compound', loss(close))).toBe('depth vs compound, Val MLM loss: 5.200 ± 0.071 vs 5.100 ± 0.141 — not significant (spreads overlap)');
    // depth 5.6, 5.8 → 5.7 ± 0.141: [5.56, 5.84] is clear of compound's [4.96, 5.24]; lower loss is better.
    const far = fakeResults([fakeRun('compound', 1, 5.0), fakeRun('compound', 2, 5.2), fakeRun('depth', 1, 5.6), fakeRun('depth', 2, 5.8)]);
    expect(significanceLine(far, 'depth', 'compound', loss(far))).toMatch(/5\.700 ± 0\.141 vs 5\.100 ± 0\.141 — compound better; the one-std spreads do not overlap \(2 seeds/);
    const one = fakeResults([fakeRun('compound', 1, 5.0), fakeRun('depth', 1, 5.6)], 1);
    expect(significanceLine(one, 'depth', 'compound', loss(one))).toMatch(/one seed: no spread, so significance is not assessed/);
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
    expect(md).toContain('**Incomplete:** 5 of 16 runs finished; continue with `--resume`.');
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
    expect(md).toContain('stack, depth ends at or above it: at this budget those arms have learned token frequencies');
    const below = suiteReport({ ...fakeResults([fakeRun('compound', 1, 5.0)]), frequency });
    expect(below).toContain('Every arm ends below it.');
    expect(suiteReport(fakeResults([fakeRun('compound', 1, 5.0)]))).not.toContain('Reference:');
    for (const plot of suitePlots(r)) {
      expect(plot.svg).toContain('stroke-dasharray="6 4"');
      expect(plot.svg).toContain('token frequencies alone: 5.100');
    }
  });
});

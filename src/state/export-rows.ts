import type { ComparisonRow } from '../core/export/metrics.ts';
import { baselineRun, runCost } from './cost.ts';
import { speedupToReach } from './reach.ts';
import { isActive, type Run } from './run.ts';

/** The comparison table's numbers for each run (the same sources as src/ui/RunsTable.tsx). */
export function comparisonRows(runs: readonly Run[]): { rows: ComparisonRow[]; baseline: string | null } {
  const base = baselineRun(runs);
  const baseEnded = base !== null && !isActive(base);
  const rows = runs.map((r): ComparisonRow => {
    const cost = runCost(r);
    const lastVal = r.validation.length ? r.validation[r.validation.length - 1] : null;
    const sp = base && baseEnded && r.validation.length ? speedupToReach(runCost(base), cost) : null;
    const wallMs = cost.wallMsAt(r.step);
    const tokens = r.steps.reduce((s, m) => s + m.tokens, 0);
    return {
      label: r.label,
      preset: r.preset,
      status: r.status,
      steps: r.step,
      plannedSteps: r.config.train.steps,
      finalLoss: r.summary ? r.summary.finalLoss : null,
      valLoss: lastVal ? lastVal.loss : null,
      valAcc: lastVal ? lastVal.accuracy : null,
      forwardFlops: cost.flopsAt(r.step),
      speedupFlops: sp ? sp.flops : null,
      speedupWall: sp ? sp.wall : null,
      wallMs,
      tokensPerSec: r.summary?.tokensPerSec ?? (wallMs > 0 ? tokens / (wallMs / 1000) : null),
      genre4Acc: r.genre?.genre4?.accuracy ?? null,
      genre4MacroF1: r.genre?.genre4?.macroF1 ?? null,
      genre15Acc: r.genre?.genre15?.accuracy ?? null,
      genre15MacroF1: r.genre?.genre15?.macroF1 ?? null,
    };
  });
  return { rows, baseline: base ? base.label : null };
}

/** Mean and spread of one metric over seeds. */
export interface Spread {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1); 0 with one value. */
  std: number;
  /** Only one seed: there is no spread to compare, so no difference can be called significant. */
  oneSeed: boolean;
}

/** Mean and sample std of finite values; null when there are none (a metric no seed produced). */
export function spread(values: readonly number[]): Spread | null {
  const xs = values.filter((v) => Number.isFinite(v));
  const n = xs.length;
  if (n === 0) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1)) : 0;
  return { n, mean, std, oneSeed: n === 1 };
}

/** "mean ± std" with the same number of decimals on both; "—" when nothing was measured. */
export function formatSpread(s: Spread | null, digits: number): string {
  if (!s) return '—';
  return `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}`;
}

/** Parses formatSpread's output back (the report tests compare cells with it). */
export function parseSpread(cell: string): { mean: number; std: number } | null {
  const m = /^(-?[\d.]+(?:e[+-]?\d+)?) ± ([\d.]+(?:e[+-]?\d+)?)$/.exec(cell.trim());
  return m ? { mean: Number(m[1]), std: Number(m[2]) } : null;
}

/** Whether [mean − std, mean + std] of a and b overlap (touching counts as overlapping). */
export function overlap(a: Spread, b: Spread): boolean {
  return a.mean - a.std <= b.mean + b.std && b.mean - b.std <= a.mean + a.std;
}

export type Significance = 'one-seed' | 'overlap' | 'separate';

/**
 * The report's verdict on a difference: with one seed nothing can be said; overlapping
 * one-std spreads are "not significant". Separate spreads are only a hint, not a test.
 */
export function significance(a: Spread, b: Spread): Significance {
  if (a.oneSeed || b.oneSeed) return 'one-seed';
  return overlap(a, b) ? 'overlap' : 'separate';
}

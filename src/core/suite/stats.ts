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

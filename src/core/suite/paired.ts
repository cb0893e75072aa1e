/**
 * Paired statistics for the suite report (issue 12, item 4): per-seed paired differences with
 * Student-t intervals, Holm–Bonferroni adjustment, non-inferiority against a declared margin, the
 * default margin from a baseline budget sweep, and the effective FLOPs speed-up. Pure numbers.
 */
import { ConfigError } from '../errors.ts';
import { spread } from './stats.ts';

// ---------------------------------------------------------------- Student t distribution

/** ln Γ(x) for x > 0, Lanczos approximation (g = 7, 9 terms), relative error ~1e-15. */
function lnGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  x -= 1;
  let s = c[0];
  for (let i = 1; i < 9; i++) s += c[i] / (x + i);
  const t = x + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(s);
}

/** Continued fraction for I_x(a, b) (Numerical Recipes `betacf`, modified Lentz). */
function betaCf(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 100000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) return h;
  }
  throw new Error(`incomplete beta did not converge (a=${a}, b=${b}, x=${x})`);
}

/**
 * Regularized incomplete beta I_x(a, b) = B(x; a, b) / B(a, b):
 * front = x^a (1−x)^b / (a B(a, b)); I = front · cf(a, b, x) when x < (a+1)/(a+b+2),
 * else 1 − I_{1−x}(b, a) (the fraction converges fast on that side).
 */
function betaInc(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront =
    lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaCf(a, b, x)) / a;
  return 1 - (Math.exp(lnFront) * betaCf(b, a, 1 - x)) / b;
}

function checkDf(df: number): void {
  if (!(df > 0) || !Number.isFinite(df)) throw new RangeError(`df must be a positive number, got ${df}`);
}

/** Two-sided tail P(|T| ≥ |t|) = I_{df/(df+t²)}(df/2, 1/2); exact form keeps tiny p-values. */
function twoSidedP(t: number, df: number): number {
  if (!Number.isFinite(t)) return Number.isNaN(t) ? NaN : 0;
  return betaInc(df / (df + t * t), df / 2, 0.5);
}

/** P(T ≤ t) for Student's t with df degrees of freedom: 1 − ½·I_{df/(df+t²)}(df/2, ½) for t ≥ 0, symmetric below. */
export function studentTCdf(t: number, df: number): number {
  checkDf(df);
  if (Number.isNaN(t)) return NaN;
  const tail = twoSidedP(t, df) / 2;
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t: the t with studentTCdf(t, df) = p (bracketing, then bisection). */
export function studentTQuantile(p: number, df: number): number {
  checkDf(df);
  if (!(p > 0 && p < 1)) throw new RangeError(`p must lie strictly between 0 and 1, got ${p}`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  // Upper tail 1 − p, compared on the tail directly so that p near 1 keeps its precision.
  const q = 1 - p;
  const tail = (t: number) => twoSidedP(t, df) / 2;
  let lo = 0;
  let hi = 1;
  while (tail(hi) > q) {
    lo = hi;
    hi *= 2;
  }
  for (let i = 0; i < 200 && hi - lo > 1e-13 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (tail(mid) > q) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

// ---------------------------------------------------------------- paired differences

/** Summary of per-seed paired differences d_i = a_i − b_i. */
export interface PairedDifference {
  /** Pairs used (both sides finite). */
  n: number;
  /** Pairs dropped because a side was non-finite (a run that failed or diverged). */
  dropped: number;
  /** Confidence level of [lo, hi]. */
  level: number;
  /** mean(d); null when no pair is usable. */
  mean: number | null;
  /** Sample sd of d (n − 1); null when n < 2, as are se, t, p, lo and hi. */
  sd: number | null;
  se: number | null;
  /** n − 1. */
  df: number;
  lo: number | null;
  hi: number | null;
  t: number | null;
  /** Two-sided p for H0: mean difference = 0. */
  p: number | null;
}

interface TSummary {
  n: number;
  mean: number | null;
  sd: number | null;
  se: number | null;
  lo: number | null;
  hi: number | null;
  t: number | null;
  p: number | null;
}

function checkLevel(level: number): void {
  if (!(level > 0 && level < 1)) throw new ConfigError('level', `must be a number between 0 and 1 (e.g. 0.95), got ${level}`);
}

/**
 * One-sample t summary: mean = Σx/n, sd = √(Σ(x−mean)²/(n−1)), se = sd/√n,
 * [lo, hi] = mean ∓ t_{(1+level)/2, n−1}·se, t = mean/se, p = P(|T_{n−1}| ≥ |t|).
 * sd = 0 (identical differences): the interval collapses to the mean, p = 0 (1 if the mean is 0).
 */
function tSummary(xs: readonly number[], level: number): TSummary {
  const n = xs.length;
  const none = { sd: null, se: null, lo: null, hi: null, t: null, p: null };
  if (n === 0) return { n, mean: null, ...none };
  const { mean, std: sd } = spread(xs)!;
  if (n < 2) return { n, mean, ...none };
  const se = sd / Math.sqrt(n);
  const half = studentTQuantile((1 + level) / 2, n - 1) * se;
  if (se === 0) return { n, mean, sd, se, lo: mean, hi: mean, t: mean === 0 ? 0 : Math.sign(mean) * Infinity, p: mean === 0 ? 1 : 0 };
  const t = mean / se;
  return { n, mean, sd, se, lo: mean - half, hi: mean + half, t, p: twoSidedP(t, n - 1) };
}

/**
 * Paired differences d_i = a_i − b_i (index i = seed i, so both arms saw the same data order)
 * with a Student-t interval at `level` and a two-sided p for "no difference".
 */
export function pairedDifference(a: readonly number[], b: readonly number[], level = 0.95): PairedDifference {
  if (a.length !== b.length) throw new RangeError(`paired arms need one value per seed on both sides (${a.length} vs ${b.length})`);
  checkLevel(level);
  const d: number[] = [];
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i]) && Number.isFinite(b[i])) d.push(a[i] - b[i]);
  const s = tSummary(d, level);
  return { ...s, dropped: a.length - d.length, level, df: Math.max(0, s.n - 1) };
}

// ---------------------------------------------------------------- Holm–Bonferroni

/**
 * Holm step-down adjusted p-values. Sort the m non-null p ascending p_(1) ≤ … ≤ p_(m);
 * adjusted p_(i) = max_{j ≤ i} min(1, (m − j + 1)·p_(j)). Nulls are not counted in m and stay null.
 * Reject at α exactly where adjusted p ≤ α (same decisions as Holm's procedure).
 */
export function holm(pValues: readonly (number | null)[]): (number | null)[] {
  const idx: number[] = [];
  pValues.forEach((p, i) => {
    if (p === null) return;
    if (!(p >= 0 && p <= 1)) throw new RangeError(`p-value ${i} must lie in [0, 1], got ${p}`);
    idx.push(i);
  });
  idx.sort((i, j) => (pValues[i] as number) - (pValues[j] as number) || i - j);
  const m = idx.length;
  const out: (number | null)[] = pValues.map(() => null);
  let running = 0;
  idx.forEach((i, k) => {
    running = Math.max(running, Math.min(1, (m - k) * (pValues[i] as number)));
    out[i] = running;
  });
  return out;
}

// ---------------------------------------------------------------- non-inferiority

export interface NonInferiority {
  margin: number;
  /** The one-sided 95% bound that is compared with the margin (upper for a loss, lower otherwise). */
  bound: number | null;
  /** null with fewer than 2 seeds. */
  nonInferior: boolean | null;
  /** One-sided p for H0 "worse by at least the margin". */
  p: number | null;
}

/**
 * One-sided test at α = 0.05 that the treatment is no worse than the reference by `margin`, from
 * d = treatment − reference. Lower is better (a loss): bound = mean + t_{0.95,df}·se, non-inferior
 * iff bound < margin; p = P(T ≤ (mean − margin)/se). Higher is better: bound = mean − t_{0.95,df}·se,
 * non-inferior iff bound > −margin; p = P(T ≥ (mean + margin)/se). Equivalent: non-inferior iff p < 0.05.
 */
export function nonInferiority(diff: PairedDifference, margin: number, lowerIsBetter: boolean): NonInferiority {
  if (!(margin > 0) || !Number.isFinite(margin)) throw new ConfigError('margin', `must be a positive number (a loss difference in nats, e.g. 0.01), got ${margin}`);
  if (diff.n < 2 || diff.mean === null || diff.se === null) return { margin, bound: null, nonInferior: null, p: null };
  const df = diff.n - 1;
  const tq = studentTQuantile(0.95, df);
  const { mean, se } = diff;
  if (lowerIsBetter) {
    const bound = mean + tq * se;
    const p = se === 0 ? (mean < margin ? 0 : 1) : studentTCdf((mean - margin) / se, df);
    return { margin, bound, nonInferior: bound < margin, p };
  }
  const bound = mean - tq * se;
  const p = se === 0 ? (mean > -margin ? 0 : 1) : 1 - studentTCdf((mean + margin) / se, df);
  return { margin, bound, nonInferior: bound > -margin, p };
}

// ---------------------------------------------------------------- margin from a budget sweep

export interface BudgetPoint {
  /** Forward FLOPs the run spent (or its budget). */
  flops: number;
  /** Final validation loss. */
  loss: number;
}

/**
 * Default non-inferiority margin: the loss that `extra` (10%) more baseline compute buys.
 * Fit loss = α + β·ln(flops) by least squares over the sweep, β = Σ(x−x̄)(y−ȳ)/Σ(x−x̄)², then
 * margin = L(F) − L((1+extra)·F) = −β·ln(1 + extra), the same at every F for a line.
 * Why a line and not the last segment: sweep losses are noisy (seed, data order), and the last
 * segment's slope divides the difference of two noisy losses by a small log-spacing. A line over the
 * whole sweep averages that noise; with diminishing returns it somewhat overstates the local slope at
 * the largest budget, so keep the sweep's budgets near the reference budget (e.g. ¼×, ½×, 1×).
 * Returns null when the fitted slope is not negative (more compute did not lower the loss).
 */
export function marginFromBudgetSweep(points: readonly BudgetPoint[], extra = 0.1): number | null {
  if (!(extra > 0) || !Number.isFinite(extra)) throw new ConfigError('extra', `must be a positive fraction of compute (e.g. 0.10), got ${extra}`);
  for (const p of points)
    if (!(p.flops > 0) || !Number.isFinite(p.flops) || !Number.isFinite(p.loss))
      throw new ConfigError('budget sweep', `every point needs positive finite flops and a finite loss, got ${JSON.stringify(p)}`);
  if (new Set(points.map((p) => p.flops)).size < 2) throw new ConfigError('budget sweep', 'needs runs at 2 or more different budgets');
  const xs = points.map((p) => Math.log(p.flops));
  const xm = xs.reduce((s, x) => s + x, 0) / xs.length;
  const ym = points.reduce((s, p) => s + p.loss, 0) / points.length;
  let sxy = 0;
  let sxx = 0;
  points.forEach((p, i) => {
    sxy += (xs[i] - xm) * (p.loss - ym);
    sxx += (xs[i] - xm) ** 2;
  });
  const slope = sxy / sxx;
  return slope < 0 ? -slope * Math.log1p(extra) : null;
}

// ---------------------------------------------------------------- effective speed-up

export interface Speedup {
  /** Baseline FLOPs to reach the arm's loss ÷ arm FLOPs; null when the baseline never got there. */
  speedup: number | null;
  /** Baseline FLOPs interpolated at the crossing; null when not reached. */
  neededFlops: number | null;
  /** When not reached: baseline's last FLOPs ÷ arm FLOPs, so the report can say "> atLeast". */
  atLeast: number | null;
}

/**
 * Effective speed-up of an arm. On the baseline's validation curve sorted by FLOPs take the running
 * minimum m_i = min_{j ≤ i} loss_j (so a noisy bump cannot create a later, spurious crossing), find
 * the first i with m_i ≤ target, and interpolate linearly in ln(flops) between points i−1 and i:
 * ln F_need = ln f_{i−1} + (m_{i−1} − target)/(m_{i−1} − m_i)·(ln f_i − ln f_{i−1}); speed-up = F_need/armFlops.
 * A segment starting at 0 FLOPs is interpolated linearly in FLOPs (ln 0 is undefined). If the first
 * point already reaches the target, F_need = its FLOPs (an overestimate, so the speed-up is an upper bound).
 */
export function effectiveSpeedup(baselineCurve: readonly BudgetPoint[], armFinalLoss: number, armFlops: number): Speedup {
  if (!(armFlops > 0) || !Number.isFinite(armFlops)) throw new RangeError(`arm FLOPs must be positive, got ${armFlops}`);
  if (!Number.isFinite(armFinalLoss)) throw new RangeError(`arm loss must be finite, got ${armFinalLoss}`);
  const pts = baselineCurve.filter((p) => p.flops >= 0 && Number.isFinite(p.flops) && Number.isFinite(p.loss));
  if (pts.length === 0) throw new RangeError('the baseline curve has no usable point');
  pts.sort((p, q) => p.flops - q.flops);
  let prevMin = Infinity;
  for (let i = 0; i < pts.length; i++) {
    const m = Math.min(prevMin, pts[i].loss);
    if (m <= armFinalLoss) {
      let needed = pts[i].flops;
      if (i > 0 && m < prevMin) {
        const frac = (prevMin - armFinalLoss) / (prevMin - m);
        const f0 = pts[i - 1].flops;
        const f1 = pts[i].flops;
        needed = f0 > 0 ? Math.exp(Math.log(f0) + frac * (Math.log(f1) - Math.log(f0))) : f0 + frac * (f1 - f0);
      }
      return { speedup: needed / armFlops, neededFlops: needed, atLeast: null };
    }
    prevMin = m;
  }
  return { speedup: null, neededFlops: null, atLeast: pts[pts.length - 1].flops / armFlops };
}

export interface SpeedupInterval {
  /** Seeds with a finite positive speed-up. */
  n: number;
  /** Seeds dropped (null: not reached; non-finite or ≤ 0). */
  dropped: number;
  /** Geometric mean exp(mean ln s_i); null with no seed. */
  geoMean: number | null;
  /** exp of the t-interval on ln s_i; null when n < 2. */
  lo: number | null;
  hi: number | null;
}

/**
 * Per-seed speed-ups s_i (paired by seed) → geometric mean exp(mean(ln s)) and the interval
 * exp(mean(ln s) ∓ t_{(1+level)/2, n−1}·sd(ln s)/√n). Speed-ups are ratios, so logs make them symmetric.
 */
export function effectiveSpeedupInterval(perSeed: readonly (number | null)[], level = 0.95): SpeedupInterval {
  checkLevel(level);
  const logs = perSeed.filter((s): s is number => s !== null && s > 0 && Number.isFinite(s)).map(Math.log);
  const s = tSummary(logs, level);
  const exp = (x: number | null) => (x === null ? null : Math.exp(x));
  return { n: s.n, dropped: perSeed.length - s.n, geoMean: exp(s.mean), lo: exp(s.lo), hi: exp(s.hi) };
}

// ---------------------------------------------------------------- report wording

/** `toFixed` without "-0.000": a value that rounds to zero prints unsigned. ASCII '-' throughout. */
function fixed(x: number, digits: number): string {
  const s = x.toFixed(digits);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

/** "mean [lo, hi]", e.g. "-0.012 [-0.030, 0.006]"; just "mean" without an interval; "—" with no mean. */
export function formatInterval(mean: number | null, lo: number | null, hi: number | null, digits: number): string {
  if (mean === null || !Number.isFinite(mean)) return '—';
  if (lo === null || hi === null) return fixed(mean, digits);
  return `${fixed(mean, digits)} [${fixed(lo, digits)}, ${fixed(hi, digits)}]`;
}

/** Reads formatInterval's output back (for the report tests). */
export function parseInterval(cell: string): { mean: number; lo: number | null; hi: number | null } | null {
  const num = '(-?\\d+(?:\\.\\d+)?(?:e[+-]?\\d+)?)';
  const m = new RegExp(`^${num}(?: \\[${num}, ${num}\\])?$`).exec(cell.trim());
  if (!m) return null;
  return { mean: Number(m[1]), lo: m[2] === undefined ? null : Number(m[2]), hi: m[3] === undefined ? null : Number(m[3]) };
}

export type Verdict = 'better' | 'worse' | 'no evidence' | 'one seed';

/**
 * Wording for a paired comparison d = arm − reference: fewer than 2 seeds → 'one seed'; Holm-adjusted
 * p < α → 'better' or 'worse' by the sign of the mean (with lowerIsBetter, negative d is better);
 * otherwise 'no evidence' (which is not evidence of equality; that is nonInferiority's job).
 */
export function verdict(diff: PairedDifference, adjustedP: number | null, lowerIsBetter: boolean, alpha = 0.05): Verdict {
  if (diff.n < 2 || diff.mean === null || adjustedP === null) return 'one seed';
  if (!(adjustedP < alpha) || diff.mean === 0) return 'no evidence';
  return diff.mean < 0 === lowerIsBetter ? 'better' : 'worse';
}

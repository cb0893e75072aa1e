import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import {
  effectiveSpeedup,
  effectiveSpeedupInterval,
  formatInterval,
  holm,
  marginFromBudgetSweep,
  nonInferiority,
  pairedDifference,
  parseInterval,
  studentTCdf,
  studentTQuantile,
  verdict,
} from './paired.ts';

describe('studentTCdf / studentTQuantile', () => {
  it('matches the t table at 97.5%', () => {
    // df 1 is the Cauchy: tan(π·0.475) = 12.7062. df 2 has F(t) = ½ + t/(2√(2+t²)), so
    // t_p = (2p−1)/√(2p(1−p)) = 0.95/√0.04875 = 4.30265. The rest are the printed table values.
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(Math.tan(Math.PI * 0.475), 8);
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.706, 3);
    expect(studentTQuantile(0.975, 2)).toBeCloseTo(0.95 / Math.sqrt(0.04875), 9);
    expect(studentTQuantile(0.975, 4)).toBeCloseTo(2.776, 3);
    expect(studentTQuantile(0.975, 9)).toBeCloseTo(2.262, 3);
    expect(studentTQuantile(0.975, 29)).toBeCloseTo(2.045, 3);
    // Large df → the normal's 1.95996 (t_{0.975, 1e5} = 1.959988).
    expect(studentTQuantile(0.975, 1e5)).toBeCloseTo(1.959988, 5);
    // One-sided 95% points used by non-inferiority: df 2 → 0.9/√0.095 = 2.91999, df 4 → 2.132.
    expect(studentTQuantile(0.95, 2)).toBeCloseTo(0.9 / Math.sqrt(0.095), 9);
    expect(studentTQuantile(0.95, 4)).toBeCloseTo(2.1318, 4);
    // Symmetry and the far tail: t_{0.05,5} = −2.015, t_{0.9995,1} = tan(π·0.4995) = 636.619.
    expect(studentTQuantile(0.05, 5)).toBeCloseTo(-2.01505, 5);
    expect(studentTQuantile(0.9995, 1)).toBeCloseTo(Math.tan(Math.PI * 0.4995), 6);
    expect(studentTQuantile(0.5, 3)).toBe(0);
  });

  it('gives closed-form CDF values', () => {
    // Cauchy: F(1) = ½ + atan(1)/π = 0.75. df 2: F(1) = ½ + 1/(2√3) = 0.788675.
    expect(studentTCdf(1, 1)).toBeCloseTo(0.75, 12);
    expect(studentTCdf(1, 2)).toBeCloseTo(0.5 + 1 / (2 * Math.sqrt(3)), 12);
    // df 3: F(t) = ½ + (1/π)[θ + sinθ cosθ], θ = atan(t/√3); at t = 2 that is 0.930337.
    const th = Math.atan(2 / Math.sqrt(3));
    expect(studentTCdf(2, 3)).toBeCloseTo(0.5 + (th + Math.sin(th) * Math.cos(th)) / Math.PI, 12);
    expect(studentTCdf(-1.5, 7)).toBeCloseTo(0.0886492, 6);
    expect(studentTCdf(0, 5)).toBe(0.5);
  });

  it('quantile inverts the CDF (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.001, max: 0.999, noNaN: true }), fc.double({ min: 1, max: 41, noNaN: true }), (p, df) => {
        expect(studentTCdf(studentTQuantile(p, df), df)).toBeCloseTo(p, 9);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects p outside (0, 1) and df ≤ 0', () => {
    expect(() => studentTQuantile(1, 3)).toThrow(RangeError);
    expect(() => studentTQuantile(0.5, 0)).toThrow(RangeError);
  });
});

describe('pairedDifference', () => {
  it('gives the hand-computed paired t-interval', () => {
    // d = [0.5, 0.2, 0.9]; mean 1.6/3 = 0.533333; deviations −0.0333, −0.3333, 0.3667,
    // squares sum 0.246667, /2 = 0.123333 → sd 0.351188, se = sd/√3 = 0.202759, t = 2.630384.
    // t_{0.975,2} = 4.302653 → half-width 0.872400 → [−0.339067, 1.405734]; two-sided p = 0.119229.
    const r = pairedDifference([1.0, 2.0, 3.0], [0.5, 1.8, 2.1]);
    expect(r.n).toBe(3);
    expect(r.dropped).toBe(0);
    expect(r.df).toBe(2);
    expect(r.mean).toBeCloseTo(0.5333333333, 9);
    expect(r.sd).toBeCloseTo(Math.sqrt(0.37 / 3), 9);
    expect(r.se).toBeCloseTo(0.2027587510, 9);
    expect(r.t).toBeCloseTo(2.6303837969, 8);
    expect(r.lo).toBeCloseTo(-0.3390671602, 8);
    expect(r.hi).toBeCloseTo(1.4057338268, 8);
    expect(r.p).toBeCloseTo(0.1192289879, 8);
    // At 90% (t_{0.95,2} = 2.919986): [−0.058719, 1.125386].
    const r90 = pairedDifference([1.0, 2.0, 3.0], [0.5, 1.8, 2.1], 0.9);
    expect(r90.lo).toBeCloseTo(-0.0587192959, 8);
    expect(r90.hi).toBeCloseTo(1.1253859626, 8);
  });

  it('drops pairs with a non-finite side and counts them', () => {
    const r = pairedDifference([1.0, NaN, 2.0, 3.0, 4], [0.5, 1, 1.8, 2.1, Infinity]);
    expect(r.n).toBe(3);
    expect(r.dropped).toBe(2);
    expect(r.mean).toBeCloseTo(0.5333333333, 9);
  });

  it('has no interval and no p with one seed', () => {
    const r = pairedDifference([3.1], [3.0]);
    expect(r).toMatchObject({ n: 1, df: 0, sd: null, se: null, lo: null, hi: null, t: null, p: null });
    expect(r.mean).toBeCloseTo(0.1, 12);
    expect(pairedDifference([], []).mean).toBeNull();
  });

  it('collapses to the mean when every seed gives the same difference', () => {
    const r = pairedDifference([1, 2], [0.5, 1.5]);
    expect(r).toMatchObject({ sd: 0, se: 0, lo: 0.5, hi: 0.5, p: 0, t: Infinity });
  });

  it('rejects unequal lengths and a level outside (0, 1)', () => {
    expect(() => pairedDifference([1, 2], [1])).toThrow(RangeError);
    expect(() => pairedDifference([1, 2], [1, 2], 95)).toThrow(ConfigError);
  });

  it('p < 0.05 exactly when 0 is outside the 95% interval, and a common shift changes nothing (property)', () => {
    const unit = fc.double({ min: 0, max: 1, noNaN: true });
    const pairs = fc.array(fc.tuple(unit, unit), { minLength: 2, maxLength: 9 });
    fc.assert(fc.property(pairs, fc.double({ min: -0.1, max: 0.1, noNaN: true }), (xs, effect) => {
      const a = xs.map(([u]) => 3 + u * 0.1);
      const b = a.map((x, i) => x - effect + (xs[i][1] - 0.5) * 0.05);
      const d = pairedDifference(a, b);
      fc.pre(d.sd! > 1e-9);
      expect(d.lo! <= d.mean! && d.mean! <= d.hi!).toBe(true);
      if (Math.abs(d.p! - 0.05) > 1e-9) expect(d.p! < 0.05).toBe(d.lo! > 0 || d.hi! < 0);
      const shifted = pairedDifference(a.map((x) => x + 7), b.map((x) => x + 7));
      expect(shifted.mean!).toBeCloseTo(d.mean!, 9);
      expect(shifted.se!).toBeCloseTo(d.se!, 9);
    }), { numRuns: 200 });
  });
});

describe('holm', () => {
  it('adjusts the hand example', () => {
    // Sorted: 0.005, 0.01, 0.03, 0.04 with multipliers 4, 3, 2, 1 → 0.02, 0.03, 0.06, 0.04;
    // the running maximum lifts the last to 0.06. Back in input order: [0.03, 0.06, 0.06, 0.02].
    const adj = holm([0.01, 0.04, 0.03, 0.005]);
    [0.03, 0.06, 0.06, 0.02].forEach((v, i) => expect(adj[i]).toBeCloseTo(v, 12));
  });

  it('leaves nulls out of m, caps at 1 and keeps ties', () => {
    // m = 3: 0.2·3 = 0.6, 0.5·2 = 1.0, 0.5·1 → max 1.0.
    const adj = holm([0.5, null, 0.2, 0.5]);
    expect(adj[1]).toBeNull();
    expect(adj[0]).toBeCloseTo(1, 12);
    expect(adj[2]).toBeCloseTo(0.6, 12);
    expect(adj[3]).toBeCloseTo(1, 12);
    expect(holm([0.9, 0.8])).toEqual([1, 1]);
    expect(holm([])).toEqual([]);
    expect(() => holm([1.5])).toThrow(RangeError);
  });

  it('adjusted p ≥ raw p, ≤ 1, and monotone in the rank of the raw p (property)', () => {
    const p = fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { freq: 10 });
    fc.assert(fc.property(fc.array(p, { minLength: 1, maxLength: 20 }), (ps) => {
      const adj = holm(ps);
      const ranked = ps.map((p, i) => ({ p, a: adj[i] })).filter((x) => x.p !== null);
      ps.forEach((p, i) => expect(adj[i] === null).toBe(p === null));
      for (const x of ranked) expect(x.a! >= x.p! && x.a! <= 1).toBe(true);
      ranked.sort((x, y) => x.p! - y.p!);
      for (let i = 1; i < ranked.length; i++) expect(ranked[i].a! >= ranked[i - 1].a!).toBe(true);
    }), { numRuns: 200 });
  });
});

describe('nonInferiority', () => {
  // d = [−0.01, 0, 0.02, −0.005, 0.005]: mean 0.002, squared deviations sum 5.3e−4, var 1.325e−4,
  // se = √(1.325e−4/5) = 0.00514782; t_{0.95,4} = 2.131847 → upper bound 0.002 + 0.010974 = 0.012974.
  const d = pairedDifference([-0.01, 0, 0.02, -0.005, 0.005], [0, 0, 0, 0, 0]);

  it('passes a loss within a 0.02 margin and fails it at 0.01', () => {
    const ok = nonInferiority(d, 0.02, true);
    expect(ok.bound).toBeCloseTo(0.0129743530, 8);
    expect(ok.nonInferior).toBe(true);
    // p = P(T_4 ≤ (0.002 − 0.02)/0.00514782 = −3.4966) = 0.012486.
    expect(ok.p).toBeCloseTo(0.0124861516, 7);
    const no = nonInferiority(d, 0.01, true);
    expect(no.nonInferior).toBe(false);
    // p = P(T_4 ≤ (0.002 − 0.01)/0.00514782 = −1.5541) = 0.097569.
    expect(no.p).toBeCloseTo(0.0975689588, 7);
  });

  it('uses the lower bound when higher is better', () => {
    // Lower bound 0.002 − 0.010974 = −0.008974: > −0.01 passes, p = P(T_4 ≥ 2.3313) = 0.040078.
    const r = nonInferiority(d, 0.01, false);
    expect(r.bound).toBeCloseTo(-0.0089743530, 8);
    expect(r.nonInferior).toBe(true);
    expect(r.p).toBeCloseTo(0.0400783371, 7);
    expect(nonInferiority(d, 0.005, false).nonInferior).toBe(false);
  });

  it('has no verdict with one seed and refuses a margin that is not positive', () => {
    expect(nonInferiority(pairedDifference([1], [1]), 0.01, true)).toEqual({ margin: 0.01, bound: null, nonInferior: null, p: null });
    for (const m of [-0.01, 0, NaN, Infinity]) {
      expect(() => nonInferiority(d, m, true)).toThrow(ConfigError);
      expect(() => nonInferiority(d, m, true)).toThrow(/^margin: must be a positive number/);
    }
  });

  it('is non-inferior exactly when its one-sided p < 0.05 (property)', () => {
    const ds = fc.array(fc.double({ min: -0.02, max: 0.03, noNaN: true }), { minLength: 2, maxLength: 9 });
    fc.assert(fc.property(ds, fc.boolean(), fc.double({ min: 0.005, max: 0.035, noNaN: true }), (a, lower, margin) => {
      const diff = pairedDifference(a, a.map(() => 0));
      fc.pre(diff.sd! > 1e-9);
      const res = nonInferiority(diff, margin, lower);
      if (Math.abs(res.p! - 0.05) > 1e-9) expect(res.nonInferior).toBe(res.p! < 0.05);
    }), { numRuns: 200 });
  });
});

describe('marginFromBudgetSweep', () => {
  it('is −slope·ln 1.1 for a sweep that is exactly linear in log-FLOPs', () => {
    // 0.1 nats per doubling: slope −0.1/ln 2 = −0.144270 per nat of ln F; × ln 1.1 = 0.0137504.
    const m = marginFromBudgetSweep([
      { flops: 4e12, loss: 2.8 },
      { flops: 1e12, loss: 3.0 },
      { flops: 2e12, loss: 2.9 },
    ]);
    expect(m).toBeCloseTo((0.1 / Math.LN2) * Math.log(1.1), 12);
    expect(m).toBeCloseTo(0.0137504, 6);
  });

  it('fits a least-squares line through a noisy, non-monotone sweep', () => {
    // ln F = ln 1e12 + k·ln 2, k = 0..3; losses 3.00, 2.92, 2.81, 2.77 (mean 2.875).
    // Σ(k−1.5)(L−2.875) = −0.1875 − 0.0225 − 0.0325 − 0.1575 = −0.4; Σ(k−1.5)² = 5 → −0.08 per doubling.
    // margin = 0.08·ln 1.1/ln 2 = 0.0110003. With 20% more compute: 0.08·ln 1.2/ln 2 = 0.0210423.
    const pts = [1e12, 2e12, 4e12, 8e12].map((flops, k) => ({ flops, loss: [3.0, 2.92, 2.81, 2.77][k] }));
    expect(marginFromBudgetSweep(pts)).toBeCloseTo(0.0110002819, 9);
    expect(marginFromBudgetSweep(pts, 0.2)).toBeCloseTo((0.08 / Math.LN2) * Math.log(1.2), 12);
  });

  it('returns null when more compute did not lower the loss, and rejects unusable sweeps', () => {
    expect(marginFromBudgetSweep([{ flops: 1e12, loss: 3.0 }, { flops: 2e12, loss: 3.1 }])).toBeNull();
    expect(marginFromBudgetSweep([{ flops: 1e12, loss: 3.0 }, { flops: 2e12, loss: 3.0 }])).toBeNull();
    expect(() => marginFromBudgetSweep([{ flops: 1e12, loss: 3 }, { flops: 1e12, loss: 2.9 }])).toThrow(ConfigError);
    expect(() => marginFromBudgetSweep([{ flops: 0, loss: 3 }, { flops: 1e12, loss: 2.9 }])).toThrow(ConfigError);
    expect(() => marginFromBudgetSweep([{ flops: 1e12, loss: 3 }, { flops: 2e12, loss: 2.9 }], -0.1)).toThrow(ConfigError);
  });
});

describe('effectiveSpeedup', () => {
  // Baseline validation curve with a noisy bump at 4e12; running minimum 4.0, 3.5, 3.5, 3.0.
  const curve = [
    { flops: 2e12, loss: 3.5 },
    { flops: 1e12, loss: 4.0 },
    { flops: 8e12, loss: 3.0 },
    { flops: 4e12, loss: 3.6 },
  ];

  it('interpolates in log-FLOPs on the running minimum', () => {
    // 3.25 is first reached between (4e12, min 3.5) and (8e12, 3.0): halfway in ln F → 4e12·√2 = 5.656854e12.
    // The arm spent 2e12 → speed-up 2√2 = 2.828427.
    const r = effectiveSpeedup(curve, 3.25, 2e12);
    expect(r.neededFlops!).toBeCloseTo(4e12 * Math.SQRT2, -2);
    expect(r.speedup).toBeCloseTo(2 * Math.SQRT2, 12);
    expect(r.atLeast).toBeNull();
    // 3.75 lies between 1e12 (4.0) and 2e12 (3.5): halfway → √2·1e12; arm 1e12 → 1.414214.
    expect(effectiveSpeedup(curve, 3.75, 1e12).speedup).toBeCloseTo(Math.SQRT2, 12);
    // Exactly on a point: 3.5 is reached at 2e12 (the later 3.6 bump does not matter).
    expect(effectiveSpeedup(curve, 3.5, 4e12).speedup).toBeCloseTo(0.5, 12);
  });

  it('says "at least" when the baseline never reaches the loss', () => {
    // Best baseline loss 3.0 > 2.9: the baseline's 8e12 FLOPs were not enough → > 8e12/2e12 = 4.
    expect(effectiveSpeedup(curve, 2.9, 2e12)).toEqual({ speedup: null, neededFlops: null, atLeast: 4 });
  });

  it('handles a first point that already reaches the loss and a curve starting at 0 FLOPs', () => {
    expect(effectiveSpeedup(curve, 4.5, 1e12).speedup).toBeCloseTo(1, 12);
    // (0, 5.0) → (1e12, 4.0): 4.5 halfway, linear in FLOPs (ln 0 is undefined) → 0.5e12; arm 2.5e11 → 2.
    expect(effectiveSpeedup([{ flops: 0, loss: 5 }, ...curve], 4.5, 2.5e11).speedup).toBeCloseTo(2, 12);
  });

  it('geometric mean and t-interval of per-seed speed-ups on the log scale', () => {
    // ln [1.5, 2.0, 1.8] = [0.405465, 0.693147, 0.587787]: mean 0.562133 → e^mean = 1.754411;
    // sd 0.145544, se 0.084030, × 4.302653 = 0.361551 → [e^0.200582, e^0.923684] = [1.222105, 2.518569].
    const r = effectiveSpeedupInterval([1.5, 2.0, null, 1.8]);
    expect(r.n).toBe(3);
    expect(r.dropped).toBe(1);
    expect(r.geoMean).toBeCloseTo(Math.cbrt(1.5 * 2.0 * 1.8), 12);
    expect(r.lo).toBeCloseTo(1.2221053444, 8);
    expect(r.hi).toBeCloseTo(2.5185690563, 8);
    expect(effectiveSpeedupInterval([2])).toEqual({ n: 1, dropped: 0, geoMean: 2, lo: null, hi: null });
  });
});

describe('formatInterval / parseInterval / verdict', () => {
  it('writes "mean [lo, hi]" with ASCII minus and reads it back', () => {
    expect(formatInterval(-0.0123, -0.03, 0.0061, 3)).toBe('-0.012 [-0.030, 0.006]');
    expect(formatInterval(-0.0001, -0.02, 0.01, 3)).toBe('0.000 [-0.020, 0.010]');
    expect(formatInterval(1.5, null, null, 2)).toBe('1.50');
    expect(formatInterval(null, null, null, 2)).toBe('—');
    expect(parseInterval('-0.012 [-0.030, 0.006]')).toEqual({ mean: -0.012, lo: -0.03, hi: 0.006 });
    expect(parseInterval('1.50')).toEqual({ mean: 1.5, lo: null, hi: null });
    expect(parseInterval('—')).toBeNull();
  });

  it('words the verdict from the Holm-adjusted p and the sign', () => {
    const lowerArm = pairedDifference([2.9, 2.8, 2.85], [3.0, 3.0, 3.0]); // d < 0
    expect(verdict(lowerArm, 0.01, true)).toBe('better');
    expect(verdict(lowerArm, 0.01, false)).toBe('worse');
    expect(verdict(lowerArm, 0.05, true)).toBe('no evidence');
    expect(verdict(lowerArm, 0.2, true)).toBe('no evidence');
    expect(verdict(pairedDifference([2.9], [3.0]), null, true)).toBe('one seed');
  });
});

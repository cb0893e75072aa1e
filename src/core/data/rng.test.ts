import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { deriveSeed, Rng } from './rng.ts';

describe('Rng', () => {
  it('is deterministic per seed and different across nearby seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xa = Array.from({ length: 8 }, () => a.nextUint32());
    expect(Array.from({ length: 8 }, () => b.nextUint32())).toEqual(xa);
    const xc = Array.from({ length: 8 }, () => c.nextUint32());
    expect(xc.filter((x, i) => x === xa[i])).toHaveLength(0);
  });

  it('resumes exactly from a JSON round trip of its state', () => {
    const r = new Rng(7);
    for (let i = 0; i < 100; i++) r.next();
    const copy = Rng.fromState(JSON.parse(JSON.stringify(r.getState())) as number[]);
    const want = Array.from({ length: 50 }, () => r.next());
    expect(Array.from({ length: 50 }, () => copy.next())).toEqual(want);
  });

  it('rejects malformed states', () => {
    expect(() => Rng.fromState([1, 2, 3])).toThrow(ConfigError);
    expect(() => Rng.fromState([1, 2, 3, -1])).toThrow(/four unsigned 32-bit/);
    expect(() => new Rng(1.5)).toThrow(ConfigError);
  });

  it('next() is uniform on [0,1): mean 1/2, variance 1/12, decile counts', () => {
    const r = new Rng(1);
    const N = 100_000;
    const bins = new Array(10).fill(0);
    let sum = 0;
    let sumSq = 0;
    let outside = 0;
    for (let i = 0; i < N; i++) {
      const x = r.next();
      if (!(x >= 0 && x < 1)) outside++;
      sum += x;
      sumSq += x * x;
      bins[Math.floor(x * 10)]++;
    }
    expect(outside).toBe(0);
    // Standard error of the mean is sqrt(1/12/N) ≈ 0.0009; allow 5 of them.
    expect(Math.abs(sum / N - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / N));
    expect(Math.abs(sumSq / N - (sum / N) ** 2 - 1 / 12)).toBeLessThan(0.002);
    // Each decile count is Binomial(N, 0.1): sd = sqrt(N * 0.09) ≈ 95.
    for (const b of bins) expect(Math.abs(b - N / 10)).toBeLessThan(5 * Math.sqrt(N * 0.09));
  });

  it('int(n) covers exactly [0, n) uniformly', () => {
    const r = new Rng(2);
    const n = 7;
    const N = 70_000;
    const counts = new Array(n).fill(0);
    for (let i = 0; i < N; i++) counts[r.int(n)]++;
    const sd = Math.sqrt(N * (1 / n) * (1 - 1 / n));
    for (const c of counts) expect(Math.abs(c - N / n)).toBeLessThan(5 * sd);
    expect(() => r.int(0)).toThrow(ConfigError);
  });

  it('normal() has mean 0, variance 1 and the Gaussian 1-sigma mass', () => {
    const r = new Rng(3);
    const N = 50_000;
    let sum = 0;
    let sumSq = 0;
    let within1 = 0;
    for (let i = 0; i < N; i++) {
      const x = r.normal();
      sum += x;
      sumSq += x * x;
      if (Math.abs(x) < 1) within1++;
    }
    expect(Math.abs(sum / N)).toBeLessThan(5 / Math.sqrt(N));
    // Var of x^2 is 2, so the sample second moment has sd sqrt(2/N).
    expect(Math.abs(sumSq / N - 1)).toBeLessThan(5 * Math.sqrt(2 / N));
    // P(|x| < 1) = erf(1/sqrt 2) = 0.682689.
    expect(Math.abs(within1 / N - 0.682689)).toBeLessThan(5 * Math.sqrt(0.6827 * 0.3173 / N));
  });

  it('shuffle is a permutation, and every element lands in every slot about equally often', () => {
    const r = new Rng(4);
    const n = 5;
    const trials = 20_000;
    const firstSlot = new Array(n).fill(0);
    let notPermutation = 0;
    for (let t = 0; t < trials; t++) {
      const a = [0, 1, 2, 3, 4];
      r.shuffle(a);
      if ([...a].sort().join() !== '0,1,2,3,4') notPermutation++;
      firstSlot[a[0]]++;
    }
    expect(notPermutation).toBe(0);
    const sd = Math.sqrt(trials * 0.2 * 0.8);
    for (const c of firstSlot) expect(Math.abs(c - trials / n)).toBeLessThan(5 * sd);
  });
});

describe('deriveSeed', () => {
  it('is a stable function of its parts, sensitive to order, count and high bits', () => {
    expect(deriveSeed(1, 2, 3)).toBe(deriveSeed(1, 2, 3));
    const seeds = [
      deriveSeed(1, 2, 3), deriveSeed(3, 2, 1), deriveSeed(1, 2), deriveSeed(1, 2, 3, 0),
      deriveSeed(1 + 2 ** 32, 2, 3), deriveSeed(-1, 2, 3), deriveSeed(0),
    ];
    expect(new Set(seeds).size).toBe(seeds.length);
    for (const s of seeds) expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
    expect(() => deriveSeed(0.5)).toThrow(ConfigError);
  });

  it('avalanches: one changed input bit flips about half the output bits', () => {
    let flipped = 0;
    const trials = 2000;
    for (let step = 0; step < trials; step++) {
      let x = (deriveSeed(9, step, 0) ^ deriveSeed(9, step, 1)) >>> 0;
      while (x) {
        flipped += x & 1;
        x >>>= 1;
      }
    }
    // Binomial(32 * trials, 1/2): sd = sqrt(32 * trials) / 2 ≈ 126.
    expect(Math.abs(flipped - 16 * trials)).toBeLessThan(5 * Math.sqrt(32 * trials) / 2);
  });

  it('streams of consecutive steps are uncorrelated', () => {
    const N = 20_000;
    let sxy = 0;
    for (let step = 0; step < N; step++) {
      const x = new Rng(deriveSeed(5, step)).next() - 0.5;
      const y = new Rng(deriveSeed(5, step + 1)).next() - 0.5;
      sxy += x * y;
    }
    // Correlation estimate has sd ≈ 1/sqrt(N).
    expect(Math.abs(sxy / N / (1 / 12))).toBeLessThan(5 / Math.sqrt(N));
  });
});

import { describe, expect, it } from 'vitest';
import { formatSpread, spread, type Spread } from './stats.ts';

const s = (mean: number, std: number, n = 3): Spread => ({ n, mean, std, oneSeed: n === 1 });

describe('spread', () => {
  it('is the mean and the n−1 standard deviation', () => {
    // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, squared deviations sum to 32, 32/7 → std 2.13809.
    const r = spread([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(r).not.toBeNull();
    expect(r!.mean).toBe(5);
    expect(r!.std).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(r!.n).toBe(8);
    expect(r!.oneSeed).toBe(false);
    // Two seeds: 1.5 and 2.5 → mean 2, std sqrt(0.5) = 0.7071.
    expect(spread([1.5, 2.5])!.std).toBeCloseTo(0.70710678, 8);
  });

  it('flags one seed (std 0) and ignores values that were not measured', () => {
    expect(spread([3.25])).toEqual({ n: 1, mean: 3.25, std: 0, oneSeed: true });
    expect(spread([NaN, 3.25, Infinity])).toEqual({ n: 1, mean: 3.25, std: 0, oneSeed: true });
    expect(spread([])).toBeNull();
  });
});

describe('formatSpread', () => {
  it('writes mean ± std with fixed decimals', () => {
    expect(formatSpread(s(5.27578, 0.01234), 3)).toBe('5.276 ± 0.012');
    expect(formatSpread(null, 3)).toBe('—');
  });
});

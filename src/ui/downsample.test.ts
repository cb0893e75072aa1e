import { describe, expect, it } from 'vitest';
import { finitePoints, lttb } from './downsample.ts';

const pts = (ys: number[]) => ys.map((y, x) => ({ x, y }));

describe('lttb', () => {
  it('keeps the largest-triangle point of each bucket (worked by hand)', () => {
    // 6 points into 4: buckets {1,2} and {3,4}. Bucket 1 vs a=(0,0) and the mean of {3,4} = (3.5, 2.5):
    // area((1,1)) = |(0-3.5)(1) - (0-1)(2.5)| = 1, area((2,0)) = |0 - (-2)(2.5)| = 5 -> (2,0).
    // Bucket 2 vs a=(2,0) and the last point (5,0): area((3,5)) = |(-3)(5)| = 15, area((4,0)) = 0 -> (3,5).
    const out = lttb(pts([0, 1, 0, 5, 0, 0]), 4);
    expect(out).toEqual([
      { x: 0, y: 0 },
      { x: 2, y: 0 },
      { x: 3, y: 5 },
      { x: 5, y: 0 },
    ]);
  });

  it('returns short series unchanged and caps long ones at the threshold, keeping the spike', () => {
    expect(lttb(pts([3, 1, 2]), 500)).toEqual(pts([3, 1, 2]));
    const ys = Array.from({ length: 10_000 }, (_, i) => Math.sin(i / 300));
    ys[7_321] = 40;
    const out = lttb(pts(ys), 500);
    expect(out.length).toBe(500);
    expect(out[0]).toEqual({ x: 0, y: 0 });
    expect(out[499].x).toBe(9_999);
    expect(out.some((p) => p.x === 7_321 && p.y === 40)).toBe(true);
    for (let i = 1; i < out.length; i++) expect(out[i].x).toBeGreaterThan(out[i - 1].x);
  });

  it('keeps only the endpoints below three points', () => {
    expect(lttb(pts([1, 2, 3, 4]), 2)).toEqual([{ x: 0, y: 1 }, { x: 3, y: 4 }]);
  });
});

describe('finitePoints', () => {
  it('drops NaN and infinite values only', () => {
    expect(finitePoints([{ x: 1, y: 2 }, { x: 2, y: NaN }, { x: 3, y: Infinity }, { x: 4, y: -1 }])).toEqual([
      { x: 1, y: 2 },
      { x: 4, y: -1 },
    ]);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chartGeometry, linePath, nearestPoint } from './chart-geometry.ts';

const MARGIN = { top: 10, right: 10, bottom: 30, left: 50 };

describe('chartGeometry', () => {
  it('maps the data extent of x onto the plot exactly and y inside its rounded ticks', () => {
    const g = chartGeometry([{ points: [{ x: 0, y: 2.3 }, { x: 100, y: 7.9 }] }], 560, 240, MARGIN);
    expect(g.plot).toEqual({ left: 50, top: 10, right: 550, bottom: 210 });
    expect(g.x(0)).toBe(50);
    expect(g.x(100)).toBe(550);
    // y is widened to round values (nice), so both ends of the data lie inside it.
    const [lo, hi] = g.y.domain();
    expect(lo).toBeLessThanOrEqual(2.3);
    expect(hi).toBeGreaterThanOrEqual(7.9);
    expect(g.y(lo)).toBe(210);
    expect(g.y(hi)).toBe(10);
    for (const t of g.yTicks) expect(t.at).toBeCloseTo(210 - ((t.value - lo) / (hi - lo)) * 200, 9);
  });

  it('draws a single point, a constant line and no data without dividing by zero', () => {
    for (const points of [[{ x: 5, y: 3 }], [{ x: 0, y: 0 }, { x: 1, y: 0 }], []]) {
      const g = chartGeometry([{ points }], 300, 200, MARGIN);
      for (const p of points) {
        expect(Number.isFinite(g.x(p.x))).toBe(true);
        expect(Number.isFinite(g.y(p.y))).toBe(true);
      }
      expect(g.yTicks.length).toBeGreaterThan(0);
    }
  });
});

describe('linePath', () => {
  it('moves to the first point and draws to the others, at the scaled pixels (hand-computed)', () => {
    const g = chartGeometry([{ points: [{ x: 0, y: 0 }, { x: 10, y: 10 }] }], 160, 140, MARGIN);
    // x: 0..10 → 50..150 px; y: 0..10 (already round) → 110..10 px.
    expect(linePath([{ x: 0, y: 0 }, { x: 5, y: 2.5 }, { x: 10, y: 10 }], g)).toBe('M50,110L100,85L150,10');
  });
});

describe('nearestPoint', () => {
  it('finds the point a linear scan finds (the earlier on a tie)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 40 }), fc.double({ min: -1200, max: 1200, noNaN: true }), (xs, x) => {
        const points = [...xs].sort((a, b) => a - b).map((v) => ({ x: v, y: v * 2 }));
        const scan = points.reduce((best, p) => (Math.abs(p.x - x) < Math.abs(best.x - x) ? p : best));
        expect(Math.abs(nearestPoint(points, x)!.x - x)).toBe(Math.abs(scan.x - x));
      }),
    );
    expect(nearestPoint([], 3)).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { chartSummary } from './chart-summary.ts';

describe('chartSummary', () => {
  it("names each line's first, last and (when in between) lowest value on the x-axis", () => {
    const lines = [
      { name: 'baseline train', points: [{ x: 1, y: 7.6 }, { x: 10, y: 6.1 }, { x: 20, y: 6.4 }] },
      { name: 'compound train', points: [{ x: 1, y: 7.6 }, { x: 20, y: 6.0 }] },
      { name: 'empty', points: [] },
    ];
    expect(chartSummary(lines, 'step', (v) => v.toFixed(2))).toBe(
      'baseline train: from 7.60 at step 1 to 6.40 at step 20, lowest 6.10 at step 10; compound train: from 7.60 at step 1 to 6.00 at step 20.',
    );
    expect(chartSummary([], 'step')).toBe('No data yet.');
  });
});

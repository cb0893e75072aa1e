import type { XY } from './downsample.ts';
import { shortNumber } from './format.ts';

/**
 * A chart's text alternative, for readers who cannot see the lines: each line's first, last and
 * lowest value, with where they are on the x-axis.
 */
export function chartSummary(lines: readonly { name: string; points: readonly XY[] }[], xLabel: string, yFormat: (v: number) => string = shortNumber): string {
  const at = (p: XY) => `${yFormat(p.y)} at ${xLabel} ${shortNumber(p.x)}`;
  const parts = lines
    .filter((l) => l.points.length > 0)
    .map((l) => {
      const first = l.points[0];
      const last = l.points[l.points.length - 1];
      const lowest = l.points.reduce((m, p) => (p.y < m.y ? p : m));
      const low = lowest === first || lowest === last ? '' : `, lowest ${at(lowest)}`;
      return `${l.name}: from ${at(first)} to ${at(last)}${low}`;
    });
  return parts.length ? `${parts.join('; ')}.` : 'No data yet.';
}

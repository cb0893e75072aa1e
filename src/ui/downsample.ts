export interface XY {
  x: number;
  y: number;
}

/** Drops points a chart cannot draw (a diverged run's NaN/Infinity loss), keeping the rest of the curve. */
export function finitePoints(points: readonly XY[]): XY[] {
  return points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
}

/**
 * Largest-Triangle-Three-Buckets (Steinarsson 2013): keeps the first and last points and, from
 * each of threshold−2 equal buckets between them, the point spanning the largest triangle with
 * the previously kept point and the next bucket's mean. Unlike averaging it keeps spikes, so a
 * loss jump at a growth step survives downsampling. Points must be sorted by x.
 */
export function lttb(points: readonly XY[], threshold: number): XY[] {
  const n = points.length;
  if (threshold >= n || n <= 2) return points.slice();
  if (threshold < 3) return [points[0], points[n - 1]];
  const out: XY[] = [points[0]];
  const every = (n - 2) / (threshold - 2);
  let a = 0;
  for (let i = 0; i < threshold - 2; i++) {
    const avgStart = Math.floor((i + 1) * every) + 1;
    const avgEnd = Math.min(Math.floor((i + 2) * every) + 1, n);
    let avgX = 0;
    let avgY = 0;
    for (let j = avgStart; j < avgEnd; j++) {
      avgX += points[j].x;
      avgY += points[j].y;
    }
    const count = avgEnd - avgStart;
    avgX /= count;
    avgY /= count;
    const from = Math.floor(i * every) + 1;
    const to = Math.floor((i + 1) * every) + 1;
    const pa = points[a];
    let best = from;
    let bestArea = -1;
    for (let j = from; j < to; j++) {
      const area = Math.abs((pa.x - avgX) * (points[j].y - pa.y) - (pa.x - points[j].x) * (avgY - pa.y));
      if (area > bestArea) {
        bestArea = area;
        best = j;
      }
    }
    out.push(points[best]);
    a = best;
  }
  out.push(points[n - 1]);
  return out;
}

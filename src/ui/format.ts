/** Short human-readable numbers for tables, badges and chart ticks. */

const SI = ['', 'k', 'M', 'G', 'T', 'P', 'E'];

function si(v: number): { x: number; unit: string } {
  let u = 0;
  let x = v;
  while (Math.abs(x) >= 1000 && u < SI.length - 1) {
    x /= 1000;
    u++;
  }
  return { x: Number(x.toPrecision(3)), unit: SI[u] };
}

/** 3 significant digits with an SI suffix past a thousand; tiny values in exponent form. */
export function shortNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && Math.abs(v) < 0.01) return v.toExponential(1);
  const { x, unit } = si(v);
  return `${x}${unit}`;
}

export function formatFlops(f: number): string {
  if (!Number.isFinite(f)) return '—';
  const { x, unit } = si(f);
  return `${x} ${unit}FLOP`;
}

export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.round(s - m * 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

export function formatLoss(l: number | null | undefined): string {
  if (l === null || l === undefined) return '—';
  return Number.isFinite(l) ? l.toFixed(3) : String(l);
}

export function formatSpeedup(x: number | null): string {
  return x === null ? 'not reached' : `${x.toFixed(2)}×`;
}

/** Axis ticks of losses (a module-level function, so charts see the same one each render). */
export function twoDecimals(v: number): string {
  return v.toFixed(2);
}

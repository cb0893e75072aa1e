import type { ArmName } from './plan.ts';
import type { SuiteResults } from './results.ts';
import { PLOT_FILES } from './report.ts';

/** One colour per arm, fixed so the report's plots and the lab's charts agree. */
export const ARM_COLORS: Record<ArmName, string> = {
  baseline: '#4e79a7',
  stack: '#f28e2b',
  compound: '#e15759',
  depth: '#59a14f',
  'width-share': '#b07aa1',
  'width-factorize': '#9c755f',
  'length-pool': '#76b7b2',
  'length-truncate': '#edc948',
  'width-share-exact': '#d4a6c8',
  'fig1-compound': '#e15759',
  'fig1-depth': '#59a14f',
  'fig1-length': '#76b7b2',
  'fig1-depth-flops': '#8cd17d',
  'fig1-length-flops': '#86bcb6',
  'share-k4': '#b07aa1',
  'factorize-h0.2d': '#9c755f',
  'factorize-h0.2d-flops': '#d7b5a6',
  'pool-k2': '#76b7b2',
  'truncate-n2': '#edc948',
  'truncate-n2-flops': '#f1ce63',
  'ops-stack': '#f28e2b',
  'ops-msg': '#59a14f',
  'ops-ligo': '#e15759',
  'ops-bert2bert': '#b07aa1',
  'baseline-restarts': '#a0cbe8',
  'baseline-x0.5': '#79706e',
  'baseline-x0.75': '#bab0ac',
  // Not black: the lab draws these on a dark background too.
  smallest: '#d37295',
};

export type CurveX = 'flops' | 'wallMs';

export interface MeanCurve {
  arm: ArmName;
  seeds: number;
  points: { x: number; y: number }[];
}

/**
 * Validation loss per arm averaged over its seeds, point by point. Runs of an arm evaluate at the
 * same steps, so the i-th points line up; x is the mean FLOPs or wall time at that point.
 */
export function meanCurves(r: SuiteResults, x: CurveX): MeanCurve[] {
  return r.arms.map((a) => a.name).flatMap((arm): MeanCurve[] => {
    const runs = r.runs.filter((run) => run.arm === arm && run.validation.length > 0);
    if (runs.length === 0) return [];
    const len = Math.min(...runs.map((run) => run.validation.length));
    const points = Array.from({ length: len }, (_, i) => ({
      x: runs.reduce((s, run) => s + run.validation[i][x], 0) / runs.length,
      y: runs.reduce((s, run) => s + run.validation[i].loss, 0) / runs.length,
    }));
    return [{ arm, seeds: runs.length, points }];
  });
}

/** A "nice" tick step (1, 2 or 5 × 10^k) giving about `count` ticks over [lo, hi]. */
function niceStep(lo: number, hi: number, count: number): number {
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  const norm = raw / mag;
  return (norm < 1.5 ? 1 : norm < 3.5 ? 2 : norm < 7.5 ? 5 : 10) * mag;
}

function tickLabel(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`;
  return `${+v.toPrecision(3)}`;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A self-contained SVG line chart of mean validation loss per arm (white background, legend on the right). */
export function curvesSvg(curves: MeanCurve[], opts: { title: string; xLabel: string; xScale?: number; reference?: { y: number; label: string } }): string {
  const W = 800, H = 420, L = 64, R = 220, T = 40, B = 52;
  const scale = opts.xScale ?? 1;
  const all = curves.flatMap((c) => c.points);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${L}" y="22" font-size="15" font-weight="bold">${esc(opts.title)}</text>`,
  ];
  if (all.length === 0) {
    parts.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle">no validation points yet</text>`, '</svg>');
    return parts.join('\n');
  }
  const xs = all.map((p) => p.x * scale);
  const ys = [...all.map((p) => p.y), ...(opts.reference ? [opts.reference.y] : [])];
  let [x0, x1] = [Math.min(0, ...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const yPad = (y1 - y0) * 0.05;
  [y0, y1] = [y0 - yPad, y1 + yPad];
  const px = (v: number) => L + ((v - x0) / (x1 - x0)) * (W - L - R);
  const py = (v: number) => T + (1 - (v - y0) / (y1 - y0)) * (H - T - B);
  parts.push(`<g stroke="#dddddd">`);
  const xStep = niceStep(x0, x1, 6);
  const yStep = niceStep(y0, y1, 6);
  const ticks: string[] = [];
  for (let v = Math.ceil(x0 / xStep) * xStep; v <= x1 + 1e-9 * xStep; v += xStep) {
    parts.push(`<line x1="${px(v).toFixed(1)}" y1="${T}" x2="${px(v).toFixed(1)}" y2="${H - B}"/>`);
    ticks.push(`<text x="${px(v).toFixed(1)}" y="${H - B + 16}" text-anchor="middle">${tickLabel(v)}</text>`);
  }
  for (let v = Math.ceil(y0 / yStep) * yStep; v <= y1 + 1e-9 * yStep; v += yStep) {
    parts.push(`<line x1="${L}" y1="${py(v).toFixed(1)}" x2="${W - R}" y2="${py(v).toFixed(1)}"/>`);
    ticks.push(`<text x="${L - 6}" y="${(py(v) + 4).toFixed(1)}" text-anchor="end">${tickLabel(v)}</text>`);
  }
  parts.push('</g>', ...ticks);
  parts.push(`<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#333333"/>`);
  if (opts.reference) {
    const y = py(opts.reference.y).toFixed(1);
    parts.push(`<line x1="${L}" y1="${y}" x2="${W - R}" y2="${y}" stroke="#555555" stroke-width="1.5" stroke-dasharray="6 4"/>`);
    parts.push(`<text x="${W - R - 6}" y="${(Number(y) - 6).toFixed(1)}" text-anchor="end" fill="#555555">${esc(opts.reference.label)}</text>`);
  }
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">validation MLM loss</text>`);
  curves.forEach((c, i) => {
    const color = ARM_COLORS[c.arm];
    const d = c.points.map((p, j) => `${j ? 'L' : 'M'}${px(p.x * scale).toFixed(1)} ${py(p.y).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const p of c.points) parts.push(`<circle cx="${px(p.x * scale).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="2.5" fill="${color}"/>`);
    const ly = T + 10 + i * 20;
    parts.push(`<line x1="${W - R + 14}" y1="${ly}" x2="${W - R + 38}" y2="${ly}" stroke="${color}" stroke-width="3"/>`);
    parts.push(`<text x="${W - R + 44}" y="${ly + 4}">${esc(c.arm)} (${c.seeds} seed${c.seeds === 1 ? '' : 's'})</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** The report's two plots as SVG strings, keyed by file stem. */
export function suitePlots(r: SuiteResults): { name: string; svg: string }[] {
  const reference = r.frequency ? { y: r.frequency.loss, label: `token frequencies alone: ${r.frequency.loss.toFixed(3)}` } : undefined;
  return [
    { name: PLOT_FILES.lossVsFlops, svg: curvesSvg(meanCurves(r, 'flops'), { title: 'Validation MLM loss vs forward FLOPs (mean over seeds)', xLabel: 'forward FLOPs', reference }) },
    { name: PLOT_FILES.lossVsWall, svg: curvesSvg(meanCurves(r, 'wallMs'), { title: 'Validation MLM loss vs training wall time (mean over seeds)', xLabel: 'training wall time (s)', xScale: 1 / 1000, reference }) },
  ];
}

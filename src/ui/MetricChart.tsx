import { memo, useLayoutEffect, useMemo, useRef, useState, type PointerEvent } from 'react';
import { chartGeometry, linePath, nearestPoint, type ChartGeometry } from './chart-geometry.ts';
import { chartSummary } from './chart-summary.ts';
import type { XY } from './downsample.ts';
import { shortNumber } from './format.ts';

export interface ChartLine {
  key: string;
  name: string;
  color: string;
  points: XY[];
  dashed?: boolean;
  dots?: boolean;
}

interface Props {
  /** The chart's accessible name; its description (chartSummary) is made from the lines. */
  title: string;
  lines: ChartLine[];
  xLabel: string;
  height: number;
  /** Tick and tooltip formatting of y values. */
  yFormat?: (v: number) => string;
}

const MARGIN = { top: 8, right: 14, bottom: 34, left: 52 };

function sameLines(a: readonly ChartLine[], b: readonly ChartLine[]): boolean {
  return a.length === b.length && a.every((l, i) => {
    const m = b[i];
    return l.key === m.key && l.name === m.name && l.color === m.color && l.points === m.points && l.dashed === m.dashed && l.dots === m.dots;
  });
}

/**
 * A chart whose lines hold the same points (series.ts caches them) is not redrawn: a run's status
 * or checkpoint changing must not cost a frame while another run trains.
 */
function sameChart(a: Props, b: Props): boolean {
  return a.title === b.title && a.xLabel === b.xLabel && a.height === b.height && a.yFormat === b.yFormat && sameLines(a.lines, b.lines);
}

/** The width the chart's box is laid out at, followed as it resizes. */
function useWidth(): [React.RefObject<HTMLDivElement | null>, number] {
  const ref = useRef<HTMLDivElement | null>(null);
  const [width, setWidth] = useState(0);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    // Read once before the first paint, so a chart never shows a frame at the wrong size.
    setWidth(el.clientWidth);
    const watch = new ResizeObserver(() => setWidth(el.clientWidth));
    watch.observe(el);
    return () => watch.disconnect();
  }, []);
  return [ref, width];
}

/**
 * A line chart over numeric x, drawn as plain SVG. The live curves redraw while a run trains, and
 * a charting library's redraw (recharts 3: 40-95 ms on 2 cores, in one task, measured by
 * e2e/long-tasks.spec.ts) broke the page's 50 ms bound for main-thread tasks; this one is a few
 * path strings. The SVG is what the SVG and PNG downloads save (chart-image.ts).
 */
export const MetricChart = memo(function MetricChart({ title, lines, xLabel, height, yFormat = shortNumber }: Props) {
  const [box, width] = useWidth();
  const [hoverX, setHoverX] = useState<number | null>(null);
  const g = useMemo(() => (width > 0 ? chartGeometry(lines, width, height, MARGIN) : null), [lines, width, height]);
  const drawn = useMemo(() => (g ? lines.map((l) => ({ ...l, d: linePath(l.points, g) })) : []), [lines, g]);
  const summary = useMemo(() => chartSummary(lines, xLabel, yFormat), [lines, xLabel, yFormat]);
  const hover = useMemo(() => (hoverX === null ? null : pointed(lines, hoverX)), [lines, hoverX]);
  const onMove = (e: PointerEvent<SVGRectElement>) => {
    if (!g) return;
    const left = e.currentTarget.ownerSVGElement!.getBoundingClientRect().left;
    setHoverX(g.x.invert(e.clientX - left));
  };
  return (
    <div ref={box} className="chart-box" style={{ height }}>
      {g && (
        <svg className="chart-surface" width={width} height={height} role="img" aria-label={title}>
          <title>{title}</title>
          <desc>{summary}</desc>
          <Axes g={g} xLabel={xLabel} yFormat={yFormat} />
          {drawn.map((l) => (
            <g key={l.key} className="chart-line">
              <path d={l.d} fill="none" stroke={l.color} strokeWidth={l.dashed ? 1.5 : 1.75} strokeDasharray={l.dashed ? '5 3' : undefined} strokeLinejoin="round" />
              {l.dots && l.points.map((p) => <circle key={p.x} cx={g.x(p.x)} cy={g.y(p.y)} r={2.5} fill={l.color} />)}
            </g>
          ))}
          {hover && <Cursor g={g} hover={hover} />}
          <rect
            className="chart-hit"
            x={g.plot.left}
            y={g.plot.top}
            width={g.plot.right - g.plot.left}
            height={g.plot.bottom - g.plot.top}
            fill="transparent"
            onPointerMove={onMove}
            onPointerLeave={() => setHoverX(null)}
          />
        </svg>
      )}
      {g && hover && <Readout g={g} hover={hover} xLabel={xLabel} yFormat={yFormat} />}
    </div>
  );
}, sameChart);

function Axes({ g, xLabel, yFormat }: { g: ChartGeometry; xLabel: string; yFormat: (v: number) => string }) {
  const { plot } = g;
  return (
    <g className="chart-axes">
      {/* Horizontal grid lines only: vertical ones would move with every new step. */}
      {g.yTicks.map((t) => (
        <line key={t.value} className="chart-grid" x1={plot.left} x2={plot.right} y1={t.at} y2={t.at} strokeDasharray="3 3" />
      ))}
      <line className="chart-axis" x1={plot.left} x2={plot.right} y1={plot.bottom} y2={plot.bottom} />
      <line className="chart-axis" x1={plot.left} x2={plot.left} y1={plot.top} y2={plot.bottom} />
      {g.xTicks.map((t) => (
        <text key={t.value} className="chart-tick" x={t.at} y={plot.bottom + 14} textAnchor="middle">
          {shortNumber(t.value)}
        </text>
      ))}
      {g.yTicks.map((t) => (
        <text key={t.value} className="chart-tick" x={plot.left - 6} y={t.at} textAnchor="end" dominantBaseline="middle">
          {yFormat(t.value)}
        </text>
      ))}
      <text className="chart-tick" x={(plot.left + plot.right) / 2} y={plot.bottom + 29} textAnchor="middle">
        {xLabel}
      </text>
    </g>
  );
}

/** What the pointer is on: each line's point nearest its x, and the x the readout names. */
interface Hover {
  hits: { line: ChartLine; p: XY }[];
  /** The first line's nearest point's x, so the readout names a step the data has. */
  at: number;
}

function pointed(lines: readonly ChartLine[], x: number): Hover {
  const hits = lines.flatMap((line) => {
    const p = nearestPoint(line.points, x);
    return p ? [{ line, p }] : [];
  });
  return { hits, at: hits[0]?.p.x ?? x };
}

function Cursor({ g, hover }: { g: ChartGeometry; hover: Hover }) {
  const at = g.x(hover.at);
  return (
    <g className="chart-cursor" aria-hidden="true">
      <line className="chart-axis" x1={at} x2={at} y1={g.plot.top} y2={g.plot.bottom} />
      {hover.hits.map(({ line, p }) => (
        <circle key={line.key} cx={g.x(p.x)} cy={g.y(p.y)} r={3.5} fill={line.color} />
      ))}
    </g>
  );
}

/** The values under the pointer, beside it; the chart's text alternative (its desc) serves readers who do not point. */
function Readout({ g, hover, xLabel, yFormat }: { g: ChartGeometry; hover: Hover; xLabel: string; yFormat: (v: number) => string }) {
  const px = g.x(hover.at);
  const flip = px > (g.plot.left + g.plot.right) / 2;
  return (
    <div className="chart-readout" aria-hidden="true" style={flip ? { right: g.plot.right - px + 10 + MARGIN.right } : { left: px + 10 }}>
      <div>
        {xLabel} {shortNumber(hover.at)}
      </div>
      {hover.hits.map(({ line, p }) => (
        <div key={line.key} style={{ color: line.color }}>
          {line.name}: {yFormat(p.y)}
        </div>
      ))}
    </div>
  );
}

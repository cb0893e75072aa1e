import { memo } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
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

const MARGIN = { top: 8, right: 12, bottom: 18, left: 4 };

function sameLines(a: readonly ChartLine[], b: readonly ChartLine[]): boolean {
  return a.length === b.length && a.every((l, i) => {
    const m = b[i];
    return l.key === m.key && l.name === m.name && l.color === m.color && l.points === m.points && l.dashed === m.dashed && l.dots === m.dots;
  });
}

/**
 * A redraw costs recharts tens of milliseconds on the page's main thread, so a chart whose lines
 * hold the same points (series.ts caches them) is not redrawn: a run's status or checkpoint changing
 * must not cost a frame while another run trains.
 */
function sameChart(a: Props, b: Props): boolean {
  return a.title === b.title && a.xLabel === b.xLabel && a.height === b.height && a.yFormat === b.yFormat && sameLines(a.lines, b.lines);
}

/** One recharts line chart over numeric x; no animation (data arrives continuously). */
export const MetricChart = memo(function MetricChart({ title, lines, xLabel, height, yFormat = shortNumber }: Props) {
  return (
    <ResponsiveContainer width="100%" height={height}>
      <LineChart margin={MARGIN} title={title} desc={chartSummary(lines, xLabel, yFormat)}>
        {/* Horizontal lines only: the vertical ones move with every new step, and the grid is recharts' costliest part to redraw. */}
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis
          type="number"
          dataKey="x"
          domain={['dataMin', 'dataMax']}
          tickFormatter={shortNumber}
          allowDuplicatedCategory={false}
          // Every tick of the axis' few (tickCount 5): the default "preserveEnd" measures each tick's text in the DOM, a forced layout per tick per redraw.
          interval={0}
          label={{ value: xLabel, position: 'insideBottom', offset: -10 }}
        />
        <YAxis type="number" domain={['auto', 'auto']} tickFormatter={yFormat} width={48} interval={0} />
        <Tooltip
          isAnimationActive={false}
          formatter={(v) => (typeof v === 'number' ? yFormat(v) : String(v))}
          labelFormatter={(v) => `${xLabel} ${typeof v === 'number' ? shortNumber(v) : String(v)}`}
        />
        {lines.map((l) => (
          <Line
            key={l.key}
            data={l.points}
            dataKey="y"
            name={l.name}
            type="linear"
            stroke={l.color}
            strokeWidth={l.dashed ? 1.5 : 1.75}
            strokeDasharray={l.dashed ? '5 3' : undefined}
            dot={l.dots ? { r: 2.5, fill: l.color, strokeWidth: 0 } : false}
            activeDot={{ r: 3 }}
            isAnimationActive={false}
            connectNulls
          />
        ))}
      </LineChart>
    </ResponsiveContainer>
  );
}, sameChart);

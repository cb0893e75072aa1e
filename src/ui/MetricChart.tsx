import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
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
  lines: ChartLine[];
  xLabel: string;
  height: number;
  /** Tick and tooltip formatting of y values. */
  yFormat?: (v: number) => string;
}

/** One recharts line chart over numeric x; no animation (data arrives continuously). */
export function MetricChart({ lines, xLabel, height, yFormat = shortNumber }: Props) {
  return (
    <ResponsiveContainer width="100%" height={height}>
      <LineChart margin={{ top: 8, right: 12, bottom: 18, left: 4 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis
          type="number"
          dataKey="x"
          domain={['dataMin', 'dataMax']}
          tickFormatter={shortNumber}
          allowDuplicatedCategory={false}
          label={{ value: xLabel, position: 'insideBottom', offset: -10 }}
        />
        <YAxis type="number" domain={['auto', 'auto']} tickFormatter={yFormat} width={48} />
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
}

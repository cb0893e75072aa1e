import { memo, useMemo } from 'react';
import { useCompare } from '../state/compare.ts';
import type { Run } from '../state/run.ts';
import { useRuns } from '../state/runs.ts';
import { useView, type XAxisKind } from '../state/view.ts';
import { AxisSwitch } from './AxisSwitch.tsx';
import { ChartDownloads } from './ExportButtons.tsx';
import { Legend } from './Legend.tsx';
import { MetricChart, type ChartLine } from './MetricChart.tsx';
import { AXIS_LABEL, runSeries } from './series.ts';
import { useThrottled } from './useThrottled.ts';

/** Live loss, learning-rate and throughput curves of every run, overlaid, one colour per run. */
export function Charts() {
  const runs = useThrottled(useRuns((s) => s.runs), 250);
  const hidden = useCompare((s) => s.hidden);
  const compared = useMemo(() => runs.filter((r) => !hidden.includes(r.id)), [runs, hidden]);
  const xAxis = useView((s) => s.xAxis);
  return <ChartPanels runs={compared} xAxis={xAxis} />;
}

// Memoised on the throttled runs, so store updates between throttle ticks do not redraw the charts.
const ChartPanels = memo(function ChartPanels({ runs: all, xAxis }: { runs: Run[]; xAxis: XAxisKind }) {
  const runs = all.filter((r) => r.steps.length > 0);
  const xLabel = AXIS_LABEL[xAxis];
  const series = runs.map((r) => ({ run: r, s: runSeries(r, xAxis) }));
  const loss: ChartLine[] = series.flatMap(({ run, s }) => [
    { key: `${run.id}-train`, name: `${run.label} train`, color: run.color, points: s.train },
    { key: `${run.id}-val`, name: `${run.label} validation`, color: run.color, points: s.validation, dashed: true, dots: true },
  ]);
  const lr: ChartLine[] = series.map(({ run, s }) => ({ key: run.id, name: run.label, color: run.color, points: s.lr }));
  const tps: ChartLine[] = series.map(({ run, s }) => ({ key: run.id, name: run.label, color: run.color, points: s.tokensPerSec }));
  const empty = <p className="chart-empty">No steps recorded yet: press Start.</p>;

  return (
    <div className="charts">
      <section aria-label="Loss curve" className="panel chart chart-main">
        <div className="panel-head">
          <h2>Loss curve</h2>
          <AxisSwitch />
        </div>
        {runs.length ? <MetricChart lines={loss} xLabel={xLabel} height={280} yFormat={(v) => v.toFixed(2)} /> : empty}
        {runs.length ? <ChartDownloads title="Loss curve" /> : null}
        {runs.length ? (
          <Legend items={runs.map((r) => ({ key: r.id, color: r.color, name: r.label }))} label="Legend" className="legend">
            <li>solid: training loss · dashed with dots: validation loss</li>
          </Legend>
        ) : null}
      </section>
      <section aria-label="Learning rate" className="panel chart">
        <h3>Learning rate</h3>
        {runs.length ? <MetricChart lines={lr} xLabel={xLabel} height={180} /> : empty}
        {runs.length ? <ChartDownloads title="Learning rate" /> : null}
      </section>
      <section aria-label="Tokens per second" className="panel chart">
        <h3>Tokens / s</h3>
        {runs.length ? <MetricChart lines={tps} xLabel={xLabel} height={180} /> : empty}
        {runs.length ? <ChartDownloads title="Tokens per second" /> : null}
      </section>
    </div>
  );
});

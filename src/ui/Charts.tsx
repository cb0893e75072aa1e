import { memo, useMemo } from 'react';
import { useCompare } from '../state/compare.ts';
import type { Run } from '../state/run.ts';
import { useView, type XAxisKind } from '../state/view.ts';
import { AxisSwitch } from './AxisSwitch.tsx';
import { ChartDownloads } from './ExportButtons.tsx';
import { Legend } from './Legend.tsx';
import { twoDecimals } from './format.ts';
import { MetricChart, type ChartLine } from './MetricChart.tsx';
import { AXIS_LABEL, runSeries } from './series.ts';
import { useLater } from './useLater.ts';
import { useRunsShown } from './useRunsShown.ts';

/** Live loss, learning-rate and throughput curves of every run, overlaid, one colour per run. */
export function Charts() {
  // Twice a second is as often as a curve can be read while it moves; the small charts, which say
  // less per redraw, follow once a second, each in a task of its own so no one task redraws all three.
  const runs = useRunsShown(500);
  const hidden = useCompare((s) => s.hidden);
  const compared = useMemo(() => runs.filter((r) => !hidden.includes(r.id)), [runs, hidden]);
  const xAxis = useView((s) => s.xAxis);
  // The small charts follow the loss curve a little later, each in a frame of its own.
  const lrRuns = useLater(compared, 240, 1000);
  const tpsRuns = useLater(compared, 380, 1000);
  return (
    <div className="charts">
      <LossPanel runs={compared} xAxis={xAxis} />
      <SmallPanel title="Learning rate" heading="Learning rate" runs={lrRuns} xAxis={xAxis} series="lr" />
      <SmallPanel title="Tokens per second" heading="Tokens / s" runs={tpsRuns} xAxis={xAxis} series="tokensPerSec" />
    </div>
  );
}

const EMPTY = <p className="chart-empty">No steps recorded yet: press Start.</p>;

function withSteps(runs: Run[]): Run[] {
  return runs.filter((r) => r.steps.length > 0);
}

// Memoised on the runs: store updates between throttle ticks do not redraw the charts.
const LossPanel = memo(function LossPanel({ runs: all, xAxis }: { runs: Run[]; xAxis: XAxisKind }) {
  const runs = withSteps(all);
  const loss: ChartLine[] = runs.flatMap((run) => {
    const s = runSeries(run, xAxis);
    return [
      { key: `${run.id}-train`, name: `${run.label} train`, color: run.color, points: s.train },
      { key: `${run.id}-val`, name: `${run.label} validation`, color: run.color, points: s.validation, dashed: true, dots: true },
    ];
  });
  return (
    <section aria-label="Loss curve" className="panel chart chart-main">
      <div className="panel-head">
        <h2>Loss curve</h2>
        <AxisSwitch />
      </div>
      {runs.length ? (
        <>
          <MetricChart title="Loss curve" lines={loss} xLabel={AXIS_LABEL[xAxis]} height={280} yFormat={twoDecimals} />
          <ChartDownloads title="Loss curve" />
          <Legend items={runs.map((r) => ({ key: r.id, color: r.color, name: r.label }))} label="Legend" className="legend">
            <li>solid: training loss · dashed with dots: validation loss</li>
          </Legend>
        </>
      ) : (
        EMPTY
      )}
    </section>
  );
});

const SmallPanel = memo(function SmallPanel({ title, heading, runs: all, xAxis, series }: { title: string; heading: string; runs: Run[]; xAxis: XAxisKind; series: 'lr' | 'tokensPerSec' }) {
  const runs = withSteps(all);
  const lines: ChartLine[] = runs.map((run) => ({ key: run.id, name: run.label, color: run.color, points: runSeries(run, xAxis)[series] }));
  return (
    <section aria-label={title} className="panel chart">
      <h3>{heading}</h3>
      {runs.length ? (
        <>
          <MetricChart title={title} lines={lines} xLabel={AXIS_LABEL[xAxis]} height={180} />
          <ChartDownloads title={title} />
        </>
      ) : (
        EMPTY
      )}
    </section>
  );
});

import { memo } from 'react';
import { stageLabel } from '../core/schedule/spec.ts';
import type { Run } from '../state/run.ts';
import { useRunsShown } from './useRunsShown.ts';
import { useView, type XAxisKind } from '../state/view.ts';
import { formatLoss, shortNumber } from './format.ts';
import { growthDimsText } from './growth-dims.ts';
import { AXIS_LABEL, xOf } from './series.ts';

interface Bar {
  index: number;
  label: string;
  start: number;
  end: number;
  /** How far training got inside the bar. */
  done: number;
}

/**
 * Stage bars of a run on the chosen axis: the whole plan for steps and FLOPs, and what was
 * recorded for wall time (a stage's time is only known once it ran).
 */
function barsOf(run: Run, axis: XAxisKind): Bar[] {
  const x = xOf(run, axis);
  const bars: Bar[] = [];
  let from = 0;
  run.config.schedule.stages.forEach((s, i) => {
    const to = from + s.steps;
    const reached = Math.min(Math.max(run.step, from), to);
    if (axis !== 'time' || run.step > from) {
      bars.push({ index: i, label: stageLabel(s.shape, run.config.model), start: x(from), end: x(axis === 'time' ? reached : to), done: x(reached) });
    }
    from = to;
  });
  return bars;
}

/** A bar per stage of every run on one shared axis, with the growth checks at the boundaries. */
export function Timeline() {
  const runs = useRunsShown(250, 60);
  const xAxis = useView((s) => s.xAxis);
  // The shared axis ends where the longest run does.
  const total = Math.max(0, ...runs.flatMap((run) => barsOf(run, xAxis).map((b) => b.end)));

  return (
    <section aria-label="Stage timeline" className="panel">
      <h2>Stage timeline</h2>
      {runs.length === 0 ? <p className="chart-empty">Queue or start a run to see its stages.</p> : null}
      <div className="timeline">
        {runs.map((run) => (
          <TimelineRun key={run.id} run={run} xAxis={xAxis} total={total} />
        ))}
      </div>
      {total > 0 ? (
        <div className="tl-axis" aria-hidden="true">
          <span>0</span>
          <span>{AXIS_LABEL[xAxis]}</span>
          <span>{shortNumber(total)}</span>
        </div>
      ) : null}
    </section>
  );
}

/** One run's stages and growth events; memoised, so another run's progress does not redraw it. */
const TimelineRun = memo(function TimelineRun({ run, xAxis, total }: { run: Run; xAxis: XAxisKind; total: number }) {
  const bars = barsOf(run, xAxis);
  const x = xOf(run, xAxis);
  const pct = (v: number) => `${total > 0 ? (100 * v) / total : 0}%`;
  const dimsText = (step: number) => {
    const t = growthDimsText(run.config.schedule, run.config.model, step);
    return t ? `; ${t}` : '';
  };
  return (
    <div className="tl-run">
      <span className="tl-name">
        <span className="swatch" style={{ background: run.color }} aria-hidden="true" />
        {run.label}
        {bars.length === 0 ? <span className="hint"> — not started</span> : null}
      </span>
      <div className="tl-track" role="list" aria-label={`Stages of ${run.label}`}>
        {bars.map((b) => (
          <div
            key={b.index}
            role="listitem"
            className="tl-stage"
            style={{ left: pct(b.start), width: pct(b.end - b.start), background: `color-mix(in srgb, ${run.color} 30%, transparent)` }}
            title={`stage ${b.index + 1}: ${b.label}`}
          >
            <span className="tl-fill" style={{ width: b.end > b.start ? `${(100 * (b.done - b.start)) / (b.end - b.start)}%` : '0', background: run.color }} />
            <span>{b.label}</span>
          </div>
        ))}
        {run.growth.map((g) => (
          <span
            key={g.step}
            className="tl-growth"
            style={{ left: pct(x(g.step)) }}
            title={`growth at step ${g.step}${g.ops.length ? `: ${g.ops.join(', ')}` : ''}`}
            aria-hidden="true"
          />
        ))}
      </div>
      {run.growth.length ? (
        <ul className="tl-events" aria-label={`Growth events of ${run.label}`}>
          {run.growth.map((g) => (
            <li key={g.step}>
              step {g.step}: {g.fromLabel} → {g.toLabel} ({g.ops.join(', ') || 'no weight change'}
              {dimsText(g.step)}): loss {formatLoss(g.lossBefore)} →{' '}
              {formatLoss(g.lossAfter)}, max |Δlogit| {shortNumber(g.maxAbsLogitDiff)}
              {g.preserving ? ' · function-preserving' : ''}
              {g.copySeparation
                ? ` · FFN copies apart by ${shortNumber(g.copySeparation.minRelDiff)}–${shortNumber(g.copySeparation.maxRelDiff)} (relative, over layers) at step ${g.copySeparation.step}`
                : ''}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
});

import { useMemo } from 'react';
import { DESIGNS } from '../core/suite/plan.ts';
import { suiteInference } from '../core/suite/inference.ts';
import { ARM_COLORS, meanCurves, type CurveX } from '../core/suite/plots.ts';
import { armSpread, comparisonVerdicts, frequencyNote, reportColumns } from '../core/suite/report.ts';
import type { SuiteResults } from '../core/suite/results.ts';
import { formatSpread } from '../core/suite/stats.ts';
import { useSuite } from '../state/suite.ts';
import { Legend } from './Legend.tsx';
import { twoDecimals } from './format.ts';
import { MetricChart, type ChartLine } from './MetricChart.tsx';

/** A `growlab suite` results.json opened in the lab: the report's tables and the mean validation curves. */
export function SuiteView() {
  const { results, fileName, error, open, close, dismissError } = useSuite();
  return (
    <section aria-label="Suite results" className="panel">
      <div className="panel-head">
        <h2>Suite results</h2>
        <label className="small-file">
          Open suite results{' '}
          <input
            type="file"
            accept=".json,application/json"
            aria-label="Open suite results"
            onChange={(e) => {
              const file = e.currentTarget.files?.[0];
              e.currentTarget.value = '';
              if (file) void open(file);
            }}
          />
        </label>
        {results ? (
          <button type="button" className="small" onClick={close}>
            Close
          </button>
        ) : null}
      </div>
      {error ? (
        <p className="banner error" role="alert">
          {error}{' '}
          <button type="button" className="small" onClick={dismissError}>
            Dismiss
          </button>
        </p>
      ) : null}
      {results ? <SuiteTables results={results} fileName={fileName} /> : <p className="hint">Open the results.json that <code>growlab suite</code> wrote to see its tables and curves.</p>}
    </section>
  );
}

function SuiteTables({ results: r, fileName }: { results: SuiteResults; fileName: string | null }) {
  const cols = useMemo(() => reportColumns(r), [r]);
  const inf = useMemo(() => suiteInference(r), [r]);
  const s = r.settings;
  const expected = s.seeds * r.arms.length;
  return (
    <div className="suite-view">
      <p className="hint">
        {fileName}: {s.design} design, size {s.size}, {s.seeds} seed{s.seeds === 1 ? '' : 's'}, {s.steps} steps, backend {s.backend} on {r.machine.cpuModel} ({r.machine.cpus} cores).{' '}
        {r.runs.length < expected ? `Incomplete: ${r.runs.length} of ${expected} runs.` : `All ${expected} runs.`} Cells are mean ± sample std over seeds; the lines under each table are paired tests of the final validation loss (Holm-adjusted).
      </p>
      <p className="hint">Gate, baseline vs the smallest stage model: {inf.gate.reason}</p>
      {r.frequency ? <p className="hint">{frequencyNote(r, inf)}</p> : null}
      {DESIGNS[s.design].comparisons.map((c) => {
        const lines = comparisonVerdicts(r, c, inf);
        return (
          <div key={c.id} className="suite-comparison">
            <h3>
              {c.title} ({c.paper})
            </h3>
            <div className="table-wrap" tabIndex={0} aria-label={`${c.title} (table)`}>
              <table aria-label={c.title}>
                <thead>
                  <tr>
                    <th scope="col">Arm</th>
                    <th scope="col">Seeds</th>
                    {cols.map((col) => (
                      <th key={col.header} scope="col">
                        {col.header}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {c.arms.map((arm) => (
                    <tr key={arm}>
                      <th scope="row">
                        <span className="swatch" style={{ background: ARM_COLORS[arm] }} aria-hidden="true" /> {arm}
                      </th>
                      <td>{r.runs.filter((x) => x.arm === arm).length}</td>
                      {cols.map((col) => (
                        <td key={col.header}>{formatSpread(armSpread(r, arm, col), col.digits)}</td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <ul className="hint">
              {lines.map((l) => (
                <li key={l}>{l}</li>
              ))}
            </ul>
          </div>
        );
      })}
      <SuiteCurves results={r} x="flops" label="forward FLOPs" />
      <SuiteCurves results={r} x="wallMs" label="training wall time (s)" scale={1 / 1000} />
    </div>
  );
}

function SuiteCurves({ results, x, label, scale = 1 }: { results: SuiteResults; x: CurveX; label: string; scale?: number }) {
  const lines: ChartLine[] = useMemo(() => {
    const arms = meanCurves(results, x).map((c) => ({
      key: c.arm,
      name: `${c.arm} (${c.seeds} seed${c.seeds === 1 ? '' : 's'})`,
      color: ARM_COLORS[c.arm],
      points: c.points.map((p) => ({ x: p.x * scale, y: p.y })),
      dots: true,
    }));
    const f = results.frequency;
    const xs = arms.flatMap((l) => l.points.map((p) => p.x));
    if (!f || xs.length === 0) return arms;
    const level = { key: 'frequency', name: `token frequencies alone (${f.loss.toFixed(3)})`, color: '#8a8f98', dashed: true, points: [{ x: 0, y: f.loss }, { x: Math.max(...xs), y: f.loss }] };
    return [...arms, level];
  }, [results, x, scale]);
  return (
    <figure aria-label={`Validation loss vs ${label}`} className="chart">
      <figcaption>Validation MLM loss vs {label} (mean over seeds)</figcaption>
      <MetricChart title={`Validation loss vs ${label}`} lines={lines} xLabel={label} height={240} yFormat={twoDecimals} />
      <Legend items={lines} label="Arms" className="suite-legend hint" />
    </figure>
  );
}

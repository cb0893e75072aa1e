import { baselineRun } from '../state/cost.ts';
import { isActive } from '../state/run.ts';
import { useRuns } from '../state/runs.ts';
import { useCompare } from '../state/compare.ts';
import { StorageBar } from './StorageBar.tsx';
import { useRunsShown } from './useRunsShown.ts';
import { ComparisonExports } from './ExportButtons.tsx';
import { COLUMNS, RunRow } from './RunRow.tsx';

/** Every run side by side, with speed-up over the baseline run to reach its final validation loss. */
export function RunsTable() {
  const runs = useRunsShown(250, 120);
  const clearEnded = useRuns((s) => s.clearEnded);
  const hidden = useCompare((s) => s.hidden);
  const base = baselineRun(runs);
  const baseEnded = base !== null && !isActive(base);

  return (
    <section aria-label="Runs" className="panel">
      <div className="panel-head">
        <h2>Runs</h2>
        <button
          type="button"
          className="small"
          onClick={() => window.confirm('Delete every finished run, with its curve and checkpoint, from this browser?') && clearEnded()}
          disabled={!runs.some((r) => r.endedAt !== null)}
        >
          Clear finished runs
        </button>
      </div>
      <StorageBar />
      {runs.length === 0 ? (
        <p className="chart-empty">No runs yet.</p>
      ) : (
        <>
          <div className="table-wrap runs-table" tabIndex={0} aria-label="Runs table">
            <table>
              <thead>
                <tr>
                  <th scope="col">Run</th>
                  {COLUMNS.map((c) => (
                    <th key={c.name} scope="col" className={c.num ? 'num' : undefined} title={c.title}>
                      {c.name}
                    </th>
                  ))}
                  <th scope="col"><span className="visually-hidden">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                {runs.map((r) => (
                  <RunRow key={r.id} run={r} base={base} baseEnded={baseEnded} hidden={hidden.includes(r.id)} />
                ))}
              </tbody>
            </table>
          </div>
          {runs.filter((r) => r.message).map((r) => (
            <p key={r.id} className="run-message" role={r.status === 'failed' ? 'alert' : undefined}>
              {r.label}: {r.message}
            </p>
          ))}
          <ComparisonExports runs={runs} />
          <p className="hint">
            FLOPs: forward FLOPs trained so far. Speed-up: the baseline's cost ÷ this run's cost to first reach the baseline's final validation loss
            (interpolated between validation points, on cumulative forward FLOPs and on training wall time, growth included).
          </p>
        </>
      )}
    </section>
  );
}

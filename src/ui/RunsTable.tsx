import { baselineRun, runCost } from '../state/cost.ts';
import { speedupToReach } from '../state/reach.ts';
import { isActive } from '../state/run.ts';
import { useRuns } from '../state/runs.ts';
import { useCompare } from '../state/compare.ts';
import { RunActions, RunLabel } from './RunActions.tsx';
import { StorageBar } from './StorageBar.tsx';
import { GenreCell } from './GenreCell.tsx';
import { ComparisonExports, RunExports } from './ExportButtons.tsx';
import { formatDuration, formatFlops, formatLoss, formatSpeedup } from './format.ts';

/** Every run side by side, with speed-up over the baseline run to reach its final validation loss. */
export function RunsTable() {
  const { runs, clearEnded } = useRuns();
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
          <div className="table-wrap" tabIndex={0} aria-label="Runs table (scrolls sideways)">
            <table>
              <thead>
                <tr>
                  <th scope="col">Run</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">Steps</th>
                  <th scope="col" className="num">Final val loss</th>
                  <th scope="col" className="num">FLOPs</th>
                  <th scope="col" className="num">Wall time</th>
                  <th scope="col" className="num">Speed-up FLOPs</th>
                  <th scope="col" className="num">Speed-up wall</th>
                  <th scope="col" className="num" title="Genre classification of held-out passages after fine-tuning: accuracy / macro-F1">Genre-4 acc / F1</th>
                  <th scope="col" className="num" title="Genre classification of held-out passages after fine-tuning: accuracy / macro-F1">Genre-15 acc / F1</th>
                  <th scope="col"><span className="visually-hidden">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                {runs.map((r) => {
                  const cost = runCost(r);
                  const lastPoint = r.validation.length ? r.validation[r.validation.length - 1] : null;
                  const lastVal = lastPoint ? lastPoint.loss : null;
                  const sp = base && baseEnded && r.validation.length ? speedupToReach(runCost(base), cost) : null;
                  const pending = !base ? 'no baseline run' : !baseEnded ? 'baseline running' : '—';
                  return (
                    <tr key={r.id} className={[r.status === 'failed' ? 'failed' : '', hidden.includes(r.id) ? 'not-compared' : ''].join(' ').trim() || undefined}>
                      <th scope="row">
                        <span className="swatch" style={{ background: r.color }} aria-hidden="true" />
                        <RunLabel run={r} />
                        {r === base ? ' (baseline)' : ''}
                      </th>
                      <td>{r.status}</td>
                      <td className="num">
                        {r.step} / {r.config.train.steps}
                      </td>
                      <td className="num" title={lastPoint?.stderr !== undefined ? `standard error ±${lastPoint.stderr.toFixed(3)} over ${lastPoint.predictions} predictions (the same validation set for every run of this size and validation batches)` : undefined}>
                        {formatLoss(lastVal)}
                      </td>
                      <td className="num">{formatFlops(cost.flopsAt(r.step))}</td>
                      <td className="num">{formatDuration(cost.wallMsAt(r.step))}</td>
                      <td className="num">{sp ? formatSpeedup(sp.flops) : pending}</td>
                      <td className="num">{sp ? formatSpeedup(sp.wall) : pending}</td>
                      <td className="num"><GenreCell run={r} task="genre4" /></td>
                      <td className="num"><GenreCell run={r} task="genre15" /></td>
                      <td>
                        <RunActions run={r} />
                        <RunExports run={r} />
                      </td>
                    </tr>
                  );
                })}
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
            (interpolated between validation points, on cumulative forward FLOPs and training wall time).
          </p>
        </>
      )}
    </section>
  );
}

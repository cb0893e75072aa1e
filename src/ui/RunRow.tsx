import { memo, type ReactNode } from 'react';
import { runCost } from '../state/cost.ts';
import { speedupToReach } from '../state/reach.ts';
import type { Run } from '../state/run.ts';
import { RunActions, RunLabel } from './RunActions.tsx';
import { GenreCell } from './GenreCell.tsx';
import { RunExports } from './ExportButtons.tsx';
import { formatDuration, formatFlops, formatLoss, formatSpeedup } from './format.ts';

const GENRE_TITLE = 'Genre classification of held-out passages after fine-tuning: accuracy / macro-F1';

/** The columns after the run's name; on a narrow screen each row stacks and every value carries its column's name. */
export const COLUMNS: { name: string; num?: boolean; title?: string }[] = [
  { name: 'Status' },
  { name: 'Steps', num: true },
  { name: 'Final val loss', num: true },
  { name: 'FLOPs', num: true },
  { name: 'Wall time', num: true, title: 'Training wall time, growth included' },
  { name: 'Speed-up FLOPs', num: true },
  { name: 'Speed-up wall', num: true },
  { name: 'Genre-4 acc / F1', num: true, title: GENRE_TITLE },
  { name: 'Genre-15 acc / F1', num: true, title: GENRE_TITLE },
];

interface Props {
  run: Run;
  /** The run speed-ups are measured against; null when there is none. */
  base: Run | null;
  /** Whether the baseline has ended, so its final validation loss is the target. */
  baseEnded: boolean;
  hidden: boolean;
}

/**
 * One run of the Runs table. Memoised: while one run trains, the rows of the others are not
 * redrawn on each of its updates (every update is a synchronous render on the page's main thread).
 */
export const RunRow = memo(function RunRow({ run: r, base, baseEnded, hidden }: Props) {
  const cost = runCost(r);
  const lastPoint = r.validation.length ? r.validation[r.validation.length - 1] : null;
  const sp = base && baseEnded && r.validation.length ? speedupToReach(runCost(base), cost) : null;
  const pending = !base ? 'no baseline run' : !baseEnded ? 'baseline running' : '—';
  const cells: { value: ReactNode; title?: string }[] = [
    { value: r.status },
    { value: `${r.step} / ${r.config.train.steps}` },
    {
      value: formatLoss(lastPoint ? lastPoint.loss : null),
      title: lastPoint?.stderr !== undefined ? `standard error ±${lastPoint.stderr.toFixed(3)} over ${lastPoint.predictions} predictions (the same validation set for every run of this size and validation batches)` : undefined,
    },
    { value: formatFlops(cost.flopsAt(r.step)) },
    { value: formatDuration(cost.wallMsAt(r.step)) },
    { value: sp ? formatSpeedup(sp.flops) : pending },
    { value: sp ? formatSpeedup(sp.wall) : pending },
    { value: <GenreCell run={r} task="genre4" /> },
    { value: <GenreCell run={r} task="genre15" /> },
  ];
  return (
    <tr className={[r.status === 'failed' ? 'failed' : '', hidden ? 'not-compared' : ''].join(' ').trim() || undefined}>
      <th scope="row">
        <span className="swatch" style={{ background: r.color }} aria-hidden="true" />
        <RunLabel run={r} />
        {r === base ? ' (baseline)' : ''}
      </th>
      {cells.map((cell, i) => (
        <td key={COLUMNS[i].name} className={COLUMNS[i].num ? 'num' : undefined} data-label={COLUMNS[i].name} title={cell.title}>
          {cell.value}
        </td>
      ))}
      <td className="actions">
        <RunActions run={r} />
        <RunExports run={r} />
      </td>
    </tr>
  );
});

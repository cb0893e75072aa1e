import type { GenreTask } from '../core/eval/genre.ts';
import { useEvaluations } from '../state/evaluations.ts';
import type { Run } from '../state/run.ts';
import { evaluateRun, useSession } from '../state/session.ts';

const TASK_LABEL: Record<GenreTask, string> = { genre4: '4 genre groups', genre15: '15 genres' };
const PHASE = { train: 'fine-tuning', features: 'encoding', test: 'testing' } as const;

/** A run's genre-classification score for one task, or the button that computes it. */
export function GenreCell({ run, task }: { run: Run; task: GenreTask }) {
  const evaluation = useEvaluations((s) => s.byRun[run.id]?.[task]);
  const busy = useEvaluations((s) => Object.values(s.byRun).some((t) => Object.values(t).some((e) => e?.status === 'running')));
  const { phase, activeId } = useSession();

  if (evaluation?.status === 'running') {
    const p = evaluation.progress;
    return (
      <span style={{ color: 'var(--muted)' }} role="status" aria-label={`Evaluating ${run.label} on ${TASK_LABEL[task]}`}>
        evaluating…{p ? ` ${PHASE[p.phase]} ${p.done}/${p.total}` : ''}
      </span>
    );
  }
  const r = run.genre?.[task];
  if (r) {
    const title = `Fine-tuned ${r.steps} steps on ${r.trainPassages} training passages; ${r.testPassages} test passages. `
      + `Majority class (${r.majority.label}): ${(100 * r.majority.accuracy).toFixed(1)}% / ${r.majority.macroF1.toFixed(2)}. `
      + 'Macro-F1 averages F1 over the classes present in the test set.';
    return (
      <span title={title}>
        {(100 * r.accuracy).toFixed(1)}% / {r.macroF1.toFixed(2)}
      </span>
    );
  }
  const finished = (run.status === 'done' || run.status === 'stopped') && run.checkpointStep !== null;
  if (!finished) return <span style={{ color: 'var(--muted)' }}>—</span>;
  const button = (
    <button
      type="button"
      className="small"
      disabled={phase !== 'ready' || activeId !== null || busy}
      title={activeId !== null ? 'Wait for the training run to finish' : `Fine-tune this run's encoder to classify ${TASK_LABEL[task]} of held-out Brown passages`}
      onClick={() => void evaluateRun(run.id, task)}
      aria-label={`Evaluate ${run.label} on ${TASK_LABEL[task]}`}
    >
      Evaluate
    </button>
  );
  if (evaluation?.status === 'failed') {
    return (
      <span role="alert" title={evaluation.message}>
        failed: {evaluation.message} {button}
      </span>
    );
  }
  return button;
}

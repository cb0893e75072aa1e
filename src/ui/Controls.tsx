import { isActive } from '../state/run.ts';
import { useRuns } from '../state/runs.ts';
import { pause, resume, start, stepOnce, stop, useSession } from '../state/session.ts';
import { useBuilt } from './useBuilt.ts';

/** Start / Pause / Resume / Step / Stop, the live step counter, and why Start is disabled. */
export function Controls() {
  const { config, plan, issues } = useBuilt();
  const { phase, activeId } = useSession();
  const runs = useRuns((s) => s.runs);
  const active = runs.find((r) => r.id === activeId) ?? null;
  const shown = active ?? [...runs].reverse().find((r) => r.startedAt !== null) ?? null;
  const queued = runs.filter((r) => r.status === 'queued').length;
  const canStart = phase === 'ready' && !active && issues.length === 0;
  const status = active?.status;

  return (
    <section aria-label="Run controls" className="panel">
      <div className="controls">
        <button
          type="button"
          className="primary"
          disabled={!canStart}
          onClick={() => start(config && plan ? { config, plan, preset: config.schedule.preset } : null)}
        >
          Start
        </button>
        <button type="button" disabled={status !== 'running'} onClick={pause}>
          Pause
        </button>
        <button type="button" disabled={status !== 'paused'} onClick={resume}>
          Resume
        </button>
        <button type="button" disabled={status !== 'paused'} onClick={stepOnce} title="One optimizer step while paused">
          Step
        </button>
        <button type="button" disabled={!active || !isActive(active)} onClick={stop}>
          Stop
        </button>
        <p className="step-counter" aria-live="off">
          {shown ? (
            <>
              <span className="swatch" style={{ background: shown.color }} aria-hidden="true" />
              {shown.label} · {shown.status} · step <output aria-label="Step counter">{shown.step}</output> / {shown.config.train.steps}
            </>
          ) : (
            'No run yet'
          )}
        </p>
      </div>
      <p className="hint">
        {active
          ? `${active.label} trains in the background worker; Pause, Step and Stop act on it${queued > 0 ? `, then ${queued} queued run${queued === 1 ? '' : 's'} follow` : ''}.`
          : queued > 0
            ? `Start runs the queue (${queued} waiting).`
            : 'Start runs the experiment as built (or the queue, once something is queued).'}
      </p>
      {issues.length ? (
        <div className="blocked" role="status">
          Start is disabled: {issues.length === 1 ? 'one problem' : `${issues.length} problems`} in the experiment, each also shown beside its field:
          <ul>
            {issues.map((i) => (
              <li key={`${i.field} ${i.message}`}>
                {i.field ? <code>{i.field}</code> : null} {i.message}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {shown?.status === 'failed' && shown.message ? (
        <p className="banner error" role="alert">
          {shown.label} failed: {shown.message}
        </p>
      ) : null}
    </section>
  );
}

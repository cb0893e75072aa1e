import { startTransition, useEffect, useState } from 'react';
import { PRESET_NAMES, type PresetName } from '../core/schedule/spec.ts';
import { useBuilder } from '../state/builder.ts';
import { runCost } from '../state/cost.ts';
import { etaMs, queueEtaMs } from '../state/eta.ts';
import { presetVariant } from '../state/experiment.ts';
import { describeIssue } from '../state/issue.ts';
import { isActive, isEnded, type Run } from '../state/run.ts';
import { useRuns } from '../state/runs.ts';
import { useSession } from '../state/session.ts';
import { formatDuration } from './format.ts';
import { useRunsShown } from './useRunsShown.ts';
import { useBuilt } from './useBuilt.ts';

/** Re-renders every second so elapsed-time ETAs count down between metric batches. */
function useClock(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    // A transition: the ticking ETAs must not cost the training page a blocking render each second.
    const t = setInterval(() => startTransition(() => setNow(Date.now())), 1000);
    return () => clearInterval(t);
  }, []);
  return now;
}

/** Elapsed ms per forward FLOP, from the active run or else the last finished one. */
function measuredRate(runs: readonly Run[], now: number): number | null {
  const timed = runs.filter((r) => r.startedAt !== null && r.step > 0);
  const r = timed.find(isActive) ?? timed[timed.length - 1];
  if (!r || r.startedAt === null) return null;
  const done = runCost(r).flopsAt(r.step);
  return done > 0 ? ((r.endedAt ?? now) - r.startedAt) / done : null;
}

/**
 * The what-if queue: presets (and the builder's own experiment) run one after another with the
 * same seed, size and steps, so they see the same data order and compare fairly.
 */
export function Queue() {
  const builder = useBuilder();
  const built = useBuilt();
  const runs = useRunsShown(250, 180);
  const enqueue = useRuns((s) => s.enqueue);
  const remove = useRuns((s) => s.remove);
  const { queueRunning, queueSince } = useSession();
  const [picked, setPicked] = useState<PresetName[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const now = useClock();

  const addPresets = () => {
    const variants = picked.map((p) => ({ p, v: presetVariant(builder, p) }));
    const bad = variants.find(({ v }) => v.issues.length);
    if (bad) {
      setProblem(`${bad.p}: ${bad.v.issues.map(describeIssue).join('; ')}`);
      return;
    }
    setProblem(null);
    enqueue(variants.map(({ p, v }) => ({ config: v.config!, plan: v.plan!, preset: p })));
    setPicked([]);
  };

  const pending = runs.filter((r) => !isEnded(r));
  const batch = runs.filter((r) => !isEnded(r) || (queueSince !== null && r.endedAt !== null && r.endedAt >= queueSince));
  const rate = measuredRate(runs, now);
  const left = (r: Run) => {
    if (r.status === 'queued' || r.startedAt === null) return rate === null ? null : r.plan.forwardFlops * rate;
    return etaMs(now - r.startedAt, runCost(r).flopsAt(r.step), r.plan.forwardFlops);
  };
  const active = pending.find(isActive) ?? null;
  const waiting = pending.filter((r) => r.status === 'queued');
  const totalEta = queueEtaMs(active ? left(active) : null, waiting.map((r) => r.plan.forwardFlops), rate);
  // An ended run counts as complete, whether it ran to the end or stopped.
  const totalFlops = batch.reduce((s, r) => s + r.plan.forwardFlops, 0);
  const doneFlops = batch.reduce((s, r) => s + (isEnded(r) ? r.plan.forwardFlops : runCost(r).flopsAt(r.step)), 0);

  return (
    <section aria-label="Queue" className="panel">
      <h2>What-if queue</h2>
      <fieldset>
        <legend>Presets to queue (same size, steps and seed as the experiment)</legend>
        <div className="preset-picks">
          {PRESET_NAMES.map((p) => (
            <label key={p} className="check">
              <input
                type="checkbox"
                checked={picked.includes(p)}
                onChange={(e) => setPicked(e.target.checked ? [...picked, p] : picked.filter((x) => x !== p))}
              />
              {p}
            </label>
          ))}
        </div>
        <div className="controls">
          <button type="button" disabled={picked.length === 0} onClick={addPresets}>
            Add to queue
          </button>
          <button
            type="button"
            disabled={!built.config || !built.plan}
            onClick={() => built.config && built.plan && enqueue([{ config: built.config, plan: built.plan, preset: built.config.schedule.preset }])}
          >
            Queue this experiment
          </button>
        </div>
        {problem ? (
          <p className="field-error" role="alert">
            Cannot queue {problem}
          </p>
        ) : null}
      </fieldset>
      {batch.length === 0 ? (
        <p className="hint">Nothing queued.</p>
      ) : (
        <>
          <ol className="queue-list" aria-label="Queued runs">
            {batch.map((r) => {
              const done = isEnded(r) ? r.plan.forwardFlops : runCost(r).flopsAt(r.step);
              const eta = isEnded(r) ? 0 : left(r);
              return (
                <li key={r.id} className="queue-item">
                  <span>
                    <span className="swatch" style={{ background: r.color }} aria-hidden="true" />
                    {r.label}
                  </span>
                  <progress max={r.plan.forwardFlops} value={done} aria-label={`Progress of ${r.label}`} />
                  <span>
                    {r.status === 'queued' ? (
                      <>
                        waiting · ≈ {formatDuration(eta)}{' '}
                        <button type="button" className="small" onClick={() => remove(r.id)} aria-label={`Remove ${r.label} from the queue`}>
                          ×
                        </button>
                      </>
                    ) : isEnded(r) ? (
                      r.status
                    ) : (
                      `${r.status} · ETA ${formatDuration(eta)}`
                    )}
                  </span>
                </li>
              );
            })}
          </ol>
          <div className="queue-total">
            <progress max={totalFlops} value={doneFlops} aria-label="Queue progress" />
            <span>
              {pending.length === 0
                ? `Queue finished: ${batch.length} run${batch.length === 1 ? '' : 's'}.`
                : `Queue: ${pending.length} run${pending.length === 1 ? '' : 's'} left · ETA ${formatDuration(totalEta)}${queueRunning ? '' : ' · press Start to run it'}`}
            </span>
          </div>
        </>
      )}
    </section>
  );
}

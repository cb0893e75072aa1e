import { BACKEND_NAMES } from '../core/backend-names.ts';
import { useBuilder } from '../state/builder.ts';
import { connect, useSession, type BackendRequest } from '../state/session.ts';
import type { BackendTrial } from '../worker/protocol.ts';
import { SelectField } from './Fields.tsx';

/** Step time as shown: whole milliseconds, one decimal under 10 ms. */
export function formatMsPerStep(ms: number): string {
  return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms/step`;
}

function trialName(t: BackendTrial): string {
  return t.software ? `${t.backend} (software)` : t.backend;
}

/** "wasm 42 ms/step · webgpu (software) 610 ms/step · webgl unavailable", fastest first. */
function TrialList({ trials, chosen }: { trials: readonly BackendTrial[]; chosen: string | null }) {
  // Timed fastest first, then those stopped at their limit, then those that did not run.
  const rank = (t: BackendTrial) => t.msPerStep ?? (t.stoppedAfterMs !== undefined ? 1e12 + t.stoppedAfterMs : Infinity);
  const sorted = [...trials].sort((a, b) => rank(a) - rank(b));
  return (
    <>
      {sorted.map((t, i) => (
        <span key={t.backend} data-backend={t.backend} title={t.error ?? t.adapter ?? undefined}>
          {i > 0 ? ' · ' : ''}
          {t.backend === chosen ? <strong>{trialName(t)}</strong> : trialName(t)}{' '}
          {t.msPerStep !== null
            ? formatMsPerStep(t.msPerStep)
            : t.stoppedAfterMs !== undefined
              ? `stopped after ${(t.stoppedAfterMs / 1000).toFixed(1)} s (slower)`
              : t.error?.startsWith('a training step failed')
                ? 'failed'
                : 'unavailable'}
        </span>
      ))}
    </>
  );
}

const BACKEND_OPTIONS: readonly { value: BackendRequest; label: string }[] = [
  { value: 'auto', label: 'auto (fastest measured)' },
  ...BACKEND_NAMES.map((b) => ({ value: b, label: b })),
];

/**
 * Which backend trains and why: with 'auto' the worker times a few training steps on each backend
 * and keeps the fastest; the times are shown, and the select overrides the choice (a new worker).
 */
export function BackendBadge() {
  const { phase, backend, initError, requested, measuring, measurement, measurementReused, wasm, fusedOff } = useSession();
  const busy = useSession((s) => s.activeId !== null);
  const size = useBuilder((s) => s.size);
  const setBuilder = useBuilder((s) => s.set);

  const select = (
    <div className="backend-select">
      <SelectField<BackendRequest>
        label="Backend"
        value={requested}
        options={BACKEND_OPTIONS}
        disabled={busy}
        onChange={(b) => {
          setBuilder({ backend: b });
          connect(b);
        }}
        hint={busy ? 'Changes once the active run ends.' : undefined}
      />
    </div>
  );

  if (phase === 'failed') {
    return (
      <>
        <div className="banner error" role="alert">
          The training worker could not start: {initError}
        </div>
        {select}
      </>
    );
  }
  if (phase === 'connecting' || !backend) {
    return (
      <>
        <p className="badge" role="status" aria-label="Choosing the backend">
          {measuring ? (
            <span>
              Timing {measuring.size} training steps: <TrialList trials={measuring.trials} chosen={null} />
              {measuring.current ? `${measuring.trials.length ? ' · ' : ''}measuring ${measuring.current}…` : ' · choosing…'}
            </span>
          ) : (
            <span>Starting the {requested === 'auto' ? 'fastest measured' : requested} backend and loading the corpus…</span>
          )}
        </p>
        {select}
      </>
    );
  }
  const trial = measurement?.trials.find((t) => t.backend === backend.name);
  const stale = requested === 'auto' && measurement !== null && measurement.size !== size;
  return (
    <>
      <p className="badge" role="status" aria-label={`Backend: ${backend.name}`}>
        <span className="dot" aria-hidden="true" />
        Backend: <strong>{backend.name}</strong>
        {trial?.software ? <span> (software)</span> : null}
        {wasm ? (
          <span>
            {' '}
            · {wasm.multithread ? 'threaded' : 'single-threaded'}
            {wasm.simd ? ' SIMD' : ''}, {wasm.threads} thread{wasm.threads === 1 ? '' : 's'}
          </span>
        ) : null}
        {backend.adapter ? <span> · {backend.adapter}</span> : null}
        {requested === 'auto' && measurement ? <span> · fastest measured</span> : requested !== 'auto' && requested === backend.name ? <span> · chosen by you</span> : null}
      </p>
      {measurement ? (
        <p className="hint trials" role="status" aria-label="Measured step times">
          {requested === 'auto' ? 'Measured' : 'Auto measured'} at {measurement.size}
          {measurementReused ? ` on ${new Date(measurement.measuredAt).toLocaleString()} (remembered)` : ` in ${(measurement.totalMs / 1000).toFixed(1)} s`}:{' '}
          <TrialList trials={measurement.trials} chosen={requested === 'auto' ? measurement.chosen : null} />
        </p>
      ) : null}
      {select}
      {requested === 'auto' && measurement && !busy ? (
        <p className="hint">
          {stale ? (
            <>
              Measured at {measurement.size}; the builder is at {size}.{' '}
              <button type="button" className="small" onClick={() => connect('auto')}>
                Measure at {size}
              </button>
            </>
          ) : (
            <button type="button" className="small" onClick={() => connect('auto', size, { remeasure: true })}>
              Measure again
            </button>
          )}
        </p>
      ) : null}
      {fusedOff ? (
        <div className="banner warn" role="alert">
          Fused kernels are off: {fusedOff}
        </div>
      ) : null}
      {backend.fallbackReason ? (
        <div className="banner warn" role="alert">
          {backend.requested === 'webgpu' ? 'WebGPU is unavailable' : `${backend.requested} is unavailable`} — training runs on{' '}
          <strong>{backend.name}</strong> instead. Why: {backend.fallbackReason}
        </div>
      ) : null}
    </>
  );
}

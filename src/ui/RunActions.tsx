import { useState } from 'react';
import { useCompare } from '../state/compare.ts';
import { checkpointForDownload, rename } from '../state/persist.ts';
import { isActive, type Run } from '../state/run.ts';
import { useRuns } from '../state/runs.ts';
import { canContinue } from '../state/resume.ts';
import { resumeRun, useSession } from '../state/session.ts';
import { downloadBlob, fileStem } from './download.ts';

/** Saves the run's latest checkpoint as "<label>-step<s>.safetensors". */
async function downloadCheckpoint(run: Run): Promise<void> {
  const c = await checkpointForDownload(run);
  if (c) downloadBlob(new Blob([c.bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }), `${fileStem(run.label, 'run')}-step${c.step}.safetensors`);
}

/** A run's name, edited in place (Enter or leaving the field keeps it, Escape cancels). */
export function RunLabel({ run }: { run: Run }) {
  const [editing, setEditing] = useState(false);
  if (editing) {
    return (
      <input
        className="rename"
        aria-label={`New name for ${run.label}`}
        defaultValue={run.label}
        autoFocus
        onBlur={(e) => {
          rename(run.id, e.currentTarget.value);
          setEditing(false);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') e.currentTarget.blur();
          if (e.key === 'Escape') setEditing(false);
        }}
      />
    );
  }
  return (
    <>
      {run.label}{' '}
      <button type="button" className="small" onClick={() => setEditing(true)} aria-label={`Rename ${run.label}`} title="Rename">
        ✎
      </button>
    </>
  );
}

/** Compare, Resume, Download checkpoint and Delete for one run of the table. */
export function RunActions({ run }: { run: Run }) {
  const shown = !useCompare((s) => s.hidden.includes(run.id));
  const toggle = useCompare((s) => s.toggle);
  const remove = useRuns((s) => s.remove);
  const { phase, activeId } = useSession();
  // A reload interrupted it, or the user stopped it: either way it goes on from its checkpoint.
  const verb = run.status === 'stopped' ? 'Continue' : 'Resume';
  const del = () => {
    if (window.confirm(`Delete ${run.label}? Its curve and checkpoint are removed from this browser.`)) remove(run.id);
  };
  return (
    <span className="run-actions">
      <label className="check" title="Show in the charts and the comparison">
        <input type="checkbox" checked={shown} onChange={(e) => toggle(run.id, e.target.checked)} aria-label={`Compare ${run.label}`} />
      </label>
      {canContinue(run) ? (
        <button
          type="button"
          className="small"
          disabled={phase !== 'ready' || activeId !== null}
          onClick={() => void resumeRun(run.id)}
          aria-label={`${verb} ${run.label} from step ${run.checkpointStep}`}
        >
          {verb}
        </button>
      ) : null}
      {run.checkpointStep !== null ? (
        <button
          type="button"
          className="small"
          onClick={() => void downloadCheckpoint(run)}
          aria-label={`Download checkpoint of ${run.label}`}
          title={`Download checkpoint (step ${run.checkpointStep})`}
        >
          ⤓
        </button>
      ) : null}
      <button type="button" className="small" onClick={del} disabled={isActive(run)} aria-label={`Delete ${run.label}`} title="Delete">
        ×
      </button>
    </span>
  );
}

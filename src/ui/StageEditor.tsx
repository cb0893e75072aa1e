import { useEffect, useState } from 'react';
import { SIZES } from '../core/model/config.ts';
import type { StageSpec } from '../core/schedule/spec.ts';
import { useBuilder } from '../state/builder.ts';
import { issuesFor } from '../state/issue.ts';
import { StageRow } from './StageRow.tsx';
import { useBuilt } from './useBuilt.ts';

/** The schedule's stages; any edit here makes the schedule "custom". */
export function StageEditor() {
  const { schedule, plan, issues } = useBuilt();
  const editStages = useBuilder((s) => s.editStages);
  const size = useBuilder((s) => s.size);
  const growHidden = useBuilder((s) => s.dims.hidden.on);
  // After a move, focus follows the moved stage's button so the keyboard user can keep moving it.
  const [focus, setFocus] = useState<{ index: number; action: 'up' | 'down' } | null>(null);
  useEffect(() => {
    if (!focus) return;
    const pick = (a: string) => document.querySelector<HTMLButtonElement>(`button[data-stage="${focus.index}"][data-action="${a}"]`);
    const btn = pick(focus.action);
    (btn && !btn.disabled ? btn : pick(focus.action === 'up' ? 'down' : 'up'))?.focus();
    setFocus(null);
  }, [focus]);

  if (!schedule) return <p className="hint">No stages: fix the total steps first.</p>;
  const stages = schedule.stages;
  const commit = (next: StageSpec[]) => editStages(next, schedule.ops);
  const move = (i: number, d: -1 | 1) => {
    const next = stages.slice();
    [next[i], next[i + d]] = [next[i + d], next[i]];
    commit(next);
    setFocus({ index: i + d, action: d < 0 ? 'up' : 'down' });
  };
  const stagesIssues = issuesFor(issues, /^(stages|schedule)$/);
  // The d and heads fields: with Grow hidden on, or once any stage names a divisor (a link, an edit).
  const showDims = growHidden || stages.some((st) => st.shape.hiddenDiv !== undefined || st.shape.headsDiv !== undefined);

  return (
    <div>
      <h3 id="stage-editor-title">Stages</h3>
      <ol className="stage-list" aria-labelledby="stage-editor-title">
        {stages.map((st, i) => (
          <StageRow
            key={i}
            index={i}
            count={stages.length}
            stage={st}
            flops={plan?.stages[i] ?? null}
            share={plan ? plan.stages[i].forwardFlops / plan.forwardFlops : null}
            issues={issues}
            target={SIZES[size].model}
            showDims={showDims}
            onChange={(s) => commit(stages.map((x, j) => (j === i ? s : x)))}
            onMove={(d) => move(i, d)}
            onRemove={() => commit(stages.filter((_, j) => j !== i))}
          />
        ))}
      </ol>
      {stagesIssues.map((m) => (
        <p key={m} className="field-error">
          {m}
        </p>
      ))}
      <p>
        <button type="button" onClick={() => commit([...stages, { ...stages[stages.length - 1] }])}>
          Add stage
        </button>
      </p>
    </div>
  );
}

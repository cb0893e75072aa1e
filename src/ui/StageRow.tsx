import type { ModelConfig } from '../core/model/config.ts';
import type { StageFlopsPlan } from '../core/schedule/flops.ts';
import { LENGTH_MODES, OPT_POLICIES, POOL_REDUCES, stageLabel, type StageShape, type StageSpec } from '../core/schedule/spec.ts';
import { LR_POLICIES } from '../core/train/lr.ts';
import { issueFor, issuesFor, type FieldIssue } from '../state/issue.ts';
import { NumberField, SelectField } from './Fields.tsx';
import { formatFlops } from './format.ts';

/** Whether `div` is a whole divisor of `of`, so the stage's size is a whole number worth showing. */
function divides(div: number, of: number): boolean {
  return Number.isInteger(div) && div > 0 && of % div === 0;
}

interface Props {
  index: number;
  count: number;
  stage: StageSpec;
  flops: StageFlopsPlan | null;
  /** Share of the schedule's forward FLOPs. */
  share: number | null;
  issues: readonly FieldIssue[];
  /** The target model, for the stage's d and heads in its label and hints. */
  target: Pick<ModelConfig, 'hidden' | 'heads'>;
  /** Whether the stage shows its hidden-size and heads divisors (Grow hidden is on, or a stage sets one). */
  showDims: boolean;
  onChange(stage: StageSpec): void;
  onMove(delta: -1 | 1): void;
  onRemove(): void;
}

/** One stage of the schedule: its shape, steps and policies, with buttons to move or remove it. */
export function StageRow({ index, count, stage, flops, share, issues, target, showDims, onChange, onMove, onRemove }: Props) {
  const p = `stages[${index}]`;
  const n = index + 1;
  const err = (f: string) => issueFor(issues, `${p}.${f}`);
  const shape = (patch: Partial<StageShape>) => onChange({ ...stage, shape: { ...stage.shape, ...patch } });
  const own = (text: string) => (
    <>
      <span className="visually-hidden">Stage {n} </span>
      {text}
    </>
  );
  const hiddenDiv = stage.shape.hiddenDiv ?? 1;
  const headsDiv = stage.shape.headsDiv ?? 1;
  // The stage's own d and heads once both divide the target's (their fields say why not, otherwise d/k · H/m).
  const label = stageLabel(stage.shape, divides(hiddenDiv, target.hidden) && divides(headsDiv, target.heads) ? target : undefined);
  const general = issuesFor(issues, new RegExp(`^${p.replace(/[[\]]/g, '\\$&')}(\\.model\\..*|\\.shape)?$`));

  return (
    <li className="stage-item" aria-label={`Stage ${n}: ${label}`}>
      <div className="stage-head">
        <span className="stage-title">
          Stage {n} · {label}
        </span>
        <span className="stage-buttons">
          <button type="button" className="small" data-stage={index} data-action="up" disabled={index === 0} onClick={() => onMove(-1)} aria-label={`Move stage ${n} up`}>
            ↑
          </button>
          <button
            type="button"
            className="small"
            data-stage={index}
            data-action="down"
            disabled={index === count - 1}
            onClick={() => onMove(1)}
            aria-label={`Move stage ${n} down`}
          >
            ↓
          </button>
          <button type="button" className="small" disabled={count === 1} onClick={onRemove} aria-label={`Remove stage ${n}`}>
            Remove
          </button>
        </span>
      </div>
      <div className="grid3">
        <NumberField label={own('Steps')} value={stage.steps} step={1} min={1} onChange={(steps) => onChange({ ...stage, steps })} error={err('steps')} />
        <NumberField label={own('Layers')} value={stage.shape.layers} step={1} min={1} onChange={(layers) => shape({ layers })} error={err('shape.layers')} />
        <NumberField label={own('FFN divisor')} value={stage.shape.ffnDiv} step={1} min={1} onChange={(ffnDiv) => shape({ ffnDiv })} error={err('shape.ffnDiv')} />
        <NumberField label={own('FFN rank (0 = dense)')} value={stage.shape.ffnRank} step={1} min={0} onChange={(ffnRank) => shape({ ffnRank })} error={err('shape.ffnRank')} />
        {showDims ? (
          <>
            <NumberField
              label={own('Hidden divisor')}
              value={hiddenDiv}
              step={1}
              min={1}
              hint={divides(hiddenDiv, target.hidden) ? `d = ${target.hidden / hiddenDiv}` : null}
              onChange={(v) => shape({ hiddenDiv: v, headsDiv })}
              error={err('shape.hiddenDiv')}
            />
            <NumberField
              label={own('Heads divisor')}
              value={headsDiv}
              step={1}
              min={1}
              hint={divides(headsDiv, target.heads) ? `${target.heads / headsDiv} ${target.heads / headsDiv === 1 ? 'head' : 'heads'}` : null}
              onChange={(v) => shape({ hiddenDiv, headsDiv: v })}
              error={err('shape.headsDiv')}
            />
          </>
        ) : null}
        <SelectField
          label={own('Length')}
          value={stage.shape.length}
          options={LENGTH_MODES}
          onChange={(length) => shape({ length, lengthFactor: length === 'full' ? 1 : Math.max(2, stage.shape.lengthFactor) })}
          error={err('shape.length')}
        />
        <NumberField
          label={own('Length factor')}
          value={stage.shape.lengthFactor}
          step={1}
          min={1}
          disabled={stage.shape.length === 'full'}
          onChange={(lengthFactor) => shape({ lengthFactor })}
          error={err('shape.lengthFactor')}
        />
        {stage.shape.length === 'pool' ? (
          <SelectField label={own('Pool reduction')} value={stage.shape.poolReduce} options={POOL_REDUCES} onChange={(poolReduce) => shape({ poolReduce })} error={err('shape.poolReduce')} />
        ) : null}
        <SelectField label={own('Learning-rate policy')} value={stage.lrPolicy} options={LR_POLICIES} onChange={(lrPolicy) => onChange({ ...stage, lrPolicy })} error={err('lrPolicy')} />
        <SelectField label={own('Optimizer policy')} value={stage.optPolicy} options={OPT_POLICIES} onChange={(optPolicy) => onChange({ ...stage, optPolicy })} error={err('optPolicy')} />
      </div>
      {general.map((m) => (
        <p key={m} className="field-error">
          {m}
        </p>
      ))}
      {flops ? (
        <p className="hint">
          {formatFlops(flops.forwardFlops)} forward ({formatFlops(flops.forwardFlopsPerStep)} per step){share !== null ? ` · ${(100 * share).toFixed(0)}% of the schedule` : ''}
        </p>
      ) : null}
    </li>
  );
}

import { SIZE_NAMES, SIZES } from '../core/model/config.ts';
import { OPT_POLICIES, PRESET_NAMES, type PresetName } from '../core/schedule/spec.ts';
import { LR_POLICIES } from '../core/train/lr.ts';
import { useBuilder } from '../state/builder.ts';
import { issueFor } from '../state/issue.ts';
import { DimensionToggles } from './DimensionToggles.tsx';
import { NumberField, SelectField } from './Fields.tsx';
import { FlopsSummary } from './FlopsSummary.tsx';
import { GardenExport } from './GardenExport.tsx';
import { SchedulePicture } from './SchedulePicture.tsx';
import { StageEditor } from './StageEditor.tsx';
import { useBuilt } from './useBuilt.ts';

/** Model, training settings and the growth schedule of the next experiment. */
export function Builder() {
  const b = useBuilder();
  const { schedule, issues } = useBuilt();
  const m = SIZES[b.size].model;
  const t = SIZES[b.size].train;
  const preset = schedule?.preset ?? (b.source === 'preset' ? b.preset : 'custom');

  return (
    <section aria-label="Experiment builder" className="panel">
      <h2>Experiment</h2>
      <fieldset>
        <legend>Model</legend>
        <div className="grid2">
          <SelectField label="Model size" value={b.size} options={SIZE_NAMES} onChange={b.setSize} />
          <SelectField
            label="Norm"
            value={b.norm}
            options={[
              { value: 'post', label: 'post-LN' },
              { value: 'pre', label: 'pre-LN' },
            ]}
            onChange={b.setNorm}
            error={issueFor(issues, 'model.norm')}
          />
        </div>
        <p className="hint">
          L{m.layers} · d{m.hidden} · F{m.ffn} · {m.heads} heads · n{t.seqLen} · batch {t.batchSize} · vocab {m.vocabSize}
        </p>
      </fieldset>

      <fieldset>
        <legend>Training</legend>
        <div className="grid2">
          <NumberField label="Total steps" value={b.totalSteps} step={1} min={1} onChange={b.setTotalSteps} error={issueFor(issues, 'train.steps')} />
          <NumberField label="Peak learning rate" value={b.lr} step={0.0001} min={0} onChange={(lr) => b.set({ lr })} error={issueFor(issues, 'train.lr')} />
          <NumberField
            label="Validate every (steps)"
            value={b.evalEvery}
            step={1}
            min={1}
            onChange={(evalEvery) => b.set({ evalEvery })}
            error={issueFor(issues, 'train.evalEvery')}
          />
          <NumberField
            label="Validation batches"
            value={b.evalBatches}
            step={1}
            min={1}
            onChange={(evalBatches) => b.set({ evalBatches })}
            error={issueFor(issues, 'train.evalBatches')}
          />
          <NumberField label="Seed" value={b.seed} step={1} min={0} onChange={(seed) => b.set({ seed })} error={issueFor(issues, 'seed')} />
        </div>
      </fieldset>

      <fieldset>
        <legend>Schedule</legend>
        <div className="grid3">
          <SelectField<PresetName | 'custom'>
            label="Preset"
            value={preset}
            options={[...PRESET_NAMES, 'custom']}
            onChange={(name) => b.choosePreset(name, schedule?.stages ?? b.handStages, schedule?.ops ?? b.handOps)}
            error={issueFor(issues, 'preset')}
          />
          <SelectField
            label="Stage learning rate"
            value={b.policies.lrPolicy}
            options={LR_POLICIES}
            onChange={(lrPolicy) => b.setPolicies({ ...b.policies, lrPolicy })}
          />
          <SelectField
            label="Stage optimizer"
            value={b.policies.optPolicy}
            options={OPT_POLICIES}
            onChange={(optPolicy) => b.setPolicies({ ...b.policies, optPolicy })}
          />
        </div>
        <DimensionToggles />
        <FlopsSummary />
        <SchedulePicture />
        <GardenExport />
        <StageEditor />
      </fieldset>
    </section>
  );
}

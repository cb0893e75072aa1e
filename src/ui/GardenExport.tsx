import { useState } from 'react';
import { GARDEN_TARGETS, modelGardenConfig, type GardenTarget } from '../core/export/model-garden.ts';
import { downloadText, fileStem } from './download.ts';
import { SelectField } from './Fields.tsx';
import { InlineError } from './InlineError.tsx';
import { useBuilt } from './useBuilt.ts';

type Target = GardenTarget | 'lab';

/** Downloads the builder's schedule as a Model Garden progressive-training YAML (see README "Scaling out: Model Garden"). */
export function GardenExport() {
  const { config, issues } = useBuilt();
  const [target, setTarget] = useState<Target>('bert-base');
  const [error, setError] = useState<string | null>(null);
  const save = () => {
    if (!config) return;
    setError(null);
    try {
      const yaml = modelGardenConfig(config, target === 'lab' ? {} : { target });
      downloadText(yaml, `${fileStem(`${config.schedule.preset}-${target === 'lab' ? config.size : target}`)}-model-garden.yaml`, 'application/yaml');
    } catch (e) {
      setError(`Cannot export this schedule: ${(e as Error).message}`);
    }
  };
  return (
    <div className="export-row garden-export">
      <SelectField<Target>
        label="Model Garden size"
        value={target}
        options={[...GARDEN_TARGETS, { value: 'lab', label: 'as built' }]}
        onChange={setTarget}
      />
      <button type="button" className="small" disabled={!config || issues.length > 0} onClick={save} title={issues.length ? 'Fix the builder\'s errors first' : undefined}>
        Export for Model Garden
      </button>
      <InlineError message={error} />
    </div>
  );
}

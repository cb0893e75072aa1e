import { PRESET_NAMES, type PresetName } from '../core/schedule/spec.ts';
import { buildPreset } from '../core/schedule/presets.ts';
import { validateSchedule } from '../core/schedule/validate.ts';
import { FLOPS_MODELS, FLOPS_MODEL_NAMES, scheduleFlops, type FlopsModelName } from '../core/schedule/flops.ts';
import { SIZES } from '../core/model/config.ts';
import { UsageError, choice, parseFlags, positiveInt } from './args.ts';

export const FLOPS_FLAGS = {
  preset: { type: 'string' },
  model: { type: 'string' },
  'total-steps': { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** The paper's runs are 1M steps; the lab's sizes default to their own step counts. */
function defaultSteps(model: FlopsModelName): number {
  return model === 'bert-base' || model === 'bert-large' ? 1_000_000 : SIZES[model].train.steps;
}

export async function flopsCommand(argv: string[]): Promise<void> {
  const v = parseFlags(argv, FLOPS_FLAGS, 'flops');
  if (v.preset === undefined) throw new UsageError(`flops: --preset is required (allowed: ${PRESET_NAMES.join(', ')})`);
  const preset = choice<PresetName>('preset', v.preset, PRESET_NAMES, 'baseline');
  const modelName = choice<FlopsModelName>('model', v.model, FLOPS_MODEL_NAMES, 'tiny');
  const steps = positiveInt('total-steps', v['total-steps'], defaultSteps(modelName));
  const m = FLOPS_MODELS[modelName];
  const spec = buildPreset(preset, steps, m.model);
  validateSchedule(spec, m.model, { seqLen: m.seqLen, steps });
  const plan = scheduleFlops(spec, m.model, m);
  if (v.json) {
    console.log(JSON.stringify({
      preset,
      model: modelName,
      stages: plan.stages,
      flops: plan.forwardFlops,
      trainingFlops: plan.flops,
      baselineFlops: plan.baselineForwardFlops,
      baselineTrainingFlops: plan.baselineFlops,
      flopsSpeedup: plan.flopsSpeedup,
    }));
    return;
  }
  console.log(`${preset} on ${modelName} (B=${m.batchSize}, n=${m.seqLen}, ${steps} steps); forward FLOPs (training = 3x):`);
  for (const s of plan.stages) {
    const growth = s.growthForwardFlops > 0 ? `  + ${s.growthForwardFlops.toExponential(3)} growth (LiGO)` : '';
    console.log(`  ${s.label.padEnd(24)} ${String(s.steps).padStart(9)} steps  ${s.forwardFlopsPerStep.toExponential(3)}/step  ${s.forwardFlops.toExponential(3)} total${growth}`);
  }
  console.log(`total ${plan.forwardFlops.toExponential(3)}  baseline ${plan.baselineForwardFlops.toExponential(3)}  speed-up ${plan.flopsSpeedup.toFixed(3)}x`);
}

import { writeAtomic } from '../node/write-atomic.ts';
import { checkOutputs } from './outputs.ts';
import { SIZE_NAMES, SIZES, defaultLr, type SizeName } from '../core/model/config.ts';
import type { ExperimentConfig } from '../core/run/config.ts';
import { validateExperiment } from '../core/run/config.ts';
import { buildPreset } from '../core/schedule/presets.ts';
import { PRESET_NAMES, type PresetName } from '../core/schedule/spec.ts';
import { GARDEN_TARGETS, gardenPlan, modelGardenConfig, type GardenScale, type GardenTarget } from '../core/export/model-garden.ts';
import { choice, nonNegativeInt, parseFlags, positiveInt, positiveNumber } from './args.ts';

export const GARDEN_FLAGS = {
  preset: { type: 'string' },
  size: { type: 'string' },
  norm: { type: 'string' },
  target: { type: 'string' },
  steps: { type: 'string' },
  batch: { type: 'string' },
  lr: { type: 'string' },
  warmup: { type: 'string' },
  out: { type: 'string' },
} as const;

type TargetFlag = GardenTarget | 'lab';
const TARGET_FLAGS: readonly TargetFlag[] = [...GARDEN_TARGETS, 'lab'];

/** `growlab garden`: a preset schedule as a Model Garden (grow_bert) progressive-training YAML. */
export async function gardenCommand(argv: string[]): Promise<void> {
  const v = parseFlags(argv, GARDEN_FLAGS, 'garden');
  const preset = choice<PresetName>('preset', v.preset, PRESET_NAMES, 'compound');
  const size = choice<SizeName>('size', v.size, SIZE_NAMES, 'small');
  const norm = choice<'pre' | 'post'>('norm', v.norm, ['post', 'pre'], 'post');
  const target = choice<TargetFlag>('target', v.target, TARGET_FLAGS, 'bert-base');
  const { model: base, train } = SIZES[size];
  const model = { ...base, norm };
  // "As built" keeps the lab's tested rate for the placement (post-LN has its own).
  const cfg: ExperimentConfig = { size, model, train: { ...train, lr: defaultLr(size, norm) }, schedule: buildPreset(preset, train.steps, model), seed: 1 };
  validateExperiment(cfg);
  const lr = positiveNumber('lr', v.lr);
  const scale: GardenScale = {
    target: target === 'lab' ? undefined : target,
    totalSteps: v.steps === undefined ? undefined : positiveInt('steps', v.steps, 1),
    batchSize: v.batch === undefined ? undefined : positiveInt('batch', v.batch, 1),
    warmupSteps: v.warmup === undefined ? undefined : nonNegativeInt('warmup', v.warmup, 0),
    lr,
  };
  const yaml = modelGardenConfig(cfg, scale);
  const { notes, stages, totalSteps } = gardenPlan(cfg, scale);
  if (typeof v.out === 'string') {
    // A config is derived from the flags and remade at will: replacing one needs no --force.
    checkOutputs([{ what: '--out', path: v.out }], { force: true });
    writeAtomic(v.out, yaml);
    console.log(`wrote ${v.out}: ${stages.length} stages (${stages.map((s) => `${s.label} ×${s.numSteps}`).join(', ')}), ${totalSteps} steps`);
  } else {
    process.stdout.write(yaml);
  }
  for (const n of notes) process.stderr.write(`note: ${n}\n`);
}

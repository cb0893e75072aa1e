import { SIZES, type ModelConfig } from '../model/config.ts';
import { paramShapes } from '../model/shapes.ts';
import type { ExperimentConfig } from '../run/config.ts';
import { buildPreset } from '../schedule/presets.ts';
import { summarize, type RunRecord } from '../train/record.ts';
import type { Checkpoint, TensorData } from './format.ts';

/** A one-layer model small enough that a checkpoint is a few kilobytes. */
export const sampleModel: ModelConfig = { ...SIZES.tiny.model, vocabSize: 50, hidden: 8, heads: 2, ffn: 16, maxLen: 8, layers: 1 };

function tensors(model: ModelConfig, value: (i: number) => number): Map<string, TensorData> {
  return new Map([...paramShapes(model)].map(([name, shape]) => [name, { shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => value(i)) }]));
}

/**
 * A consistent checkpoint at step 2 of a 4-step one-stage run, as Experiment.checkpoint() would
 * take it, without tfjs: its weights are made up, everything else fits together.
 */
export function sampleCheckpoint(): Checkpoint {
  const model = sampleModel;
  const train = { ...SIZES.tiny.train, seqLen: 8, steps: 4, warmupSteps: 1, evalEvery: 2, evalBatches: 2 };
  const config: ExperimentConfig = { size: 'custom', model, train, schedule: buildPreset('baseline', 4, model), seed: 1 };
  const steps = [1, 2].map((step) => ({ step, loss: 4 - step / 10, lr: 1e-3, gradNorm: 1.5, tokens: 60, wallMs: 12 }));
  const base = {
    format: 'growlab-run' as const, version: 1 as const, createdAt: '2026-01-01T00:00:00.000Z',
    config: { model, train, seed: 1, backend: 'cpu', schedule: config.schedule },
    steps,
    validation: [{ step: 2, loss: 3.9, accuracy: 0.05, stderr: 0.1, predictions: 20 }],
    stages: [{ index: 0, label: 'L1', startStep: 0, endStep: 4, shape: { model, seqLen: 8, pool: null }, flops: 1000, wallMs: 24 }],
    growthEvents: [],
    wallTimeMs: 24,
    tokensSeen: 120,
  };
  const record: RunRecord = { ...base, summary: summarize(base) };
  const rng = [1, 2, 3, 4];
  const state = { stageStart: 0, stepsInStage: 2, growthRng: rng, cursors: { '8': { epoch: 0, index: 16, rng } }, stageWallMs: 24, trainWallMs: 24, tokensSeen: 120 };
  return {
    config, step: 2, stageIndex: 0, model, backend: 'cpu', record, state,
    params: tensors(model, (i) => Math.sin(i) / 10),
    adam: { step: 2, m: tensors(model, () => 0.5), v: tensors(model, (i) => (i % 7) / 100) },
  };
}

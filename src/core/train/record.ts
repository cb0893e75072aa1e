import type { ModelConfig, PoolSetting, SizeName, TrainConfig } from '../model/config.ts';

/** One optimizer step as read back from the device. */
export interface StepMetrics {
  /** Steps completed in the run including this one (1-based): the x-axis of loss curves. */
  step: number;
  /** Training MLM loss of this step's batch (NaN/Infinity when training diverged). */
  loss: number;
  lr: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Non-pad tokens in this step's batch. */
  tokens: number;
  /** Wall time of the step; the awaited metrics read is shared evenly by the steps it covers. */
  wallMs: number;
}

export interface ValidationPoint {
  /** Steps completed when the held-out set was evaluated. */
  step: number;
  loss: number;
  accuracy: number;
  /** Standard error of `loss` (std of per-prediction losses / sqrt(predictions)); absent in older records. */
  stderr?: number;
  /** Predictions in the validation set; absent in older records. */
  predictions?: number;
}

export interface StageShape {
  model: ModelConfig;
  seqLen: number;
  pool: PoolSetting | null;
}

export interface StageRecord {
  index: number;
  label: string;
  /** Steps completed before the stage: its steps are startStep+1 .. endStep. */
  startStep: number;
  endStep: number;
  shape?: StageShape;
  /** Forward-pass FLOPs of the whole stage (the paper's convention). */
  flops?: number;
  wallMs: number;
}

export interface GrowthEventRecord {
  /** Steps completed when the model grew. */
  step: number;
  fromLabel: string;
  toLabel: string;
  /** Human-readable growth operators applied, in order (e.g. "depth:stack"). */
  ops: string[];
  /** Held-out MLM loss just before and just after growing, on the same batches. */
  lossBefore: number;
  lossAfter: number;
  /** Largest |logit difference| between the model before and after growing, on the same batch. */
  maxAbsLogitDiff: number;
  /** Whether the operators claim to preserve the function. */
  preserving?: boolean;
  /** Width share only: how far the FFN copies had moved apart when next measured (absent in older records). */
  copySeparation?: CopySeparation;
}

/** See growth/separation.ts: relative differences between the copies W1 share growth made, per layer. */
export interface CopySeparation {
  /** Steps completed when measured: the first validation after the growth, or the next growth if that comes first. */
  step: number;
  /** The relative difference of each layer's least separated pair of copies. */
  perLayer: number[];
  maxRelDiff: number;
  minRelDiff: number;
}

/** What the CLI prints and the lab shows for a finished run. */
export interface RunSummary {
  /** Steps completed. */
  steps: number;
  /** Mean training loss over the first SUMMARY_WINDOW steps (single steps are too noisy); null with no steps. */
  firstLoss: number | null;
  /** Mean training loss over the last SUMMARY_WINDOW steps; null with no steps. */
  finalLoss: number | null;
  /** Last held-out evaluation; null when none ran. */
  valLoss: number | null;
  valAcc: number | null;
  /** tokensSeen / wall time; null when no time was recorded. */
  tokensPerSec: number | null;
  backend: string;
}

export interface RunRecord {
  format: 'growlab-run';
  version: 1;
  /** ISO 8601. */
  createdAt: string;
  config: {
    size?: SizeName;
    model: ModelConfig;
    train: TrainConfig;
    seed: number;
    backend: string;
    schedule?: unknown;
  };
  steps: StepMetrics[];
  validation: ValidationPoint[];
  stages: StageRecord[];
  growthEvents: GrowthEventRecord[];
  wallTimeMs: number;
  tokensSeen: number;
  summary: RunSummary;
  /** The CLI's final checkpoint of this run, relative to the run file (set by `growlab train --out`). */
  checkpoint?: string;
}

/** Steps averaged for firstLoss and finalLoss (windows overlap when a run is shorter than two). */
export const SUMMARY_WINDOW = 10;

export function summarize(record: Omit<RunRecord, 'summary'>): RunSummary {
  const { steps, validation } = record;
  const lastVal = validation.length ? validation[validation.length - 1] : null;
  return {
    steps: steps.length ? steps[steps.length - 1].step : 0,
    firstLoss: meanLoss(steps.slice(0, SUMMARY_WINDOW)),
    finalLoss: meanLoss(steps.slice(-SUMMARY_WINDOW)),
    valLoss: lastVal ? lastVal.loss : null,
    valAcc: lastVal ? lastVal.accuracy : null,
    tokensPerSec: record.wallTimeMs > 0 ? record.tokensSeen / (record.wallTimeMs / 1000) : null,
    backend: record.config.backend,
  };
}

function meanLoss(window: StepMetrics[]): number | null {
  if (window.length === 0) return null;
  return window.reduce((s, m) => s + m.loss, 0) / window.length;
}

import type { ModelConfig, TrainConfig } from '../core/model/config.ts';
import { scheduleFlops } from '../core/schedule/flops.ts';
import { stageLabel, stageModelConfig, type ScheduleSpec } from '../core/schedule/spec.ts';

/** Where a stage lies along the run, as fractions of the whole (0 to 1). */
export interface Extent {
  start: number;
  width: number;
}

/** One stage as the builder draws it, before it runs. */
export interface PictureStage {
  /** 1-based, as the stage editor numbers its stages. */
  number: number;
  label: string;
  startStep: number;
  endStep: number;
  /** Along the run's steps. */
  steps: Extent;
  /** Along the schedule's forward FLOPs. */
  flops: Extent;
  /** The stage's size against the full model, each 0 to 1: layers, FFN width F, hidden size d. */
  depth: number;
  ffn: number;
  hidden: number;
  /** Tokens per sequence the layers run on (after pooling or truncation) against the full length n. */
  length: number;
  /** Its FFN is a rank-h factorization: full width, but not a dense one, so it is drawn differently. */
  factorized: boolean;
  /** The stage in words, for readers of the picture who cannot see it. */
  text: string;
}

export interface SchedulePicture {
  stages: PictureStage[];
  totalSteps: number;
  /** A one-line name for the whole picture. */
  title: string;
}

/** Shares under 1% still cost something, so they never read as 0%. */
function percent(share: number): string {
  return share > 0 && share < 0.01 ? '<1%' : `${Math.round(100 * share)}%`;
}

/** Each stage's extent along a run whose stages have these amounts (steps or FLOPs), in order. */
function extents(amounts: readonly number[]): Extent[] {
  const total = amounts.reduce((a, b) => a + b, 0);
  let start = 0;
  return amounts.map((a) => {
    const e = { start: start / total, width: a / total };
    start += a;
    return e;
  });
}

/**
 * The drawable stages of a schedule growing to `model` at `train`'s batch: sizes come from the same
 * helpers the run uses (stageModelConfig, and the FLOPs plan's stream length), so the picture and
 * the FLOPs summary cannot disagree. Expects a validated schedule.
 */
export function schedulePicture(config: { schedule: ScheduleSpec; model: ModelConfig; train: Pick<TrainConfig, 'batchSize' | 'seqLen'> }): SchedulePicture {
  const { schedule, model, train } = config;
  const plan = scheduleFlops(schedule, model, train);
  const byStep = extents(schedule.stages.map((s) => s.steps));
  const byFlops = extents(plan.stages.map((s) => s.forwardFlops));
  const totalSteps = schedule.stages.reduce((a, s) => a + s.steps, 0);
  let from = 0;
  const stages = schedule.stages.map((stage, i): PictureStage => {
    const m = stageModelConfig(model, stage.shape);
    const startStep = from;
    from += stage.steps;
    const label = stageLabel(stage.shape, model);
    return {
      number: i + 1,
      label,
      startStep,
      endStep: from,
      steps: byStep[i],
      flops: byFlops[i],
      depth: m.layers / model.layers,
      ffn: m.ffn / model.ffn,
      hidden: m.hidden / model.hidden,
      length: plan.stages[i].queryLen / train.seqLen,
      factorized: m.ffnRank > 0,
      text: `stage ${i + 1}: steps ${startStep}–${from}, ${percent(byFlops[i].width)} of FLOPs, ${label}`,
    };
  });
  const count = stages.length === 1 ? '1 stage' : `${stages.length} stages`;
  return { stages, totalSteps, title: `Schedule picture: ${count} over ${totalSteps} steps` };
}

import Papa from 'papaparse';
import type { StageRecord, StepMetrics, ValidationPoint } from '../train/record.ts';

/**
 * Exports of recorded metrics as CSV and JSON. They take plain data (a RunRecord or the lab's Run
 * both fit), so the command line and the browser write the same files.
 */

/** What a per-step export needs from a run. */
export interface MetricsSource {
  label?: string;
  preset?: string;
  steps: readonly StepMetrics[];
  validation: readonly ValidationPoint[];
  stages: readonly Pick<StageRecord, 'index' | 'label' | 'startStep' | 'endStep'>[];
}

/** One optimizer step as exported; validation cells are null where no evaluation ran after that step. */
export interface MetricsRow {
  step: number;
  stageIndex: number | null;
  stageLabel: string | null;
  loss: number;
  lr: number;
  gradNorm: number;
  tokens: number;
  wallMs: number;
  /** Training wall time up to and including this step, summed over the exported steps. */
  cumWallMs: number;
  valLoss: number | null;
  valAcc: number | null;
}

const METRICS_COLUMNS: readonly [keyof MetricsRow, string][] = [
  ['step', 'step'],
  ['stageIndex', 'stage_index'],
  ['stageLabel', 'stage_label'],
  ['loss', 'loss'],
  ['lr', 'lr'],
  ['gradNorm', 'grad_norm'],
  ['tokens', 'tokens'],
  ['wallMs', 'wall_ms'],
  ['cumWallMs', 'cum_wall_ms'],
  ['valLoss', 'val_loss'],
  ['valAcc', 'val_acc'],
];

export const METRICS_HEADER: readonly string[] = METRICS_COLUMNS.map(([, h]) => h);

/** One row per recorded optimizer step, in step order. */
export function metricsRows(run: MetricsSource): MetricsRow[] {
  const valAt = new Map<number, ValidationPoint>();
  for (const v of run.validation) valAt.set(v.step, v);
  let cum = 0;
  return run.steps.map((m) => {
    cum += m.wallMs;
    // Stages cover startStep+1 .. endStep; a running stage's endStep is its planned end.
    const stage = run.stages.find((s) => m.step > s.startStep && m.step <= s.endStep) ?? null;
    const val = valAt.get(m.step) ?? null;
    return {
      step: m.step,
      stageIndex: stage ? stage.index : null,
      stageLabel: stage ? stage.label : null,
      loss: m.loss,
      lr: m.lr,
      gradNorm: m.gradNorm,
      tokens: m.tokens,
      wallMs: m.wallMs,
      cumWallMs: cum,
      valLoss: val ? val.loss : null,
      valAcc: val ? val.accuracy : null,
    };
  });
}

export function runMetricsCsv(run: MetricsSource): string {
  return toCsv(METRICS_COLUMNS, metricsRows(run));
}

/**
 * The same rows as JSON, with the stages and every validation point. JSON has no NaN or Infinity:
 * a diverged step's loss is written as null (the CSV keeps "NaN" / "Infinity").
 */
export function runMetricsJson(run: MetricsSource): string {
  return `${JSON.stringify(
    {
      format: 'growlab-metrics',
      version: 1,
      label: run.label ?? null,
      preset: run.preset ?? null,
      stages: run.stages.map(({ index, label, startStep, endStep }) => ({ index, label, startStep, endStep })),
      validation: run.validation,
      steps: metricsRows(run),
    },
    null,
    2,
  )}\n`;
}

/** One run as the comparison table shows it (src/ui/RunsTable.tsx); null where not known yet. */
export interface ComparisonRow {
  label: string;
  preset: string;
  status: string;
  /** Optimizer steps completed, and planned. */
  steps: number;
  plannedSteps: number;
  /** Mean training loss over the last logging window (RunSummary.finalLoss). */
  finalLoss: number | null;
  valLoss: number | null;
  valAcc: number | null;
  /** Forward FLOPs trained so far. */
  forwardFlops: number;
  /** Baseline cost ÷ this run's cost to reach the baseline's final validation loss. */
  speedupFlops: number | null;
  speedupWall: number | null;
  wallMs: number;
  tokensPerSec: number | null;
  /** Fine-tuned genre classification of the final checkpoint (accuracy in [0, 1]), null until evaluated. */
  genre4Acc: number | null;
  genre4MacroF1: number | null;
  genre15Acc: number | null;
  genre15MacroF1: number | null;
}

const COMPARISON_COLUMNS: readonly [keyof ComparisonRow, string][] = [
  ['label', 'label'],
  ['preset', 'preset'],
  ['status', 'status'],
  ['steps', 'steps'],
  ['plannedSteps', 'planned_steps'],
  ['finalLoss', 'final_loss'],
  ['valLoss', 'val_loss'],
  ['valAcc', 'val_acc'],
  ['forwardFlops', 'forward_flops'],
  ['speedupFlops', 'speedup_flops'],
  ['speedupWall', 'speedup_wall'],
  ['wallMs', 'wall_ms'],
  ['tokensPerSec', 'tokens_per_sec'],
  ['genre4Acc', 'genre4_acc'],
  ['genre4MacroF1', 'genre4_macro_f1'],
  ['genre15Acc', 'genre15_acc'],
  ['genre15MacroF1', 'genre15_macro_f1'],
];

export const COMPARISON_HEADER: readonly string[] = COMPARISON_COLUMNS.map(([, h]) => h);

export function comparisonCsv(rows: readonly ComparisonRow[]): string {
  return toCsv(COMPARISON_COLUMNS, rows);
}

export function comparisonJson(rows: readonly ComparisonRow[], baseline: string | null): string {
  return `${JSON.stringify({ format: 'growlab-comparison', version: 1, baseline, runs: rows }, null, 2)}\n`;
}

/**
 * RFC 4180 through papaparse: fields with commas, quotes or line breaks are quoted, and a label
 * starting with =, +, - or @ is prefixed with ' so spreadsheets do not run it as a formula.
 * Numbers keep JavaScript's shortest round-trip form; null is an empty cell.
 */
function toCsv<R>(columns: readonly [keyof R, string][], rows: readonly R[]): string {
  const data = rows.map((r) => columns.map(([k]) => cell(r[k])));
  return `${Papa.unparse({ fields: columns.map(([, h]) => h), data }, { newline: '\n', escapeFormulae: true })}\n`;
}

function cell(v: unknown): string | number {
  if (v === null || v === undefined) return '';
  return typeof v === 'number' ? v : String(v);
}

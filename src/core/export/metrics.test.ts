import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import type { StepMetrics } from '../train/record.ts';
import {
  COMPARISON_HEADER,
  METRICS_HEADER,
  comparisonCsv,
  comparisonJson,
  runMetricsCsv,
  runMetricsJson,
  type ComparisonRow,
  type MetricsSource,
} from './metrics.ts';

/** A deterministic run with awkward numbers: 23 steps over two stages, validation every 10 and at the end. */
function sampleRun(): MetricsSource {
  const steps: StepMetrics[] = Array.from({ length: 23 }, (_, i) => ({
    step: i + 1,
    loss: 7.5 / (1 + i * 0.1) + 1e-9 * i,
    lr: 0.002 * Math.min(1, (i + 1) / 7) * (1 / 3),
    gradNorm: 0.1 + Math.sqrt(i) / 7,
    tokens: 240 + (i % 5),
    wallMs: 700 + i * 0.123456789,
  }));
  steps[20].loss = NaN;
  steps[21].loss = Infinity;
  return {
    label: 'stack, "deep" =1',
    preset: 'stack',
    steps,
    validation: [
      { step: 10, loss: 6.25, accuracy: 0.0625 },
      { step: 20, loss: 5.1234567890123, accuracy: 1 / 7 },
      { step: 23, loss: 5.0, accuracy: 0.2 },
    ],
    stages: [
      { index: 0, label: 'L1', startStep: 0, endStep: 12 },
      { index: 1, label: 'L2 · FFN/2, pool 2', startStep: 12, endStep: 23 },
    ],
  };
}

function parse(csv: string): string[][] {
  const out = Papa.parse<string[]>(csv.trimEnd(), { header: false });
  expect(out.errors).toEqual([]);
  return out.data;
}

describe('runMetricsCsv', () => {
  it('writes a header and one row per recorded step, steps in order', () => {
    const run = sampleRun();
    const rows = parse(runMetricsCsv(run));
    expect(rows[0]).toEqual([...METRICS_HEADER]);
    expect(rows.length).toBe(1 + run.steps.length);
    expect(rows.slice(1).map((r) => Number(r[0]))).toEqual(run.steps.map((m) => m.step));
  });

  it('numbers round-trip exactly, including NaN and Infinity losses', () => {
    const run = sampleRun();
    const rows = parse(runMetricsCsv(run)).slice(1);
    const col = (name: string) => METRICS_HEADER.indexOf(name);
    rows.forEach((r, i) => {
      const m = run.steps[i];
      expect(Number(r[col('loss')])).toBe(m.loss);
      expect(Number(r[col('lr')])).toBe(m.lr);
      expect(Number(r[col('grad_norm')])).toBe(m.gradNorm);
      expect(Number(r[col('tokens')])).toBe(m.tokens);
      expect(Number(r[col('wall_ms')])).toBe(m.wallMs);
    });
    expect(rows[20][col('loss')]).toBe('NaN');
    expect(rows[21][col('loss')]).toBe('Infinity');
  });

  it('cumulative wall time is the running sum of step times', () => {
    const run = sampleRun();
    const rows = parse(runMetricsCsv(run)).slice(1);
    const cum = rows.map((r) => Number(r[METRICS_HEADER.indexOf('cum_wall_ms')]));
    let sum = 0;
    for (let i = 0; i < run.steps.length; i++) {
      sum += run.steps[i].wallMs;
      expect(cum[i]).toBeCloseTo(sum, 9);
    }
  });

  it('names the stage of every step from the stage boundaries, and quotes a label with a comma', () => {
    const csv = runMetricsCsv(sampleRun());
    const rows = parse(csv).slice(1);
    const idx = rows.map((r) => r[METRICS_HEADER.indexOf('stage_index')]);
    const label = rows.map((r) => r[METRICS_HEADER.indexOf('stage_label')]);
    expect(idx).toEqual([...Array(12).fill('0'), ...Array(11).fill('1')]);
    expect(label[12]).toBe('L2 · FFN/2, pool 2');
    expect(csv).toContain('"L2 · FFN/2, pool 2"');
  });

  it('fills validation cells only on steps where a validation ran', () => {
    const rows = parse(runMetricsCsv(sampleRun())).slice(1);
    const vl = METRICS_HEADER.indexOf('val_loss');
    const va = METRICS_HEADER.indexOf('val_acc');
    const filled = rows.filter((r) => r[vl] !== '').map((r) => [Number(r[0]), Number(r[vl]), Number(r[va])]);
    expect(filled).toEqual([
      [10, 6.25, 0.0625],
      [20, 5.1234567890123, 1 / 7],
      [23, 5, 0.2],
    ]);
    expect(rows.filter((r) => r[va] === '').length).toBe(20);
  });

  it('an empty run is just the header', () => {
    expect(parse(runMetricsCsv({ steps: [], validation: [], stages: [] }))).toEqual([[...METRICS_HEADER]]);
  });
});

describe('runMetricsJson', () => {
  it('has the same rows as the CSV, with null for non-finite numbers', () => {
    const run = sampleRun();
    const json = JSON.parse(runMetricsJson(run));
    expect(json.format).toBe('growlab-metrics');
    expect(json.label).toBe(run.label);
    expect(json.steps).toHaveLength(23);
    expect(json.steps[0]).toMatchObject({ step: 1, stageIndex: 0, stageLabel: 'L1', loss: run.steps[0].loss, valLoss: null });
    expect(json.steps[9]).toMatchObject({ step: 10, valLoss: 6.25, valAcc: 0.0625 });
    expect(json.steps[20].loss).toBeNull();
    expect(json.validation).toEqual(run.validation);
    expect(json.stages.map((s: { label: string }) => s.label)).toEqual(['L1', 'L2 · FFN/2, pool 2']);
  });
});

describe('comparison exports', () => {
  const rows: ComparisonRow[] = [
    {
      label: 'baseline', preset: 'baseline', status: 'done', steps: 200, plannedSteps: 200, finalLoss: 6.123, valLoss: 6.2, valAcc: 0.11,
      forwardFlops: 1.234e12, speedupFlops: 1, speedupWall: 1, wallMs: 81234.5, tokensPerSec: 987.654321,
      genre4Acc: 0.5625, genre4MacroF1: 0.41, genre15Acc: null, genre15MacroF1: null,
    },
    {
      label: 'compound, "fast"', preset: 'compound', status: 'running', steps: 37, plannedSteps: 200, finalLoss: null, valLoss: null, valAcc: null,
      forwardFlops: 2.5e11, speedupFlops: null, speedupWall: null, wallMs: 9000, tokensPerSec: null,
      genre4Acc: null, genre4MacroF1: null, genre15Acc: null, genre15MacroF1: null,
    },
    {
      label: '=HYPERLINK("x")', preset: 'custom', status: 'failed', steps: 3, plannedSteps: 10, finalLoss: NaN, valLoss: 7, valAcc: 0,
      forwardFlops: 0, speedupFlops: 1.7320508075688772, speedupWall: 0.5, wallMs: 0, tokensPerSec: 0,
      genre4Acc: null, genre4MacroF1: null, genre15Acc: 0.25, genre15MacroF1: 0.125,
    },
  ];

  it('CSV: one row per run, labels quoted, a formula-like label made inert, numbers and blanks round-trip', () => {
    const csv = comparisonCsv(rows);
    const parsed = parse(csv);
    expect(parsed[0]).toEqual([...COMPARISON_HEADER]);
    expect(parsed).toHaveLength(4);
    expect(parsed[2][0]).toBe('compound, "fast"');
    expect(csv).toContain('"compound, ""fast"""');
    expect(parsed[3][0]).toBe(`'=HYPERLINK("x")`);
    const col = (n: string) => COMPARISON_HEADER.indexOf(n);
    expect(Number(parsed[1][col('forward_flops')])).toBe(1.234e12);
    expect(Number(parsed[1][col('tokens_per_sec')])).toBe(987.654321);
    expect(Number(parsed[3][col('speedup_flops')])).toBe(1.7320508075688772);
    expect(parsed[2][col('val_loss')]).toBe('');
    expect(parsed[2][col('speedup_wall')]).toBe('');
    expect(parsed[3][col('final_loss')]).toBe('NaN');
    expect(Number(parsed[1][col('genre4_acc')])).toBe(0.5625);
    expect(parsed[1][col('genre15_acc')]).toBe('');
    expect(Number(parsed[3][col('genre15_macro_f1')])).toBe(0.125);
  });

  it('JSON: the rows as given, and which run is the baseline', () => {
    const json = JSON.parse(comparisonJson(rows, 'baseline'));
    expect(json).toMatchObject({ format: 'growlab-comparison', version: 1, baseline: 'baseline' });
    expect(json.runs).toHaveLength(3);
    expect(json.runs[1]).toEqual(rows[1]);
  });
});

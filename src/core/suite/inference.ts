import { DESIGNS, SWEEP, type ArmName, type Comparison } from './designs.ts';
import { effectiveSpeedup, effectiveSpeedupInterval, holm, marginFromBudgetSweep, nonInferiority, pairedDifference, verdict as differenceVerdict, type PairedDifference as Paired } from './paired.ts';
import type { SuiteResults, SuiteRun } from './results.ts';

/*
 * What the report may conclude from a suite's results: paired per-seed differences of the final
 * validation MLM loss (the arms of one seed share the data order and the validation set), one
 * Holm family over every test the report makes, non-inferiority for "comparable quality", the
 * effective FLOPs speed-up read off the baseline budget sweep, and the gate that withholds every
 * verdict when the budget is too small for model size to matter.
 */

/** A run has left the frequency level when its loss is this far below the frequency-only loss. */
export const FREQUENCY_LEFT_BY = 0.3;
const ALPHA = 0.05;

export type Verdict = 'better' | 'worse' | 'no evidence' | 'non-inferior' | 'not shown non-inferior' | 'one seed' | 'no verdict (gate)' | 'no margin';

export interface Test {
  comparison: string;
  arm: ArmName;
  reference: ArmName;
  kind: Comparison['test'];
  paired: Paired;
  /** Non-inferiority only: the one-sided 95% upper bound of arm − reference, against the margin. */
  bound: number | null;
  p: number | null;
  pHolm: number | null;
  verdict: Verdict;
}

export interface ArmLevel {
  arm: ArmName;
  meanLoss: number;
  /** Frequency-only loss minus the arm's mean final loss (positive: below the frequency level). */
  below: number;
  left: boolean;
}

export interface Gate {
  /** smallest − baseline, paired by seed: positive when the full model does better. */
  paired: Paired | null;
  margin: number;
  passed: boolean;
  reason: string;
}

export interface Speedup {
  arm: ArmName;
  /** Geometric mean over seeds with its 95% interval, over the seeds whose loss the sweep reaches. */
  mean: number | null;
  lo: number | null;
  hi: number | null;
  seeds: number;
  /** Seeds whose final loss is below every point of the baseline sweep: the speed-up is at least `atLeast`. */
  beyond: number;
  atLeast: number | null;
}

export interface SuiteInference {
  tests: Test[];
  levels: ArmLevel[];
  gate: Gate;
  margin: { value: number | null; source: 'declared' | 'budget sweep' };
  speedups: Speedup[];
  /** Largest standard error of a final validation loss in the results, when recorded. */
  validationStderr: number | null;
}

const finalLoss = (run: SuiteRun): number => run.summary.valLoss ?? run.validation.at(-1)?.loss ?? Number.NaN;

/** Final losses of two arms for the seeds both finished, in seed order. */
function pairedLosses(r: SuiteResults, a: ArmName, b: ArmName): Paired {
  const seeds = [...new Set(r.runs.map((x) => x.seed))].sort((x, y) => x - y);
  const xs: number[] = [];
  const ys: number[] = [];
  for (const seed of seeds) {
    const ra = r.runs.find((x) => x.arm === a && x.seed === seed);
    const rb = r.runs.find((x) => x.arm === b && x.seed === seed);
    if (ra && rb) {
      xs.push(finalLoss(ra));
      ys.push(finalLoss(rb));
    }
  }
  return pairedDifference(xs, ys);
}

/** The baseline budget sweep of one seed as (forward FLOPs, final loss) points. */
function sweepOf(r: SuiteResults, seed: number): { flops: number; loss: number }[] {
  return SWEEP_ARMS
    .map((arm) => r.runs.find((x) => x.arm === arm && x.seed === seed))
    .filter((x): x is SuiteRun => x !== undefined && Number.isFinite(finalLoss(x)))
    .map((x) => ({ flops: x.forwardFlops, loss: finalLoss(x) }))
    .sort((a, b) => a.flops - b.flops);
}

/** The baseline and its shorter copies: the arms of the budget sweep. */
const SWEEP_ARMS: readonly ArmName[] = ['baseline', ...SWEEP.map((s) => s.arm)];

function sweepMargin(r: SuiteResults): number | null {
  const perBudget = new Map<number, number[]>();
  for (const run of r.runs) {
    if (!SWEEP_ARMS.includes(run.arm)) continue;
    perBudget.set(run.forwardFlops, [...(perBudget.get(run.forwardFlops) ?? []), finalLoss(run)]);
  }
  const points = [...perBudget].map(([flops, ls]) => ({ flops, loss: ls.reduce((a, b) => a + b, 0) / ls.length }));
  return points.length >= 2 ? marginFromBudgetSweep(points) : null;
}

function levels(r: SuiteResults): ArmLevel[] {
  if (!r.frequency) return [];
  const f = r.frequency.loss;
  return r.arms.flatMap(({ name }) => {
    const ls = r.runs.filter((x) => x.arm === name).map(finalLoss).filter(Number.isFinite);
    if (ls.length === 0) return [];
    const meanLoss = ls.reduce((a, b) => a + b, 0) / ls.length;
    return [{ arm: name, meanLoss, below: f - meanLoss, left: f - meanLoss >= FREQUENCY_LEFT_BY }];
  });
}

function gate(r: SuiteResults): Gate {
  const margin = r.settings.gateMargin;
  const has = (arm: ArmName) => r.runs.some((x) => x.arm === arm);
  if (!has('baseline') || !has('smallest')) {
    return { paired: null, margin, passed: false, reason: `not computed: the results hold no ${has('baseline') ? 'smallest' : 'baseline'} runs, so no comparison gets a verdict` };
  }
  const paired = pairedLosses(r, 'smallest', 'baseline');
  const mean = paired.mean ?? Number.NaN;
  const passed = mean >= margin;
  const by = `${mean.toFixed(3)} nats lower than the smallest stage model's (mean over ${paired.n} seed${paired.n === 1 ? '' : 's'}; declared margin ${margin} nats)`;
  return {
    paired, margin, passed,
    reason: passed
      ? `passed: the baseline's loss is ${by}`
      : `failed: the baseline's loss is only ${by}. At this budget model size does not yet limit the loss, so growing the model cannot show an effect: no comparison gets a verdict. Train longer (--steps) or at a larger size.`,
  };
}

function speedups(r: SuiteResults): Speedup[] {
  const sweeps = new Map([...new Set(r.runs.map((x) => x.seed))].map((seed) => [seed, sweepOf(r, seed)]));
  return r.arms.filter((a) => !SWEEP_ARMS.includes(a.name)).flatMap(({ name }) => {
    const reached: number[] = [];
    const floors: number[] = [];
    for (const [seed, sweep] of sweeps) {
      const run = r.runs.find((x) => x.arm === name && x.seed === seed);
      if (!run || sweep.length < 2 || !Number.isFinite(finalLoss(run))) continue;
      const e = effectiveSpeedup(sweep, finalLoss(run), run.forwardFlops);
      if (e.speedup !== null) reached.push(e.speedup);
      else if (e.atLeast !== null) floors.push(e.atLeast);
    }
    if (reached.length + floors.length === 0) return [];
    const iv = reached.length ? effectiveSpeedupInterval(reached) : null;
    return [{ arm: name, mean: iv?.geoMean ?? null, lo: iv?.lo ?? null, hi: iv?.hi ?? null, seeds: reached.length, beyond: floors.length, atLeast: floors.length ? Math.min(...floors) : null }];
  });
}

/** Every test the report makes, with Holm-adjusted p-values and verdicts (withheld when the gate fails). */
export function suiteInference(r: SuiteResults): SuiteInference {
  const declared = r.settings.margin;
  const margin = declared !== null ? { value: declared, source: 'declared' as const } : { value: sweepMargin(r), source: 'budget sweep' as const };
  const g = gate(r);
  const present = new Set(r.runs.map((x) => x.arm));
  const raw = DESIGNS[r.settings.design].comparisons.flatMap((c) =>
    c.arms.filter((a) => a !== c.reference && present.has(a) && present.has(c.reference)).map((arm) => {
      const paired = pairedLosses(r, arm, c.reference);
      if (c.test === 'difference') return { comparison: c.id, arm, reference: c.reference, kind: c.test, paired, bound: null, p: paired.p };
      if (margin.value === null) return { comparison: c.id, arm, reference: c.reference, kind: c.test, paired, bound: null, p: null };
      const ni = nonInferiority(paired, margin.value, true);
      return { comparison: c.id, arm, reference: c.reference, kind: c.test, paired, bound: ni.bound, p: ni.p };
    }),
  );
  const adjusted = holm(raw.map((t) => t.p));
  const tests = raw.map((t, i): Test => {
    const pHolm = adjusted[i];
    let verdict: Verdict;
    if (t.paired.n < 2) verdict = 'one seed';
    else if (!g.passed) verdict = 'no verdict (gate)';
    else if (t.kind === 'non-inferiority') verdict = margin.value === null ? 'no margin' : pHolm !== null && pHolm < ALPHA ? 'non-inferior' : 'not shown non-inferior';
    else verdict = differenceVerdict(t.paired, pHolm, true, ALPHA);
    return { ...t, pHolm, verdict };
  });
  const errs = r.runs.map((x) => x.validation.at(-1)?.stderr).filter((v): v is number => typeof v === 'number');
  return { tests, levels: levels(r), gate: g, margin, speedups: speedups(r), validationStderr: errs.length ? Math.max(...errs) : null };
}

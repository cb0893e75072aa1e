import { ConfigError } from '../errors.ts';
import type { FrequencyBaseline } from '../data/frequency.ts';
import type { RunRecord, RunSummary } from '../train/record.ts';
import { ARM_NAMES, DESIGN_NAMES, SUITE_SIZES, type ArmName, type DesignName, type GenreMode, type GenreTask, type SuiteGenre, type SuiteSize } from './plan.ts';

export const SUITE_FORMAT = 'growlab-suite';
/** Version 2 added the design, the declared margins and the control arms; version 1 files read as the lab design. */
export const SUITE_VERSION = 2;

/** A validation point with where the run was in cost when it was taken. */
export interface SuiteCurvePoint {
  step: number;
  loss: number;
  accuracy: number;
  /** Forward FLOPs spent up to this step. */
  flops: number;
  /** Training wall time up to this step (steps only: evaluation is not training cost). */
  wallMs: number;
  /** Standard error of the validation loss (the validation set's sampling error), when recorded. */
  stderr?: number;
}

export interface DownstreamResult {
  task: GenreTask;
  mode: GenreMode;
  accuracy: number;
  macroF1: number;
}

export interface SuiteRun {
  arm: ArmName;
  seed: number;
  summary: RunSummary;
  validation: SuiteCurvePoint[];
  stages: { label: string; startStep: number; endStep: number; flops: number; wallMs: number }[];
  /** Forward FLOPs of the whole run (the paper's convention). */
  forwardFlops: number;
  /** Training wall time, growth included. */
  wallTimeMs: number;
  downstream: DownstreamResult[];
  /** Step at which the loss stopped being finite; the run's numbers are from before it. */
  divergedAt?: number;
  /**
   * Width-share arms: how far the FFN copies had moved apart when first measured after the share
   * growth (the least separated pair, minimum over layers; growth/separation.ts). 0: exact copies.
   */
  copySeparation?: number;
}

/** Once per seed and task: what a classifier gets without pre-training. */
export interface SuiteControl {
  seed: number;
  task: GenreTask;
  majority: { accuracy: number; macroF1: number };
  /** The full-size encoder at its random initialisation, fine-tuned/probed like the runs. */
  randomInit: DownstreamResult[];
}

/** What must be equal for --resume to add runs to an existing suite. */
export interface SuiteSettings {
  size: SuiteSize;
  seeds: number;
  steps: number;
  backend: string;
  /** Whether every run is followed by the genre evaluation (off: --no-genre). */
  downstream: boolean;
  design: DesignName;
  /** Non-inferiority margin in nats declared before the run; null: from the baseline budget sweep. */
  margin: number | null;
  /** How much lower (nats) the baseline's loss must be than the smallest stage model's for any verdict. */
  gateMargin: number;
  /** Batches in the validation set (version 1 files: 8 batches drawn per seed). */
  evalBatches: number;
}

/** Defaults of the settings version 1 files lack. */
export const DEFAULT_GATE_MARGIN = 0.02;

export interface SuiteResults {
  format: typeof SUITE_FORMAT;
  version: 1 | typeof SUITE_VERSION;
  settings: SuiteSettings;
  /** Every invocation that wrote into this file, in order. */
  commands: string[];
  machine: { platform: string; arch: string; cpus: number; cpuModel: string; runtime: string; backend: string };
  /** Each arm's planned schedule (stage labels and steps) and forward FLOPs. */
  arms: { name: ArmName; about?: string; stages: { label: string; steps: number }[]; forwardFlops: number; flopsGap: number | null }[];
  /** The downstream evaluation's tasks, modes and budgets. */
  genre?: SuiteGenre;
  /** Validation loss and accuracy of token frequencies alone (src/core/data/frequency.ts): the level a run reaches before it learns from context. */
  frequency?: FrequencyBaseline;
  runs: SuiteRun[];
  controls: SuiteControl[];
  createdAt: string;
  updatedAt: string;
}

export function findRun(r: SuiteResults, arm: ArmName, seed: number): SuiteRun | undefined {
  return r.runs.find((x) => x.arm === arm && x.seed === seed);
}

/** The validation curve with cumulative FLOPs and wall time, from a finished run's record. */
export function curveOf(record: RunRecord): SuiteCurvePoint[] {
  const flopsAt = (step: number): number => {
    let total = 0;
    for (const s of record.stages) {
      const len = s.endStep - s.startStep;
      if (len <= 0 || step <= s.startStep) continue;
      total += ((s.flops ?? 0) * (Math.min(step, s.endStep) - s.startStep)) / len;
    }
    return total;
  };
  const wallAt = new Map<number, number>();
  let wall = 0;
  for (const m of record.steps) {
    wall += m.wallMs;
    wallAt.set(m.step, wall);
  }
  return record.validation.map((p) => ({
    step: p.step, loss: p.loss, accuracy: p.accuracy, flops: flopsAt(p.step), wallMs: wallAt.get(p.step) ?? wall,
    ...(p.stderr !== undefined ? { stderr: p.stderr } : {}),
  }));
}

/** One finished run as the suite stores it. */
export function suiteRun(arm: ArmName, seed: number, record: RunRecord, downstream: DownstreamResult[], divergedAt?: number): SuiteRun {
  const separation = record.growthEvents.find((e) => e.copySeparation)?.copySeparation;
  return {
    ...(divergedAt === undefined ? {} : { divergedAt }),
    ...(separation ? { copySeparation: separation.minRelDiff } : {}),
    arm,
    seed,
    summary: record.summary,
    validation: curveOf(record),
    stages: record.stages.map((s) => ({ label: s.label, startStep: s.startStep, endStep: s.endStep, flops: s.flops ?? 0, wallMs: s.wallMs })),
    forwardFlops: record.stages.reduce((s, st) => s + (st.flops ?? 0), 0),
    wallTimeMs: record.wallTimeMs,
    downstream,
  };
}

function fail(msg: string): never {
  throw new ConfigError('results', `${msg}. Open the results.json that \`growlab suite\` wrote (format "${SUITE_FORMAT}", version ${SUITE_VERSION}).`);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isDownstream = (d: unknown): boolean => isObj(d) && typeof d.task === 'string' && typeof d.mode === 'string' && isNum(d.accuracy) && isNum(d.macroF1);
const isCount = (v: unknown): v is number => isNum(v) && Number.isInteger(v) && v >= 1;

/**
 * Checks that parsed JSON is a suite results file well enough to report on and show: the format,
 * the settings, and every run's fields the report and charts read. Throws ConfigError('results', …).
 */
export function validateSuiteResults(x: unknown): SuiteResults {
  if (!isObj(x)) fail('this is not a JSON object');
  if (x.format !== SUITE_FORMAT) {
    fail(x.format === 'growlab-run' ? 'this is a single run record (growlab-run), not suite results' : `its format is ${JSON.stringify(x.format ?? null)}, not "${SUITE_FORMAT}"`);
  }
  if (x.version !== SUITE_VERSION && x.version !== 1) fail(`its version is ${JSON.stringify(x.version)}; this lab reads versions 1 and ${SUITE_VERSION}`);
  const s = x.settings;
  if (!isObj(s) || !SUITE_SIZES.includes(s.size as SuiteSize) || !isCount(s.seeds) || !isCount(s.steps) || typeof s.backend !== 'string' || typeof s.downstream !== 'boolean') fail('its settings (size, seeds, steps, backend, downstream) are missing or damaged');
  if (x.version === 1) Object.assign(s, { design: 'lab', margin: null, gateMargin: DEFAULT_GATE_MARGIN, evalBatches: 8 });
  if (!DESIGN_NAMES.includes(s.design as DesignName)) fail(`its settings.design is ${JSON.stringify(s.design ?? null)}, not one of ${DESIGN_NAMES.join(', ')}`);
  if (!(s.margin === null || (isNum(s.margin) && s.margin > 0)) || !(isNum(s.gateMargin) && s.gateMargin >= 0)) fail('its settings.margin (null or a positive number) or settings.gateMargin (a number ≥ 0) is damaged');
  if (!isCount(s.evalBatches)) fail('its settings.evalBatches (a positive whole number) is missing or damaged');
  if (!Array.isArray(x.runs) || !Array.isArray(x.controls) || !Array.isArray(x.arms) || !Array.isArray(x.commands) || !isObj(x.machine)) fail('runs, controls, arms, commands or machine is missing');
  x.runs.forEach((r: unknown, i: number) => {
    const at = `runs[${i}]`;
    if (!isObj(r) || !ARM_NAMES.includes(r.arm as ArmName) || !isNum(r.seed)) fail(`${at} has no known arm or seed`);
    if (!isObj(r.summary) || !(isNum(r.forwardFlops) && r.forwardFlops > 0) || !(isNum(r.wallTimeMs) && r.wallTimeMs >= 0)) fail(`${at} (${String(r.arm)}, seed ${String(r.seed)}) lacks its summary, its FLOPs (> 0) or its wall time (≥ 0)`);
    const sm = r.summary;
    if (![sm.valLoss, sm.valAcc, sm.finalLoss, sm.firstLoss, sm.tokensPerSec].every((v) => v === null || v === undefined || isNum(v))) fail(`${at} has a damaged summary (losses, accuracy and tokens/s are numbers or null)`);
    if (r.copySeparation !== undefined && !(isNum(r.copySeparation) && r.copySeparation >= 0)) fail(`${at} has a damaged copySeparation (a number ≥ 0)`);
    if (!Array.isArray(r.validation) || !r.validation.every((p: unknown) => isObj(p) && isNum(p.step) && isNum(p.loss) && isNum(p.accuracy) && isNum(p.flops) && isNum(p.wallMs))) fail(`${at} has a damaged validation curve`);
    if (!Array.isArray(r.downstream) || !r.downstream.every(isDownstream)) fail(`${at} has damaged downstream results`);
    if (!Array.isArray(r.stages) || !r.stages.every((st: unknown) => isObj(st) && typeof st.label === 'string' && isNum(st.startStep) && isNum(st.endStep) && isNum(st.flops) && isNum(st.wallMs))) fail(`${at} has damaged stages`);
  });
  x.arms.forEach((a: unknown, i: number) => {
    const ok = isObj(a) && ARM_NAMES.includes(a.name as ArmName) && (a.about === undefined || typeof a.about === 'string') && isNum(a.forwardFlops) && a.forwardFlops > 0
      && (a.flopsGap === null || isNum(a.flopsGap)) && Array.isArray(a.stages) && a.stages.every((st: unknown) => isObj(st) && typeof st.label === 'string' && isNum(st.steps));
    if (!ok) fail(`arms[${i}] is damaged (a known name, its stages, forward FLOPs > 0 and a FLOPs gap or null)`);
  });
  if (new Set(x.arms.map((a) => (a as { name: string }).name)).size !== x.arms.length) fail('arms lists an arm twice');
  x.controls.forEach((c: unknown, i: number) => {
    const ok = isObj(c) && isNum(c.seed) && typeof c.task === 'string' && isObj(c.majority) && isNum(c.majority.accuracy) && isNum(c.majority.macroF1) && Array.isArray(c.randomInit) && c.randomInit.every(isDownstream);
    if (!ok) fail(`controls[${i}] is damaged (seed, task, majority and random-init scores)`);
  });
  if (!x.commands.every((c) => typeof c === 'string')) fail('commands holds something other than text');
  const m = x.machine;
  if (!['platform', 'arch', 'cpuModel', 'runtime', 'backend'].every((k) => typeof m[k] === 'string') || !isNum(m.cpus)) fail('machine is damaged (platform, arch, cpus, cpuModel, runtime, backend)');
  if (x.frequency !== undefined && !(isObj(x.frequency) && isNum(x.frequency.loss) && isNum(x.frequency.accuracy))) fail('frequency is damaged (its loss and accuracy)');
  return x as unknown as SuiteResults;
}

/** Settings that differ between a results file and this invocation, as "name: file vs now". */
export function settingsDiff(a: SuiteSettings, b: SuiteSettings): string[] {
  return (['design', 'size', 'seeds', 'steps', 'backend', 'downstream', 'margin', 'gateMargin', 'evalBatches'] as const).filter((k) => a[k] !== b[k]).map((k) => `${k}: ${a[k]} there vs ${b[k]} now`);
}

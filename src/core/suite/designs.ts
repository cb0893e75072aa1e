import { ConfigError } from '../errors.ts';
import type { ModelConfig } from '../model/config.ts';
import type { ScheduleBatch } from '../schedule/flops.ts';
import { allocateSteps, buildPreset, evenHeadDim, msgPresetRamp, withRestartsOf } from '../schedule/presets.ts';
import { stageModelConfig, type PresetName, type ScheduleSpec, type StageShape } from '../schedule/spec.ts';
import { matchBudget } from './budget.ts';

/*
 * The suite's designs: which arms train and which comparisons the report makes between them.
 *
 * - lab: the lab's own presets (CompoundGrow's four-stage timing, every single-dimension treatment
 *   in the stages where compound applies it, matched to compound's forward FLOPs).
 * - paper: the comparisons as CompoundGrow runs them: one low-cost stage (70% of the steps, as in
 *   Table 1's 700K + 300K) then the full model. Figure 1: L/4 vs n/4 truncation vs L/2 + n/2;
 *   Table 1: share k=4 vs factorization h=0.2·d, pooling k=2 vs truncation to n/2. Each at equal
 *   steps and, re-timed with matchBudget, at equal forward FLOPs.
 *
 * - operators: the growth operators of the field at equal cost, on one growth of depth and width
 *   (L/2, d/2 at fixed heads, F/2 for 30% of the run, then the full model): stacking with tiled
 *   width (Gong et al.; Shen et al.'s tile), the same masked (MSG, Yao et al.), learned (LiGO, Wang
 *   et al.; its operator training re-timed into the budget) and bert2BERT's AKI (Chen et al.).
 *
 * All add the controls every verdict depends on: the baseline at 0.5× and 0.75× of its steps
 * (the budget sweep behind the non-inferiority margin and the effective FLOPs speed-up), the
 * baseline restarted at compound's stage boundaries (growth without the confound of learning-rate
 * restarts), and the smallest stage model trained alone (the gate: a budget at which the full
 * model does not beat it cannot show what growth buys).
 */

export type DesignName = 'lab' | 'paper' | 'operators';
export const DESIGN_NAMES: readonly DesignName[] = ['lab', 'paper', 'operators'];

export const ARM_NAMES = [
  'baseline', 'stack', 'compound',
  'depth', 'width-share', 'width-factorize', 'length-pool', 'length-truncate', 'width-share-exact',
  'fig1-compound', 'fig1-depth', 'fig1-length', 'fig1-depth-flops', 'fig1-length-flops',
  'share-k4', 'factorize-h0.2d', 'factorize-h0.2d-flops', 'pool-k2', 'truncate-n2', 'truncate-n2-flops',
  'ops-stack', 'ops-msg', 'ops-ligo', 'ops-bert2bert',
  'baseline-restarts', 'baseline-x0.5', 'baseline-x0.75', 'smallest',
] as const;
export type ArmName = (typeof ARM_NAMES)[number];

/**
 * difference: two-sided paired test of each arm against the reference (Holm-adjusted across the
 * report). non-inferiority: one-sided test that each arm is worse than the reference by less than
 * the margin ("comparable quality", Table 2).
 */
export type ComparisonTest = 'difference' | 'non-inferiority';

export interface Comparison {
  id: string;
  title: string;
  /** Where the paper makes the comparison, or what the control is for. */
  paper: string;
  arms: ArmName[];
  /** Every other arm is compared against this one. */
  reference: ArmName;
  test: ComparisonTest;
}

/** Budget-sweep fractions of the baseline's steps (with 1, the baseline itself). */
export const SWEEP: readonly { arm: ArmName; fraction: number }[] = [
  { arm: 'baseline-x0.5', fraction: 0.5 },
  { arm: 'baseline-x0.75', fraction: 0.75 },
];

const TABLE2: Comparison = {
  id: 'speedup', title: 'Baseline vs stacking vs CompoundGrow: comparable quality at lower cost', paper: 'Table 2',
  arms: ['baseline', 'stack', 'compound'], reference: 'baseline', test: 'non-inferiority',
};
const RESTARTS: Comparison = {
  id: 'restarts', title: 'Learning-rate restarts without growth', paper: 'control for Table 2',
  arms: ['baseline-restarts', 'baseline', 'compound'], reference: 'baseline-restarts', test: 'difference',
};

const diff = (id: string, title: string, paper: string, arms: ArmName[]): Comparison => ({ id, title, paper, arms, reference: arms[0], test: 'difference' });

export const DESIGNS: Record<DesignName, { arms: readonly ArmName[]; comparisons: readonly Comparison[] }> = {
  lab: {
    arms: ['baseline', 'stack', 'compound', 'depth', 'width-share', 'width-factorize', 'length-pool', 'length-truncate', 'width-share-exact', 'baseline-restarts', 'baseline-x0.5', 'baseline-x0.75', 'smallest'],
    comparisons: [
      diff('compound-vs-single', 'Compound vs single-dimension growth at equal FLOPs', 'Figure 1 (lab timing)', ['compound', 'depth', 'width-share', 'length-pool']),
      diff('pool-vs-truncate', 'Length: embedding pooling vs truncation at equal FLOPs', 'Table 1 (lab timing)', ['length-pool', 'length-truncate']),
      diff('share-vs-factorize', 'Width: parameter sharing vs factorization at equal FLOPs', 'Table 1 (lab timing)', ['width-share', 'width-factorize']),
      diff('width-noise', 'Width sharing: copies split by ε vs exact copies (ε = 0)', 'control for symmetry breaking', ['width-share', 'width-share-exact']),
      TABLE2,
      RESTARTS,
    ],
  },
  paper: {
    arms: ['baseline', 'stack', 'compound', 'fig1-compound', 'fig1-depth', 'fig1-length', 'fig1-depth-flops', 'fig1-length-flops', 'share-k4', 'factorize-h0.2d', 'factorize-h0.2d-flops', 'pool-k2', 'truncate-n2', 'truncate-n2-flops', 'baseline-restarts', 'baseline-x0.5', 'baseline-x0.75', 'smallest'],
    comparisons: [
      diff('fig1-steps', 'Compound (L/2 + n/2) vs depth (L/4) vs length (n/4) at equal steps', 'Figure 1', ['fig1-compound', 'fig1-depth', 'fig1-length']),
      diff('fig1-flops', 'Compound vs depth vs length at equal forward FLOPs', 'Figure 1, FLOPs-matched', ['fig1-compound', 'fig1-depth-flops', 'fig1-length-flops']),
      diff('table1-length-steps', 'Length: pooling k=2 vs truncation to n/2 at equal steps', 'Table 1', ['pool-k2', 'truncate-n2']),
      diff('table1-length-flops', 'Length: pooling k=2 vs truncation to n/2 at equal FLOPs', 'Table 1, FLOPs-matched', ['pool-k2', 'truncate-n2-flops']),
      diff('table1-width-steps', 'Width: sharing k=4 vs factorization h=0.2·d at equal steps', 'Table 1', ['share-k4', 'factorize-h0.2d']),
      diff('table1-width-flops', 'Width: sharing k=4 vs factorization h=0.2·d at equal FLOPs', 'Table 1, FLOPs-matched', ['share-k4', 'factorize-h0.2d-flops']),
      TABLE2,
      RESTARTS,
    ],
  },
  operators: {
    arms: ['baseline', 'ops-stack', 'ops-msg', 'ops-ligo', 'ops-bert2bert', 'baseline-restarts', 'baseline-x0.5', 'baseline-x0.75', 'smallest'],
    comparisons: [
      diff('operators', 'Growth operators at equal FLOPs: stack vs MSG vs LiGO vs bert2BERT on depth + width', 'stack, MSG, LiGO, bert2BERT', ['ops-stack', 'ops-msg', 'ops-ligo', 'ops-bert2bert']),
      {
        id: 'operators-vs-baseline', title: 'Each growth operator against the full model: comparable quality at lower cost', paper: 'control for the operators',
        arms: ['baseline', 'ops-stack', 'ops-msg', 'ops-ligo', 'ops-bert2bert'], reference: 'baseline', test: 'non-inferiority',
      },
      { ...RESTARTS, id: 'restarts-operators', arms: ['baseline-restarts', 'baseline', 'ops-stack'] },
    ],
  },
};

/**
 * The growth schedule of each design that the controls follow: the restart control restarts the
 * baseline at its stage boundaries, and the gate trains its first stage's model alone.
 */
export const GROWTH_REFERENCE: Record<DesignName, ArmName> = { lab: 'compound', paper: 'compound', operators: 'ops-stack' };

/** An arm before sizes and seeds are attached (plan.ts makes the ExperimentConfig). */
export interface ArmDraft {
  name: ArmName;
  about: string;
  schedule: ScheduleSpec;
  /** The smallest-stage control trains a smaller model than the target; every other arm trains the target. */
  model?: ModelConfig;
  flopsGap: number | null;
}

/** Share of the run the paper design's low-cost stage gets (Table 1: 700K of 1M steps). */
const PAPER_LOW_FRACTION = 70;

/** One low-cost stage (lowPercent of the run), then the full model; defaults (learning rate, optimizer, ops) as the presets', `ops` on top. */
function twoStage(low: Partial<StageShape>, steps: number, target: ModelConfig, lowPercent = PAPER_LOW_FRACTION, ops: Partial<ScheduleSpec['ops']> = {}): ScheduleSpec {
  const base = buildPreset('baseline', steps, target);
  const full = base.stages[0];
  const [lowSteps, fullSteps] = allocateSteps([lowPercent, 100 - lowPercent], steps);
  return {
    ...base,
    preset: 'custom',
    stages: [{ ...full, shape: { ...full.shape, ...low }, steps: lowSteps }, { ...full, steps: fullSteps }],
    ops: { ...base.ops, ...ops },
  };
}

/** Share of the run the operators design's small stage gets (as the ligo preset's). */
const OPERATORS_LOW_FRACTION = 30;

/**
 * The operators design's one growth: depth, d (the head dimension, at fixed heads, so the hidden
 * operator is what differs: tile, tile masked, learned, AKI) and the FFN all doubling at 30% of the
 * run. d/2 needs an even head dimension; otherwise d stays and only depth and the FFN grow.
 */
function operatorsSchedule(steps: number, target: ModelConfig, ops: Partial<ScheduleSpec['ops']>): ScheduleSpec {
  const halfD = evenHeadDim(target) ? { hiddenDiv: 2 } : {};
  return twoStage({ layers: Math.max(1, Math.round(target.layers / 2)), ffnDiv: 2, ...halfD }, steps, target, OPERATORS_LOW_FRACTION, ops);
}

/**
 * LiGO's operator steps in the operators design: 1% of the run, at least 1, at most the paper's 100.
 * Each operator step costs about one full-model training step, so the ligo preset's 5% would cost
 * more than the whole small stage (at L/2, d/2 and F/2 about 1/8 of a full step, 30% of the run),
 * leaving nothing for re-timing to equal FLOPs; the paper's 100 steps are 0.025% of its run.
 */
function operatorsLigoSteps(steps: number): number {
  return Math.max(1, Math.min(100, Math.round(steps / 100)));
}

/** The arms of a design for a target model and step budget, in run order (reference arms first). */
export function designArms(design: DesignName, target: ModelConfig, steps: number, batch: ScheduleBatch): ArmDraft[] {
  if (!DESIGN_NAMES.includes(design)) throw new ConfigError('design', `must be one of ${DESIGN_NAMES.join(', ')}, got ${JSON.stringify(design)}`);
  const L = target.layers;
  const depthAt = (frac: number) => Math.max(1, Math.round(L * frac));
  const preset = (name: PresetName, opts = {}) => buildPreset(name, steps, target, opts);
  const built = new Map<ArmName, ArmDraft>();
  const add = (name: ArmName, about: string, schedule: ScheduleSpec, flopsGap: number | null = null, model?: ModelConfig) => {
    built.set(name, { name, about, schedule, flopsGap, ...(model ? { model } : {}) });
  };
  const matched = (name: ArmName, about: string, reference: ArmName, arm: ScheduleSpec) => {
    const m = matchBudget(built.get(reference)!.schedule, arm, target, batch);
    add(name, `${about}, re-timed to ${reference}'s forward FLOPs`, m.schedule, m.gap);
  };

  add('baseline', 'the full model for every step', preset('baseline'));
  add('stack', 'Gong et al.: 30% at L/4, 40% at L/2, 30% at L', preset('stack'));
  add('compound', 'CompoundGrow: L/4 and L/2 with pool 2 and FFN share 2, then L still pooled and narrow, then the full model', preset('compound'));
  if (design === 'lab') {
    for (const name of ['depth', 'width-share', 'width-factorize', 'length-pool', 'length-truncate'] as const) {
      matched(name, `compound's timing with only its ${name.replace('-', ' ')} treatment`, 'compound', preset(name));
    }
    matched('width-share-exact', 'width-share with exact copies (ε = 0): the control for symmetry breaking', 'compound', preset('width-share', { widthNoise: 0 }));
  } else if (design === 'paper') {
    add('fig1-compound', '70% at L/2 with n/2 truncation, then the full model', twoStage({ layers: depthAt(1 / 2), length: 'truncate', lengthFactor: 2 }, steps, target));
    add('fig1-depth', '70% at L/4, then the full model', twoStage({ layers: depthAt(1 / 4) }, steps, target));
    add('fig1-length', '70% at n/4 (truncation), then the full model', twoStage({ length: 'truncate', lengthFactor: 4 }, steps, target));
    matched('fig1-depth-flops', 'fig1-depth', 'fig1-compound', built.get('fig1-depth')!.schedule);
    matched('fig1-length-flops', 'fig1-length', 'fig1-compound', built.get('fig1-length')!.schedule);
    add('share-k4', '70% with FFN/4 (parameter sharing k=4), then the full model', twoStage({ ffnDiv: 4 }, steps, target));
    add('factorize-h0.2d', '70% with the FFN factorized at rank h=0.2·d, then the full model', twoStage({ ffnRank: Math.max(1, Math.round(0.2 * target.hidden)) }, steps, target));
    matched('factorize-h0.2d-flops', 'factorize-h0.2d', 'share-k4', built.get('factorize-h0.2d')!.schedule);
    add('pool-k2', '70% with embedding pooling k=2, then the full model', twoStage({ length: 'pool', lengthFactor: 2 }, steps, target));
    add('truncate-n2', '70% truncated to n/2, then the full model', twoStage({ length: 'truncate', lengthFactor: 2 }, steps, target));
    matched('truncate-n2-flops', 'truncate-n2', 'pool-k2', built.get('truncate-n2')!.schedule);
  }
  if (design === 'operators') {
    const plain = operatorsSchedule(steps, target, {});
    const growStage = plain.stages[1].steps;
    add('ops-stack', '30% at L/2, d/2 and F/2, then the full model: depth by stacking, d and the FFN by tiling', plain);
    add('ops-msg', 'ops-stack with every new layer, unit and head masked, the mask ramping over 5% of the run (MSG)', operatorsSchedule(steps, target, { msgRamp: Math.min(msgPresetRamp(steps), growStage) }));
    matched('ops-ligo', `ops-stack's growth learned by LiGO (its operator trained for ${operatorsLigoSteps(steps)} steps)`, 'ops-stack', operatorsSchedule(steps, target, { ligoSteps: operatorsLigoSteps(steps) }));
    add('ops-bert2bert', "ops-stack with d grown by bert2BERT's AKI (each new unit from the layer above)", operatorsSchedule(steps, target, { hidden: 'aki' }));
  }
  const growth = GROWTH_REFERENCE[design];
  const grown = built.get(growth)!.schedule;
  add('baseline-restarts', `the baseline with its learning rate restarted at ${growth}'s stage boundaries (no growth)`, withRestartsOf(built.get('baseline')!.schedule, grown));
  for (const { arm, fraction } of SWEEP) {
    add(arm, `the baseline trained for ${fraction}× its steps (budget sweep)`, buildPreset('baseline', Math.max(1, Math.round(fraction * steps)), target));
  }
  const first = grown.stages[0].shape;
  const small = stageModelConfig(target, first);
  add('smallest', `${growth}'s first-stage model (L${small.layers}, d${small.hidden}, FFN ${small.ffn}) trained alone for every step: the gate`, buildPreset('baseline', steps, small), null, small);
  return DESIGNS[design].arms.map((name) => built.get(name)!);
}

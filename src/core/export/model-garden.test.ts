import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError } from '../errors.ts';
import { SIZES, type SizeName } from '../model/config.ts';
import { validateExperiment, type ExperimentConfig } from '../run/config.ts';
import { buildPreset, type PresetOptions } from '../schedule/presets.ts';
import { PRESET_NAMES, type PresetName } from '../schedule/spec.ts';
import { LR_POLICIES, learningRate, type LrPolicy } from '../train/lr.ts';
import { gardenPlan, modelGardenConfig } from './model-garden.ts';

function experiment(size: SizeName, preset: PresetName, opts: PresetOptions = {}, norm: 'pre' | 'post' = 'post'): ExperimentConfig {
  const { model, train } = SIZES[size];
  const m = { ...model, norm };
  const cfg: ExperimentConfig = { size, model: m, train, schedule: buildPreset(preset, train.steps, m, opts), seed: 1 };
  validateExperiment(cfg);
  return cfg;
}

interface StageYaml {
  num_steps: number;
  warmup_steps: number;
  initial_learning_rate: number;
  end_learning_rate: number;
  decay_steps: number;
  override_num_layers: number | null;
  small_encoder_config: Record<string, number | string | null> | null;
  override_train_data: { seq_length: number; max_predictions_per_seq: number } | null;
}

function stagesOf(yamlText: string): StageYaml[] {
  return parse(yamlText).trainer.progressive.stage_list;
}

/**
 * Model Garden's rate at optimizer step i, written from official/modeling/optimization/lr_schedule.py
 * (PolynomialWarmUp over a Keras PolynomialDecay with power 1): the warm-up scales the decay's value
 * at W by max(i, 1)/W; the decay clamps i to decay_steps.
 */
function modelGardenRate(s: StageYaml, i: number): number {
  const decay = (k: number) => (s.initial_learning_rate - s.end_learning_rate) * (1 - Math.min(k, s.decay_steps) / s.decay_steps) + s.end_learning_rate;
  if (s.warmup_steps > 0 && i < s.warmup_steps) return (decay(s.warmup_steps) * Math.max(i, 1)) / s.warmup_steps;
  return decay(i);
}

/** The warm-up lr.ts uses over a span (same cap, stated again here so a change there shows up). */
function effectiveWarmup(warmup: number, span: number): number {
  return Math.max(1, Math.min(warmup, Math.floor(0.25 * span)));
}

describe('modelGardenConfig: every preset and learning-rate policy, unscaled', () => {
  for (const size of ['tiny', 'small'] as const) {
    for (const preset of PRESET_NAMES) {
      for (const lrPolicy of LR_POLICIES) {
        it(`${size} ${preset} ${lrPolicy}: stages, layers, steps and per-step learning rate match the schedule`, () => {
          const cfg = experiment(size, preset, { lrPolicy: lrPolicy as LrPolicy });
          const text = modelGardenConfig(cfg);
          const doc = parse(text);
          const stages = stagesOf(text);
          const spec = cfg.schedule.stages;
          expect(stages).toHaveLength(spec.length);
          expect(doc.trainer.train_steps).toBe(cfg.train.steps);
          expect(stages.map((s) => s.num_steps)).toEqual(spec.map((s) => s.steps));
          const layers = stages.map((s) => s.override_num_layers ?? s.small_encoder_config?.override_num_layers);
          expect(layers).toEqual(spec.map((s) => s.shape.layers));
          expect(doc.task.model.encoder.bert.num_layers).toBe(cfg.model.layers);
          expect(doc.task.model.encoder.bert.hidden_size).toBe(cfg.model.hidden);
          for (const s of stages) expect(s.num_steps % doc.trainer.steps_per_loop).toBe(0);

          const T = cfg.train.steps;
          const P = cfg.train.lr;
          let g0 = 0;
          let runMax = 0;
          stages.forEach((st, j) => {
            const S = spec[j].steps;
            const span = lrPolicy === 'continue' ? T : S;
            const w = lrPolicy === 'rewind' ? 1 : effectiveWarmup(cfg.train.warmupSteps, span);
            // One step of shift at most: the lab counts steps from 1 in the warm-up and ends its decay one step later.
            const tol = P * (1 / w + 1 / (span - w + 1)) + 1e-12;
            let stageMax = 0;
            for (let i = 0; i < S; i++) {
              const lab = learningRate({ peak: P, warmupSteps: cfg.train.warmupSteps, policy: lrPolicy as LrPolicy, stepInStage: i, stageSteps: S, globalStep: g0 + i, totalSteps: T });
              const mg = modelGardenRate(st, i);
              expect(Math.abs(mg - lab)).toBeLessThanOrEqual(tol);
              expect(mg).toBeGreaterThanOrEqual(0);
              stageMax = Math.max(stageMax, mg);
            }
            if (lrPolicy !== 'continue') expect(stageMax).toBeCloseTo(P, 12);
            runMax = Math.max(runMax, stageMax);
            g0 += S;
          });
          expect(runMax).toBeCloseTo(P, 12);
        });
      }
    }
  }
});

describe('modelGardenConfig: growth treatments as grow_bert keys', () => {
  it('compound: FFN sharing and mean pooling in the small-encoder stages, a plain encoder at the end', () => {
    const cfg = experiment('small', 'compound');
    const stages = stagesOf(modelGardenConfig(cfg));
    expect(stages).toHaveLength(4);
    for (const s of stages.slice(0, 3)) {
      expect(s.small_encoder_config).toMatchObject({ net2net_ratio: 0.5, input_pool_name: 'mean', input_pool_size: 2 });
      expect(s.small_encoder_config!.net2net_layers).toBe(s.small_encoder_config!.override_num_layers);
      expect(s.override_num_layers).toBeNull();
    }
    expect(stages[3].small_encoder_config).toBeNull();
    expect(stages[3].override_num_layers).toBe(4);
  });

  it('length-truncate: the short stages read n/2 sequences; max pooling is named "max"', () => {
    const cfg = experiment('small', 'length-truncate');
    const stages = stagesOf(modelGardenConfig(cfg));
    const seq = stages.map((s) => s.override_train_data?.seq_length ?? null);
    expect(seq).toEqual(cfg.schedule.stages.map((s) => (s.shape.length === 'truncate' ? cfg.train.seqLen / 2 : null)));
    const pooled = stagesOf(modelGardenConfig(experiment('small', 'length-pool', { poolReduce: 'max' })));
    expect(pooled[0].small_encoder_config).toMatchObject({ input_pool_name: 'max', input_pool_size: 2 });
  });

  it('says what grow_bert cannot reproduce: other depth operators, pre-LN, factorization, carried moments', () => {
    const plan = gardenPlan(experiment('small', 'compound', { depth: 'identity', optPolicy: 'carry' }, 'pre'));
    expect(plan.notes.join('\n')).toMatch(/depth operator "identity"/);
    expect(plan.notes.join('\n')).toMatch(/pre-LN/);
    expect(plan.notes.join('\n')).toMatch(/optimizer "carry"/);
    expect(gardenPlan(experiment('small', 'width-factorize')).notes.join('\n')).toMatch(/factorized FFN/);
    // The lab's default split has no grow_bert key: said once, and only where the FFN is shared.
    expect(gardenPlan(experiment('small', 'compound')).notes).toEqual([expect.stringMatching(/^width noise 0\.\d+: grow_bert tiles the FFN copies exactly.*never separate/)]);
    expect(gardenPlan(experiment('small', 'compound', { widthNoise: 0 })).notes).toEqual([]);
    expect(gardenPlan(experiment('small', 'stack')).notes).toEqual([]);
    expect(gardenPlan(experiment('small', 'stack', { msgRamp: 10 })).notes).toEqual([expect.stringMatching(/^MSG \(masked structural growth, ramp 10 steps\): .*MSG is not reproduced$/)]);
    expect(gardenPlan(experiment('small', 'stack', { ligoSteps: 7 })).notes).toEqual([expect.stringMatching(/^LiGO \(a learned growth operator, trained 7 steps at each growth\): .*LiGO is not reproduced$/)]);
    // d and heads growth has no key in the export: said, with the stages' sizes.
    const stack = experiment('small', 'stack');
    const grown = { ...stack, schedule: { ...stack.schedule, stages: stack.schedule.stages.map((st, i) => (i === 0 ? { ...st, shape: { ...st.shape, hiddenDiv: 2 } } : st)) } };
    expect(gardenPlan(grown).notes).toEqual([expect.stringMatching(/^hidden size \/ heads growth \(L\d · d\d+ · H\d+ → .*hidden\.tile and heads\.add are not reproduced/)]);
    const withHidden = (hidden: 'fpi' | 'aki') => gardenPlan({ ...grown, schedule: { ...grown.schedule, ops: { ...grown.schedule.ops, hidden } } }).notes;
    expect(withHidden('fpi')).toEqual([expect.stringMatching(/hidden\.fpi and heads\.add are not reproduced; bert2BERT's FPI \(its seeded copy map, the divide-by-count\) has no counterpart/)]);
    expect(withHidden('aki')).toEqual([expect.stringMatching(/hidden\.aki .*bert2BERT's AKI \(.*the new units taken from the layer above\)/)]);
    const text = modelGardenConfig(experiment('small', 'compound', { depth: 'identity' }));
    expect(text).toMatch(/^# +- depth operator "identity"/m);
  });
});

describe('modelGardenConfig: scaled to BERT', () => {
  it('compound on small -> bert-base: layers scale with the target, steps keep proportions, loops divide stages', () => {
    const cfg = experiment('small', 'compound');
    const text = modelGardenConfig(cfg, { target: 'bert-base' });
    const doc = parse(text);
    const stages = stagesOf(text);
    expect(doc.task.model.encoder.bert).toMatchObject({ num_layers: 12, hidden_size: 768, num_attention_heads: 12, intermediate_size: 3072, vocab_size: 30522 });
    expect(doc.task.train_data).toMatchObject({ global_batch_size: 256, seq_length: 512 });
    expect(stages.map((s) => s.small_encoder_config?.override_num_layers ?? s.override_num_layers)).toEqual([3, 6, 12, 12]);
    expect(stages.map((s) => s.num_steps)).toEqual([200_000, 200_000, 300_000, 300_000]);
    expect(doc.trainer.train_steps).toBe(1_000_000);
    for (const s of stages) {
      expect(s.num_steps % doc.trainer.steps_per_loop).toBe(0);
      // The paper (policy "paper"): 10K warm-up again in every stage to the peak 1e-4, then the
      // decay line over the whole run (decay_steps 1M), so a stage of S steps ends at 1e-4·(1M − S)/(1M − 10K).
      expect(s.warmup_steps).toBe(10_000);
      expect(s.decay_steps).toBe(1_000_000);
      expect(modelGardenRate(s, 10_000)).toBeCloseTo(1e-4, 15);
      expect(modelGardenRate(s, s.num_steps)).toBeCloseTo((1e-4 * (1_000_000 - s.num_steps)) / 990_000, 15);
    }
    // "reset" instead decays to 0 inside every stage.
    for (const s of stagesOf(modelGardenConfig(experiment('small', 'compound', { lrPolicy: 'reset' }), { target: 'bert-base' }))) {
      expect(modelGardenRate(s, 10_000)).toBeCloseTo(1e-4, 15);
      expect(modelGardenRate(s, s.num_steps)).toBeCloseTo(0, 15);
    }
  });

  it('custom steps, batch and rate; the text states the numbers it wrote', () => {
    const cfg = experiment('tiny', 'stack');
    const plan = gardenPlan(cfg, { target: 'bert-large', totalSteps: 12_345, batchSize: 64, lr: 3e-4 });
    expect(plan.stages.reduce((s, st) => s + st.numSteps, 0)).toBe(12_345);
    expect(plan.encoder.layers).toBe(24);
    expect(plan.batchSize).toBe(64);
    expect(plan.warmupSteps).toBe(Math.round((10_000 * 12_345) / 1_000_000));
    for (const s of plan.stages) expect(s.numSteps % plan.stepsPerLoop).toBe(0);
  });

  it('refuses impossible scales with the field at fault', () => {
    const cfg = experiment('tiny', 'compound');
    expect(() => gardenPlan(cfg, { totalSteps: 2 })).toThrow(ConfigError);
    expect(() => gardenPlan(cfg, { totalSteps: 2 })).toThrow(/^steps:/);
    expect(() => gardenPlan(cfg, { lr: -1 })).toThrow(/^lr:/);
    expect(() => gardenPlan(cfg, { batchSize: 1.5 })).toThrow(/^batch:/);
  });
});

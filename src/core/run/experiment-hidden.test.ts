import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../node/backends.ts';
import { loadCorpus } from '../../node/corpus.ts';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../checkpoint/format.ts';
import type { Corpus } from '../data/corpus.ts';
import { SIZES, type ModelConfig } from '../model/config.ts';
import type { OptPolicy, StageShape } from '../schedule/spec.ts';
import type { RunRecord } from '../train/record.ts';
import { Experiment } from './experiment.ts';
import type { ExperimentConfig } from './config.ts';

let corpus: Corpus;
beforeAll(async () => {
  await useNodeBackend('cpu');
  corpus = await loadCorpus();
});

const full: StageShape = { layers: 2, ffnDiv: 1, ffnRank: 0, length: 'full', lengthFactor: 1, poolReduce: 'mean' };

/**
 * Tiny (d32, 2 heads of 16), 12 steps: d8 with 1 head of 8 → heads.add to d16, 2 heads of 8 (fresh
 * moments) → hidden.tile to d32, 2 heads of 16 (carried moments).
 */
function config(norm: ModelConfig['norm'] = 'pre'): ExperimentConfig {
  const { model, train } = SIZES.tiny;
  const stage = (shape: Partial<StageShape>, optPolicy: OptPolicy) => ({ shape: { ...full, ...shape }, steps: 4, lrPolicy: 'paper' as const, optPolicy });
  return {
    size: 'tiny',
    model: { ...model, norm },
    train: { ...train, steps: 12, warmupSteps: 2, logEvery: 5, evalEvery: 6, evalBatches: 1 },
    schedule: {
      preset: 'custom',
      stages: [stage({ hiddenDiv: 4, headsDiv: 2 }, 'fresh'), stage({ hiddenDiv: 2 }, 'fresh'), stage({}, 'carry')],
      ops: { depth: 'stack', width: 'share', widthNoise: 0.05, hidden: 'tile' },
    },
    seed: 5,
  };
}

async function runToEnd(exp: Experiment): Promise<RunRecord> {
  while (!exp.done) await exp.step();
  const r = exp.record;
  exp.dispose();
  return r;
}

describe('an experiment that grows d and the heads', () => {
  it('grows at each boundary with a preserving check, and resumes across a change of d exactly (cpu)', async () => {
    const growth: Checkpoint[] = [];
    const run = await runToEnd(new Experiment(config(), corpus, 'cpu', { onCheckpoint: (c, reason) => reason === 'growth' && growth.push(c) }));
    expect(run.stages.map((s) => [s.label, s.shape?.model.hidden, s.shape?.model.heads])).toEqual([
      ['L2 · d8 · H1', 8, 1],
      ['L2 · d16 · H2', 16, 2],
      ['L2', 32, 2],
    ]);
    expect(run.growthEvents.map((g) => g.ops)).toEqual([['heads.add'], ['hidden.tile']]);
    for (const g of run.growthEvents) {
      expect(g.preserving).toBe(true);
      expect(g.maxAbsLogitDiff).toBeLessThan(1e-4);
      expect(g.lossAfter).toBeCloseTo(g.lossBefore, 4);
    }
    expect(run.steps.every((s) => Number.isFinite(s.loss))).toBe(true);
    // Growth checkpoints hold the grown model: d16 after heads.add, d32 after hidden.tile.
    expect(growth.map((c) => [c.model.hidden, c.model.heads, c.params.get('emb.tok')?.shape])).toEqual([
      [16, 2, [SIZES.tiny.model.vocabSize, 16]],
      [32, 2, [SIZES.tiny.model.vocabSize, 32]],
    ]);
    for (const c of growth) {
      const resumed = await runToEnd(Experiment.fromCheckpoint(decodeCheckpoint(encodeCheckpoint(c)), corpus, 'cpu'));
      expect(resumed.steps.map((s) => s.loss)).toEqual(run.steps.map((s) => s.loss));
      expect(resumed.validation).toEqual(run.validation);
      expect(resumed.growthEvents.map((g) => g.maxAbsLogitDiff)).toEqual(run.growthEvents.map((g) => g.maxAbsLogitDiff));
    }
  }, 180_000);

  it('preserves the function at both growths under post-LN too', async () => {
    const exp = new Experiment(config('post'), corpus, 'cpu');
    // Stop right after the second growth: the checks are what this test is about.
    while (exp.currentStage < 2) await exp.step();
    const events = exp.record.growthEvents;
    exp.dispose();
    expect(events.map((g) => g.ops)).toEqual([['heads.add'], ['hidden.tile']]);
    for (const g of events) expect(g.maxAbsLogitDiff).toBeLessThan(1e-4);
  }, 120_000);

  it("grows d by bert2BERT's FPI and AKI with carried moments, and a resume before the growth redraws the same copy map", async () => {
    for (const hidden of ['fpi', 'aki'] as const) {
      const cfg = config();
      cfg.schedule.ops.hidden = hidden;
      const growth: Checkpoint[] = [];
      const run = await runToEnd(new Experiment(cfg, corpus, 'cpu', { onCheckpoint: (c, reason) => reason === 'growth' && growth.push(c) }));
      expect(run.growthEvents.map((g) => g.ops)).toEqual([['heads.add'], [`hidden.${hidden}`]]);
      const grown = run.growthEvents[1];
      expect(grown.preserving).toBe(false);
      expect(Number.isFinite(grown.maxAbsLogitDiff)).toBe(true);
      expect(run.steps.every((s) => Number.isFinite(s.loss))).toBe(true);
      expect(growth[1].params.get('layers.1.attn.q.kernel')?.shape).toEqual([32, 32]);
      // From the d16 checkpoint, before the hidden growth: the run's seeded RNG draws the same map.
      const resumed = await runToEnd(Experiment.fromCheckpoint(decodeCheckpoint(encodeCheckpoint(growth[0])), corpus, 'cpu'));
      expect(resumed.steps.map((s) => s.loss), hidden).toEqual(run.steps.map((s) => s.loss));
      expect(resumed.growthEvents.map((g) => g.maxAbsLogitDiff), hidden).toEqual(run.growthEvents.map((g) => g.maxAbsLogitDiff));
    }
  }, 180_000);

  it('records hidden.random as the non-preserving control, with its jump', async () => {
    const cfg = config();
    cfg.schedule.ops.hidden = 'random';
    const exp = new Experiment(cfg, corpus, 'cpu');
    while (exp.currentStage < 2) await exp.step();
    const [, tiled] = exp.record.growthEvents;
    exp.dispose();
    expect(tiled.ops).toEqual(['hidden.random']);
    expect(tiled.preserving).toBe(false);
    expect(tiled.maxAbsLogitDiff).toBeGreaterThan(1e-3);
  }, 120_000);
});

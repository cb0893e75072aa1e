import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../node/backends.ts';
import { loadCorpus } from '../../node/corpus.ts';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../checkpoint/format.ts';
import type { Corpus } from '../data/corpus.ts';
import { SIZES } from '../model/config.ts';
import { buildPreset } from '../schedule/presets.ts';
import type { RunRecord } from '../train/record.ts';
import { Experiment, type CheckpointReason } from './experiment.ts';
import type { ExperimentConfig } from './config.ts';

let corpus: Corpus;
beforeAll(async () => {
  await useNodeBackend('cpu');
  corpus = await loadCorpus();
});

/** Compound at tiny, 12 steps: three stages (L1 pooled+narrow, L2 pooled+narrow, full), so resumes cross growth. */
function config(): ExperimentConfig {
  const { model, train } = SIZES.tiny;
  const steps = 12;
  return {
    size: 'tiny',
    model,
    train: { ...train, steps, warmupSteps: 2, logEvery: 5, evalEvery: 6, evalBatches: 1 },
    schedule: buildPreset('compound', steps, model),
    seed: 3,
  };
}

async function runToEnd(exp: Experiment): Promise<RunRecord> {
  while (!exp.done) await exp.step();
  const r = exp.record;
  exp.dispose();
  return r;
}

describe('checkpoint and resume', () => {
  it('a run resumed from any of its checkpoints reproduces the uninterrupted losses exactly (cpu)', async () => {
    const taken: { c: Checkpoint; reason: CheckpointReason }[] = [];
    const full = await runToEnd(new Experiment(config(), corpus, 'cpu', { onCheckpoint: (c, reason) => taken.push({ c, reason }) }, { checkpointEvery: 4 }));
    expect(full.stages.length).toBe(3);
    expect(taken.map((t) => t.reason)).toContain('growth');
    expect(taken.map((t) => t.reason)).toContain('interval');
    expect(taken[taken.length - 1].reason).toBe('end');
    // The second growth shares the FFN; its copies are measured at the next validation (step 12).
    expect(full.growthEvents.map((g) => g.copySeparation?.step)).toEqual([undefined, 12]);
    // Growth time is part of the run's wall time, and each growth records its own.
    const stepMs = full.steps.reduce((sum, m) => sum + m.wallMs, 0);
    const growMs = full.growthEvents.reduce((sum, g) => sum + (g.wallMs ?? Number.NaN), 0);
    expect(growMs).toBeGreaterThan(0);
    expect(full.wallTimeMs).toBeCloseTo(stepMs + growMs, 6);
    for (const { c } of taken.filter((t) => t.reason !== 'end')) {
      // Through the file format, as the CLI and the lab do.
      const back = decodeCheckpoint(encodeCheckpoint(c));
      const resumed = await runToEnd(Experiment.fromCheckpoint(back, corpus, 'cpu'));
      expect(resumed.steps.map((s) => s.step)).toEqual(full.steps.map((s) => s.step));
      expect(resumed.steps.map((s) => s.loss)).toEqual(full.steps.map((s) => s.loss));
      expect(resumed.validation).toEqual(full.validation);
      expect(resumed.growthEvents.map((g) => g.lossAfter)).toEqual(full.growthEvents.map((g) => g.lossAfter));
      expect(resumed.growthEvents.map((g) => g.copySeparation)).toEqual(full.growthEvents.map((g) => g.copySeparation));
      expect(resumed.stages.map((s) => [s.startStep, s.endStep])).toEqual(full.stages.map((s) => [s.startStep, s.endStep]));
    }
  }, 120_000);

  it('an MSG run resumed mid-ramp reproduces the uninterrupted losses exactly, and its growths preserve the function (cpu)', async () => {
    // Compound's depth and FFN growth without pooling (so each growth check sees only what MSG masks), ramps of 3 steps;
    // the head dimension grows (d 16 → 32 at 2 heads, hidden.fpi) with the FFN at the last growth.
    const base = config();
    const compound = buildPreset('compound', 12, base.model);
    const last = compound.stages.length - 1;
    const stages = compound.stages.map((st, i) => ({ ...st, shape: { ...st.shape, length: 'full' as const, lengthFactor: 1, ...(i < last ? { hiddenDiv: 2 } : {}) } }));
    const msg: ExperimentConfig = { ...base, schedule: { preset: 'custom', stages, ops: { ...compound.ops, hidden: 'fpi', msgRamp: 3 } } };
    const plain: ExperimentConfig = { ...msg, schedule: { ...msg.schedule, ops: { ...compound.ops, hidden: 'fpi' } } };
    const taken: Checkpoint[] = [];
    const full = await runToEnd(new Experiment(msg, corpus, 'cpu', { onCheckpoint: (c) => taken.push(c) }, { checkpointEvery: 1 }));
    expect(full.growthEvents.map((g) => g.ops)).toEqual([['depth.stack+msg'], ['hidden.fpi+msg', 'width.share+msg']]);
    for (const g of full.growthEvents) expect(g.maxAbsLogitDiff).toBeLessThan(1e-4);
    expect(full.growthEvents.every((g) => g.preserving)).toBe(true);
    // The mask is live in training: the same schedule without MSG trains differently after the first growth.
    const unmasked = await runToEnd(new Experiment(plain, corpus, 'cpu'));
    const firstGrowth = full.growthEvents[0].step;
    expect(unmasked.steps.slice(0, firstGrowth).map((m) => m.loss)).toEqual(full.steps.slice(0, firstGrowth).map((m) => m.loss));
    expect(unmasked.steps[firstGrowth + 1].loss).not.toBe(full.steps[firstGrowth + 1].loss);
    const midRamp = taken.filter((c) => c.stageIndex > 0 && c.state.stepsInStage > 0 && c.state.stepsInStage < 3);
    expect(midRamp.length).toBeGreaterThanOrEqual(2);
    for (const c of midRamp) {
      const resumed = await runToEnd(Experiment.fromCheckpoint(decodeCheckpoint(encodeCheckpoint(c)), corpus, 'cpu'));
      expect(resumed.steps.map((m) => m.loss)).toEqual(full.steps.map((m) => m.loss));
      expect(resumed.validation).toEqual(full.validation);
    }
  }, 180_000);

  it('a stopped run checkpoints at the stop and continues to the planned end', async () => {
    let last: Checkpoint | null = null;
    const exp = new Experiment(config(), corpus, 'cpu', { onCheckpoint: (c) => (last = c) });
    for (let i = 0; i < 5; i++) await exp.step();
    await exp.stop();
    exp.dispose();
    expect(last!.step).toBe(5);
    expect(last!.record.stages[last!.record.stages.length - 1].endStep).toBe(5);
    const resumed = await runToEnd(Experiment.fromCheckpoint(last!, corpus, 'cpu'));
    expect(resumed.summary.steps).toBe(12);
    expect(resumed.steps.map((s) => s.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  }, 120_000);

  it('a checkpoint taken at the end resumes as a finished run', async () => {
    let end: Checkpoint | null = null;
    await runToEnd(new Experiment(config(), corpus, 'cpu', { onCheckpoint: (c, r) => r === 'end' && (end = c) }));
    const exp = Experiment.fromCheckpoint(end!, corpus, 'cpu');
    expect(exp.done).toBe(true);
    expect(exp.record.summary.steps).toBe(12);
    exp.dispose();
  }, 120_000);

  it('refuses a checkpoint whose resume state is damaged, naming the problem', async () => {
    let c: Checkpoint | null = null;
    const exp = new Experiment(config(), corpus, 'cpu');
    await exp.step();
    c = await exp.checkpoint();
    exp.dispose();
    expect(() => Experiment.fromCheckpoint({ ...c!, state: null as never }, corpus, 'cpu')).toThrow(/^checkpoint: state: expected an object, got null\. The run cannot continue/);
    const { cursors: _, ...noCursors } = c!.state;
    expect(() => Experiment.fromCheckpoint({ ...c!, state: noCursors as never }, corpus, 'cpu')).toThrow(/^checkpoint: state\.cursors: expected an object, but it is missing/);
  }, 60_000);
});

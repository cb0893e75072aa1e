import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../node/backends.ts';
import { loadCorpus } from '../node/corpus.ts';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../core/checkpoint/format.ts';
import type { Corpus } from '../core/data/corpus.ts';
import { SIZES } from '../core/model/config.ts';
import { Experiment, type ExperimentHooks } from '../core/run/experiment.ts';
import { experimentFlops, type ExperimentConfig } from '../core/run/config.ts';
import { buildPreset } from '../core/schedule/presets.ts';
import type { WorkerEvent } from '../worker/protocol.ts';
import { canContinue, checkpointBytes, checkpointEvery, cumulativeWall, importedRun, interruptedOnLoad, resumingRun } from './resume.ts';
import { applyRunEvent, newRun, type Run } from './run.ts';

let corpus: Corpus;
beforeAll(async () => {
  await useNodeBackend('cpu');
  corpus = await loadCorpus();
});

/** Compound at tiny, 12 steps: the checkpoint at step 4 is in the first stage, the run grows twice after it. */
function config(steps = 12): ExperimentConfig {
  const { model, train } = SIZES.tiny;
  return { size: 'tiny', model, train: { ...train, steps, warmupSteps: 2, logEvery: 3, evalEvery: 6, evalBatches: 1 }, schedule: buildPreset('compound', steps, model), seed: 5 };
}

/** Hooks that turn an experiment's callbacks into the worker's events, folded into a page-side Run as the lab does. */
function pageSide(id: string, get: () => Run, put: (r: Run) => void, checkpoints: Checkpoint[]): ExperimentHooks {
  let t = 1000;
  const apply = (e: WorkerEvent) => put(applyRunEvent(get(), e, (t += 10)));
  return {
    onMetrics: (steps) => apply({ type: 'metrics', runId: id, steps }),
    onValidation: (point) => apply({ type: 'validation', runId: id, point }),
    onStage: (stage, phase) => apply({ type: 'stage', runId: id, stage, phase }),
    onGrowth: (event) => apply({ type: 'growth', runId: id, event }),
    // Through the file format, as the worker hands it to the page.
    onCheckpoint: (c) => checkpoints.push(decodeCheckpoint(encodeCheckpoint(c))),
  };
}

describe('resuming a run in the lab', () => {
  it('an interrupted run resumed from its checkpoint ends with the uninterrupted curve: steps 1..N once each, same losses', async () => {
    const cfg = config();
    const plan = experimentFlops(cfg);
    // The uninterrupted run.
    let whole = { ...newRun('w', 'w', 'compound', '#000', cfg, plan), status: 'running' as const };
    const ignored: Checkpoint[] = [];
    const a = new Experiment(cfg, corpus, 'cpu', pageSide('w', () => whole, (r) => (whole = r as typeof whole), ignored), { checkpointEvery: 4 });
    while (!a.done) await a.step();
    a.dispose();

    // The same run, interrupted after step 7; its latest checkpoint is earlier (an interval or a growth one).
    let run: Run = { ...newRun('r', 'r', 'compound', '#000', cfg, plan), status: 'running' };
    const taken: Checkpoint[] = [];
    const b = new Experiment(cfg, corpus, 'cpu', pageSide('r', () => run, (r) => (run = r), taken), { checkpointEvery: 4 });
    while (b.globalStep < 7) await b.step();
    await b.flush();
    b.dispose();
    const latest = taken[taken.length - 1];
    const s = latest.step;
    expect(s).toBeGreaterThan(0);
    expect(s).toBeLessThan(7);
    run = interruptedOnLoad({ ...run, checkpointStep: latest.step });
    expect(run.status).toBe('interrupted');
    expect(run.message).toBe(`interrupted by a reload at step 7; resume from step ${s}`);
    expect(run.steps.length).toBe(7);

    run = resumingRun(run, latest);
    expect(run.step).toBe(s);
    expect(run.steps.map((m) => m.step)).toEqual(Array.from({ length: s }, (_, i) => i + 1));
    const c = new Experiment(cfg, corpus, 'cpu', pageSide('r', () => run, (r) => (run = r), taken), { checkpointEvery: 4 }, latest);
    run = applyRunEvent(run, { type: 'started', runId: 'r', flops: c.flops }, 5000);
    // Its clock starts as long ago as it had trained, so elapsed-time ETAs stay right.
    expect(run.startedAt).toBe(5000 - run.cumWallMs[s]);
    while (!c.done) await c.step();
    c.dispose();

    expect(run.steps.map((m) => m.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(run.steps.map((m) => m.loss)).toEqual(whole.steps.map((m) => m.loss));
    expect(run.validation.map((v) => [v.step, v.loss])).toEqual(whole.validation.map((v) => [v.step, v.loss]));
    expect(run.growth.map((g) => g.step)).toEqual(whole.growth.map((g) => g.step));
    expect(run.stages.map((s) => [s.startStep, s.endStep])).toEqual(whole.stages.map((s) => [s.startStep, s.endStep]));
    // Wall time continues from the checkpoint's, not from zero.
    expect(run.cumWallMs[s]).toBe(cumulativeWall(latest.record.steps)[s]);
    expect(run.cumWallMs.length).toBe(13);
  }, 120_000);

  it('an imported checkpoint becomes an interrupted run with the curve up to its step, or a done run at its last step', async () => {
    const cfg = config(6);
    const taken: Checkpoint[] = [];
    const exp = new Experiment(cfg, corpus, 'cpu', { onCheckpoint: (c) => taken.push(c) }, { checkpointEvery: 3 });
    while (!exp.done) await exp.step();
    exp.dispose();
    const first = taken[0];
    expect(first.step).toBeLessThan(6);
    const mid = importedRun('i', 'compound (imported)', '#111', first, 1);
    expect(mid.status).toBe('interrupted');
    expect(mid.step).toBe(first.step);
    expect(mid.steps.map((m) => m.step)).toEqual(Array.from({ length: first.step }, (_, i) => i + 1));
    expect(mid.checkpointStep).toBe(first.step);
    expect(mid.plan.forwardFlops).toBe(experimentFlops(cfg).forwardFlops);
    const end = importedRun('j', 'x', '#111', taken[taken.length - 1], 1);
    expect(end.status).toBe('done');
    expect(end.step).toBe(6);
    expect(end.summary?.steps).toBe(6);
  }, 60_000);
});

describe('checkpoint helpers', () => {
  it('a run that was not training is left as it was; one without a checkpoint says it cannot resume', () => {
    const cfg = config();
    const r = newRun('x', 'x', 'baseline', '#000', cfg, experimentFlops(cfg));
    expect(interruptedOnLoad({ ...r, status: 'done' }).status).toBe('done');
    expect(interruptedOnLoad({ ...r, status: 'queued' }).status).toBe('queued');
    const paused = interruptedOnLoad({ ...r, status: 'paused', step: 3 });
    expect(paused.status).toBe('interrupted');
    expect(paused.message).toBe('interrupted by a reload at step 3; no checkpoint was saved yet, so it cannot resume');
  });

  it('an interrupted run, or one stopped before its last step, can continue from its checkpoint', () => {
    const cfg = config();
    const r = newRun('x', 'x', 'baseline', '#000', cfg, experimentFlops(cfg));
    expect(canContinue({ ...r, status: 'stopped', step: 5, checkpointStep: 5 })).toBe(true);
    expect(canContinue({ ...r, status: 'interrupted', step: 5, checkpointStep: 4 })).toBe(true);
    expect(canContinue({ ...r, status: 'stopped', step: 5, checkpointStep: null })).toBe(false);
    expect(canContinue({ ...r, status: 'stopped', step: 12, checkpointStep: 12 })).toBe(false);
    for (const status of ['done', 'failed', 'queued', 'running', 'paused'] as const) expect(canContinue({ ...r, status, checkpointStep: 4 })).toBe(false);
  });

  it('checkpoint interval: every 10 steps for short tiny runs, about 20 per run for long ones, 50+ for big models', () => {
    expect(checkpointEvery(config(40))).toBe(10);
    expect(checkpointEvery(config(5000))).toBe(250);
    expect(checkpointEvery(config(300))).toBe(20);
    const lab = { ...config(100), model: SIZES.lab.model };
    // Float32 weights + Adam m and v, counted independently: (V*d + maxLen*d + ... ) is large for the lab size.
    expect(checkpointBytes(lab)).toBeGreaterThan(16 * 2 ** 20);
    expect(checkpointEvery(lab)).toBe(50);
  });

  it('checkpoint bytes are 12 per parameter (weight, Adam m, Adam v in float32)', () => {
    const cfg = config();
    const { vocabSize: V, hidden: d, ffn: F, maxLen: P, layers: L } = cfg.model;
    // Embeddings + LN, per layer 4 attention projections + 2 LNs + FFN, MLM head; counted by hand for a dense FFN.
    const perLayer = 4 * (d * d + d) + 2 * 2 * d + (d * F + F) + (F * d + d);
    const head = d * d + d + 2 * d + V;
    const finalLn = cfg.model.norm === 'pre' ? 2 * d : 0;
    expect(checkpointBytes(cfg)).toBe(12 * (V * d + P * d + 2 * d + L * perLayer + finalLn + head));
  });

  it('cumulative wall time per step', () => {
    const m = (step: number, wallMs: number) => ({ step, loss: 1, lr: 0, gradNorm: 0, tokens: 1, wallMs });
    expect(cumulativeWall([m(1, 5), m(2, 7), m(3, 1)])).toEqual([0, 5, 12, 13]);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import type { Corpus } from '../data/corpus.ts';
import { setFused } from '../kernels/ops.ts';
import { SIZES } from '../model/config.ts';
import { buildPreset } from '../schedule/presets.ts';
import type { PresetName } from '../schedule/spec.ts';
import { Experiment } from './experiment.ts';

/**
 * Trains the tiny size for `steps` steps twice on the active backend, on the fused kernels and on
 * the unfused reference ops, with every step logged; returns the worst relative loss difference
 * over the logged steps. The test of the fused path's numbers over a whole run.
 */
export async function fusedVsReference(corpus: Corpus, steps: number, preset: PresetName = 'baseline'): Promise<{ steps: number; worst: number }> {
  const { model, train } = SIZES.tiny;
  // Training losses are compared; one validation batch keeps the end-of-run validation cheap.
  const config = { size: 'tiny' as const, model, train: { ...train, steps, logEvery: 1, evalEvery: steps, evalBatches: 1 }, schedule: buildPreset(preset, steps, model), seed: 1 };
  const losses: number[][] = [];
  for (const fused of [true, false]) {
    setFused(fused, fused ? null : 'fused-vs-reference test');
    try {
      const exp = new Experiment(config, corpus, tf.getBackend());
      while (!exp.done) await exp.step();
      losses.push(exp.record.steps.map((s) => s.loss));
      exp.dispose();
    } finally {
      setFused(true);
    }
  }
  const [a, b] = losses;
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.abs(b[i]));
  return { steps: b.length, worst };
}

import type { Corpus } from '../core/data/corpus.ts';
import { Experiment } from '../core/run/experiment.ts';
import { buildPreset } from '../core/schedule/presets.ts';
import type { RunRecord } from '../core/train/record.ts';
import { experimentFromFlags } from './train.ts';

/**
 * `growlab train --preset width-share --size tiny --steps N --seed 1` in process (cpu), with the
 * given split ε and, to fit the unit suite, optionally a smaller batch. Returns the run record.
 */
export async function widthShareRun(corpus: Corpus, o: { steps: number; widthNoise: number; batchSize?: number }): Promise<RunRecord> {
  const cfg = experimentFromFlags({ size: 'tiny', steps: String(o.steps), preset: 'width-share', seed: '1' });
  if (o.batchSize !== undefined) cfg.train = { ...cfg.train, batchSize: o.batchSize, evalBatches: 1 };
  cfg.schedule = buildPreset('width-share', o.steps, cfg.model, { widthNoise: o.widthNoise });
  const exp = new Experiment(cfg, corpus, 'cpu');
  while (!exp.done) await exp.step();
  const r = exp.record;
  exp.dispose();
  return r;
}

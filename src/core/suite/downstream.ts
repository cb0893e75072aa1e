import type { Corpus } from '../data/corpus.ts';
import { deriveSeed } from '../data/rng.ts';
import { evaluateGenre } from '../eval/genre.ts';
import type { ModelConfig } from '../model/config.ts';
import { disposeParams, initParams, type Params } from '../model/params.ts';
import type { SuiteGenre } from './plan.ts';
import type { DownstreamResult, SuiteControl } from './results.ts';

/** Seed site of the random-init control encoder (any fixed value: it only has to differ per seed). */
const RANDOM_INIT_SITE = 0x7269;

/**
 * Genre classification with an encoder, every task × mode the plan asks for. The classifier's
 * seed is the run's seed, so every arm of a seed gets the same head initialisation and data order.
 */
export async function evaluateDownstream(params: Params, model: ModelConfig, corpus: Corpus, seed: number, genre: SuiteGenre): Promise<DownstreamResult[]> {
  const out: DownstreamResult[] = [];
  for (const task of genre.tasks) {
    for (const mode of genre.modes) {
      const r = await evaluateGenre(params, model, corpus, { task, mode, seed, ...genre.budget[mode] });
      out.push({ task, mode, accuracy: r.accuracy, macroF1: r.macroF1 });
    }
  }
  return out;
}

/** Per task for one seed: the majority class and the untrained full-size encoder evaluated like the runs. */
export async function downstreamControls(model: ModelConfig, corpus: Corpus, seed: number, genre: SuiteGenre): Promise<SuiteControl[]> {
  const params = initParams(model, deriveSeed(seed, RANDOM_INIT_SITE));
  try {
    const out: SuiteControl[] = [];
    for (const task of genre.tasks) {
      const randomInit: DownstreamResult[] = [];
      let majority = { accuracy: NaN, macroF1: NaN };
      for (const mode of genre.modes) {
        const r = await evaluateGenre(params, model, corpus, { task, mode, seed, ...genre.budget[mode] });
        randomInit.push({ task, mode, accuracy: r.accuracy, macroF1: r.macroF1 });
        majority = { accuracy: r.majority.accuracy, macroF1: r.majority.macroF1 };
      }
      out.push({ seed, task, majority, randomInit });
    }
    return out;
  } finally {
    disposeParams(params);
  }
}

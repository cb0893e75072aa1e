import { beforeAll, expect, it } from 'vitest';
import { useNodeBackend } from '../node/backends.ts';
import { loadCorpus } from '../node/corpus.ts';
import type { Corpus } from '../core/data/corpus.ts';
import { DEFAULT_WIDTH_NOISE } from '../core/schedule/spec.ts';
import { widthShareRun } from './width-share.test-helper.ts';

let corpus: Corpus;
beforeAll(async () => {
  await useNodeBackend('cpu');
  corpus = await loadCorpus();
});

// The 200-step, full-batch claim is width-share.slow.test.ts; this is the same run cut to 60 steps
// on a batch of 2: growth at step 42 (70% narrow), 18 steps at full width, validation at 60.
it('width share (tiny, 60 steps): the default split separates the W1 copies in every layer, ε = 0 keeps them identical', async () => {
  for (const [widthNoise, separates] of [[DEFAULT_WIDTH_NOISE, true], [0, false]] as const) {
    const r = await widthShareRun(corpus, { steps: 60, widthNoise, batchSize: 2 });
    expect(r.growthEvents).toHaveLength(1);
    const [g] = r.growthEvents;
    expect(g.step).toBe(42);
    expect(g.ops).toEqual(['width.share']);
    // The split keeps the function: only float rounding at growth.
    expect(g.maxAbsLogitDiff).toBeLessThan(1e-5);
    const c = g.copySeparation!;
    expect(c.step).toBe(60);
    expect(c.perLayer).toHaveLength(2);
    if (separates) expect(c.minRelDiff).toBeGreaterThan(1e-4);
    else expect(c.perLayer).toEqual([0, 0]);
  }
}, 120_000);
